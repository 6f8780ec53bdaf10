package local

import (
	"context"
	"errors"
	"fmt"
	"hash"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/berth-oci/berth/content"
	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/internal/atomicfile"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// blobMode is the mode of a committed blob, the mode skopeo gives blobs
// too: everyone who can reach the store may read it. Not read-only (as
// containerd makes its private store): skopeo copying into a layout rewrites
// an existing manifest blob in place, which fails for a non-root owner on
// a 0444 file.
const blobMode = 0o644

// Writer opens a write of the blob desc; see content.Ingester. A blob file
// already present whose size differs from desc.Size is treated as damaged:
// the write goes ahead and its commit replaces the file.
func (s *Store) Writer(ctx context.Context, desc ocispec.Descriptor) (content.Writer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p, err := s.BlobPath(desc.Digest)
	if err != nil {
		return nil, err
	}
	if desc.Size < -1 {
		return nil, fmt.Errorf("write blob %s: size %d: %w", desc.Digest, desc.Size, errdefs.ErrInvalidArgument)
	}
	if present(p, desc.Size) {
		return nil, fmt.Errorf("write blob %s: %w", desc.Digest, errdefs.ErrAlreadyExists)
	}
	f, err := s.createIngest(desc.Digest)
	if err != nil {
		return nil, fmt.Errorf("write blob %s: %w", desc.Digest, err)
	}
	return &writer{s: s, desc: desc, target: p, f: f, h: desc.Digest.Algorithm().Hash()}, nil
}

// present reports whether a regular file of the expected size (any size
// when size is -1) is at p.
func present(p string, size int64) bool {
	st, err := os.Lstat(p)
	return err == nil && st.Mode().IsRegular() && (size < 0 || st.Size() == size)
}

// writer is one write into an ingest file. f is nil once the write is over.
type writer struct {
	s      *Store
	desc   ocispec.Descriptor
	target string
	f      *os.File
	h      hash.Hash
	offset int64
}

func (w *writer) Write(p []byte) (int, error) {
	if w.f == nil {
		return 0, fmt.Errorf("write blob %s: writer is committed or closed: %w", w.desc.Digest, errdefs.ErrFailedPrecondition)
	}
	if w.desc.Size >= 0 && w.offset+int64(len(p)) > w.desc.Size {
		return 0, fmt.Errorf("write blob %s: %d bytes would exceed its size of %d: %w", w.desc.Digest, w.offset+int64(len(p)), w.desc.Size, errdefs.ErrDigestMismatch)
	}
	n, err := w.f.Write(p)
	w.h.Write(p[:n])
	w.offset += int64(n)
	if err != nil {
		return n, fmt.Errorf("write blob %s: %w", w.desc.Digest, err)
	}
	return n, nil
}

func (w *writer) Offset() int64 { return w.offset }

// Commit verifies and publishes the blob; see content.Ingester.
func (w *writer) Commit(ctx context.Context) error {
	if w.f == nil {
		return fmt.Errorf("commit blob %s: writer is committed or closed: %w", w.desc.Digest, errdefs.ErrFailedPrecondition)
	}
	err := ctx.Err()
	if err == nil {
		err = w.verify()
	}
	if err == nil {
		err = w.publish()
	}
	if err != nil {
		return errors.Join(fmt.Errorf("commit blob %s: %w", w.desc.Digest, err), w.discard())
	}
	return nil
}

func (w *writer) verify() error {
	if w.desc.Size >= 0 && w.offset != w.desc.Size {
		return fmt.Errorf("got %d bytes, want %d: %w", w.offset, w.desc.Size, errdefs.ErrDigestMismatch)
	}
	alg := w.desc.Digest.Algorithm()
	if got := alg.Encode(w.h.Sum(nil)); got != w.desc.Digest.Encoded() {
		return fmt.Errorf("content hashes to %s:%s: %w", alg, got, errdefs.ErrDigestMismatch)
	}
	return nil
}

// publish makes the verified ingest file durable and renames it into place.
// When a complete blob is there already (another writer won), the ingest
// file is discarded instead; a damaged one (wrong size) is replaced.
func (w *writer) publish() error {
	if present(w.target, w.desc.Size) {
		return w.discard()
	}
	if err := w.f.Chmod(blobMode); err != nil {
		return err
	}
	if err := w.f.Sync(); err != nil {
		return err
	}
	dir := filepath.Dir(w.target)
	created, err := mkdir(dir)
	if err != nil {
		return err
	}
	if err := os.Rename(w.f.Name(), w.target); err != nil {
		if errors.Is(err, syscall.EXDEV) {
			err = fmt.Errorf("%w (the ingest directory %s must be on the file system of the store)", err, w.s.ingest)
		}
		return err
	}
	// The blob is in place; what follows makes its name durable. Until the
	// file is closed it is ours (locked), so a failure here leaves a
	// complete, correct blob and no ingest file.
	f := w.f
	w.f = nil
	err = errors.Join(atomicfile.SyncDir(dir), f.Close())
	if created && err == nil {
		err = atomicfile.SyncDir(w.s.root)
	}
	return err
}

// mkdir creates dir (mode 0755) unless it exists and reports whether it did.
func mkdir(dir string) (bool, error) {
	err := os.Mkdir(dir, 0o755)
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	return err == nil, err
}

// discard removes the ingest file and releases it. Removing before closing
// keeps the file locked until its name is gone.
func (w *writer) discard() error {
	if w.f == nil {
		return nil
	}
	f := w.f
	w.f = nil
	err := os.Remove(f.Name())
	if errors.Is(err, fs.ErrNotExist) {
		err = nil
	}
	return errors.Join(err, f.Close())
}

// Close discards an uncommitted write; see content.Ingester.
func (w *writer) Close() error {
	if err := w.discard(); err != nil {
		return fmt.Errorf("close writer of blob %s: %w", w.desc.Digest, err)
	}
	return nil
}
