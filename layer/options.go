package layer

import (
	"fmt"

	"github.com/berth-oci/berth/errdefs"
	digest "github.com/opencontainers/go-digest"
)

// Format is how whiteouts are represented in the applied directory.
type Format int

const (
	// Tree applies whiteouts: the directory is the merged root filesystem.
	Tree Format = iota
	// Overlay keeps whiteouts as overlayfs expects them in a layer directory:
	// a deletion is a 0/0 character device, an opaque directory carries the
	// xattr trusted.overlay.opaque=y (user.overlay.opaque=y when rootless).
	// Each layer is applied into its own empty directory.
	Overlay
)

func (f Format) String() string {
	switch f {
	case Tree:
		return "tree"
	case Overlay:
		return "overlay"
	}
	return fmt.Sprintf("format(%d)", int(f))
}

// IDMap maps a range of IDs inside a user namespace to IDs on the host, as
// in /proc/PID/uid_map.
type IDMap struct {
	ContainerID uint32
	HostID      uint32
	Size        uint32
}

// ApplyOptions control Apply. The zero value applies an uncompressed or
// magic-detected layer as root, as a tree, without checking digests.
type ApplyOptions struct {
	// MediaType is the layer's media type; empty lets the data's magic
	// bytes decide.
	MediaType string
	// Digest is the expected digest of the blob as read (compressed), and
	// DiffID that of the uncompressed tar; either may be empty to skip the
	// check. Both are computed while the blob streams.
	Digest digest.Digest
	DiffID digest.Digest
	// Format chooses how whiteouts land in root.
	Format Format
	// LowerDirs, with Format Overlay, are the directories of the layers
	// below this one, nearest first (an overlay mount's lowerdir order),
	// each applied by Apply in Overlay format. A directory an entry needs
	// but the layer does not carry (the parent of a whiteout, say) is then
	// made as the merged view below shows it (owner, mode, times, xattrs)
	// instead of root's 0755: overlayfs shows the upper directory's
	// attributes. Without LowerDirs such a directory is made 0755.
	LowerDirs []string
	// LowerDirsFunc, instead of LowerDirs, gives them only when the
	// layer first needs a directory it does not carry: layers can then be
	// applied side by side, each waiting for those below it only if it
	// must (most never do).
	LowerDirsFunc func() ([]string, error)
	// UIDMap and GIDMap shift ownership for a user-namespaced container:
	// an entry's owner is the container ID; the file gets the host ID.
	// An ID outside a non-empty mapping is an error.
	UIDMap, GIDMap []IDMap
	// Rootless applies without privileges: no chown at all, no device
	// nodes (skipped with a warning), directories kept writable by their
	// owner until the end.
	Rootless bool
	// MaxSize bounds the uncompressed bytes read (0 means no limit), and
	// on its own the total size of the layer's sparse files, holes
	// included, which a few bytes of tar can declare terabytes of; a
	// larger layer fails with errdefs.ErrInvalidArgument.
	MaxSize int64
	// Warn receives what was skipped (a device node without CAP_MKNOD, an
	// xattr the filesystem refused). Nil discards warnings.
	Warn func(msg string)
}

// ApplyResult describes what Apply read.
type ApplyResult struct {
	// Digest is the digest of the blob as read, DiffID that of the
	// uncompressed tar, both in the algorithm of the expected values
	// (sha256 when none was given).
	Digest digest.Digest
	DiffID digest.Digest
	// CompressedSize is the number of bytes of the blob, Size that of the
	// uncompressed tar.
	CompressedSize int64
	Size           int64
	// Entries counts the tar entries applied (whiteouts included).
	Entries int
}

func (o *ApplyOptions) validate() error {
	for name, d := range map[string]digest.Digest{"digest": o.Digest, "diffID": o.DiffID} {
		if d == "" {
			continue
		}
		if err := d.Validate(); err != nil {
			return fmt.Errorf("expected %s %q: %w: %w", name, d, errdefs.ErrInvalidArgument, err)
		}
	}
	if o.Format != Tree && o.Format != Overlay {
		return fmt.Errorf("apply format %v: %w", o.Format, errdefs.ErrInvalidArgument)
	}
	if len(o.LowerDirs) > 0 && o.LowerDirsFunc != nil {
		return fmt.Errorf("lower layer directories given both as a list and as a function: %w", errdefs.ErrInvalidArgument)
	}
	if (len(o.LowerDirs) > 0 || o.LowerDirsFunc != nil) && o.Format != Overlay {
		return fmt.Errorf("lower layer directories with format %v: only the overlay format has them: %w", o.Format, errdefs.ErrInvalidArgument)
	}
	if o.MaxSize < 0 {
		return fmt.Errorf("negative size limit %d: %w", o.MaxSize, errdefs.ErrInvalidArgument)
	}
	if _, err := MediaTypeCompression(o.MediaType); err != nil {
		return err
	}
	return nil
}

func (o *ApplyOptions) warn(format string, args ...any) {
	if o.Warn != nil {
		o.Warn(fmt.Sprintf(format, args...))
	}
}
