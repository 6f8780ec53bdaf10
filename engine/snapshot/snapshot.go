// Package snapshot keeps the unpacked layers of berth's store: one directory
// per layer chain, named by its chain ID (image-spec config.md), holding
// that one layer applied in overlayfs form (layer.Format Overlay). Every
// image whose chain starts the same way shares those directories, and a
// container's root filesystem is an overlay mount of its image's chain with
// an upper and work directory of its own.
//
// A snapshot is built in a temporary directory and renamed into place only
// when its layer applied and verified, so a directory under its final name
// is always complete; a process killed midway leaves a temporary directory
// that Temps lists and a repair removes. Creators of the same snapshot are
// serialized by a per-snapshot file lock, so the work is done once.
//
// The package knows nothing of records: the engine stores what it needs
// about each snapshot (parent, size) in its database after Create returns.
package snapshot

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/berth-oci/berth/errdefs"
	digest "github.com/opencontainers/go-digest"
)

// Names of the store's bookkeeping directories; no snapshot is named so,
// since every snapshot is named by a hex digest.
const (
	tmpDir  = ".tmp"
	lockDir = ".locks"
)

// Store is a directory of snapshots. It is safe for concurrent use by many
// goroutines and processes.
type Store struct {
	root string
}

// New opens the snapshot store at root, creating it when needed.
func New(root string) (*Store, error) {
	for _, d := range []string{root, filepath.Join(root, tmpDir), filepath.Join(root, lockDir)} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("open snapshot store: %w", err)
		}
	}
	return &Store{root: root}, nil
}

// Root is the store's directory.
func (s *Store) Root() string { return s.root }

// Path is the directory of the snapshot chain (whether or not it exists).
func (s *Store) Path(chain digest.Digest) string {
	return filepath.Join(s.root, chain.Encoded())
}

// Exists reports whether the snapshot chain is complete on disk.
func (s *Store) Exists(chain digest.Digest) bool {
	st, err := os.Lstat(s.Path(chain))
	return err == nil && st.IsDir()
}

// Create makes the snapshot chain by calling apply on an empty temporary
// directory (mode 0755) and renaming it into place when apply returns nil.
// It returns false, without calling apply, when the snapshot exists
// already, including when another process made it while this one waited
// for the snapshot's lock. On error nothing is left behind.
func (s *Store) Create(ctx context.Context, chain digest.Digest, apply func(dir string) error) (created bool, err error) {
	if err := chain.Validate(); err != nil {
		return false, fmt.Errorf("create snapshot %q: %v: %w", chain, err, errdefs.ErrInvalidArgument)
	}
	if s.Exists(chain) {
		return false, nil
	}
	unlock, err := lockFile(ctx, filepath.Join(s.root, lockDir, chain.Encoded()))
	if err != nil {
		return false, fmt.Errorf("create snapshot %s: %w", chain, err)
	}
	defer unlock()
	if s.Exists(chain) {
		return false, nil
	}
	tmp, err := os.MkdirTemp(filepath.Join(s.root, tmpDir), chain.Encoded()[:12]+"-")
	if err != nil {
		return false, fmt.Errorf("create snapshot %s: %w", chain, err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	if err := os.Chmod(tmp, 0o755); err != nil {
		return false, fmt.Errorf("create snapshot %s: %w", chain, err)
	}
	if err := apply(tmp); err != nil {
		return false, fmt.Errorf("create snapshot %s: %w", chain, err)
	}
	if err := os.Rename(tmp, s.Path(chain)); err != nil {
		return false, fmt.Errorf("create snapshot %s: %w", chain, err)
	}
	return true, nil
}

// Remove deletes the snapshot chain. A missing snapshot is not an error.
// The caller makes sure nothing uses it (no mount, no image that needs it).
func (s *Store) Remove(chain digest.Digest) error {
	if err := chain.Validate(); err != nil {
		return fmt.Errorf("remove snapshot %q: %v: %w", chain, err, errdefs.ErrInvalidArgument)
	}
	return removeDir(s.Path(chain), filepath.Join(s.root, tmpDir))
}

// removeDir renames dir into the temporary area before deleting it, so a
// crash midway never leaves a half-deleted tree under a snapshot's name.
func removeDir(dir, tmpArea string) error {
	doomed, err := os.MkdirTemp(tmpArea, "rm-")
	if err != nil {
		return fmt.Errorf("remove %s: %w", dir, err)
	}
	target := filepath.Join(doomed, "d")
	if err := os.Rename(dir, target); err != nil {
		os.Remove(doomed)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("remove %s: %w", dir, err)
	}
	if err := os.RemoveAll(doomed); err != nil {
		return fmt.Errorf("remove %s: %w", dir, err)
	}
	return nil
}

// List returns the chain IDs of the complete snapshots on disk.
func (s *Store) List() ([]digest.Digest, error) {
	entries, err := os.ReadDir(s.root)
	if err != nil {
		return nil, fmt.Errorf("list snapshots: %w", err)
	}
	var out []digest.Digest
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		d := digest.NewDigestFromEncoded(digest.SHA256, e.Name())
		if d.Validate() == nil {
			out = append(out, d)
		}
	}
	return out, nil
}

// Temps lists the temporary directories that no creator holds: what
// processes killed while creating or removing a snapshot left. It is meant
// for a repair that runs while no snapshot is being created (the engine's
// exclusive store lock), and then every temporary directory is stale.
func (s *Store) Temps() ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(s.root, tmpDir))
	if err != nil {
		return nil, fmt.Errorf("list snapshot temporaries: %w", err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, filepath.Join(s.root, tmpDir, e.Name()))
	}
	return out, nil
}

// PruneLocks removes the lock files of snapshots that do not exist. Like
// Temps, it is for a caller that excludes creators.
func (s *Store) PruneLocks() error {
	entries, err := os.ReadDir(filepath.Join(s.root, lockDir))
	if err != nil {
		return fmt.Errorf("prune snapshot locks: %w", err)
	}
	for _, e := range entries {
		if _, err := os.Lstat(filepath.Join(s.root, e.Name())); errors.Is(err, fs.ErrNotExist) {
			if err := os.Remove(filepath.Join(s.root, lockDir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("prune snapshot locks: %w", err)
			}
		}
	}
	return nil
}
