package layer

import (
	"errors"
	"fmt"
	"path"

	"github.com/berth-oci/berth/errdefs"
	"golang.org/x/sys/unix"
)

// whiteout deletes target as left by lower layers. What this layer wrote
// at or under target stays: a whiteout hides only lower entries, whatever
// its place in the tar.
func (a *applier) whiteout(target string) error {
	if a.o.Format == Overlay {
		return a.overlayWhiteout(target)
	}
	st, ok, err := a.fs.lstat(target)
	if err != nil || !ok {
		return err
	}
	if a.seen[target] == 0 {
		return a.fs.remove(target)
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return a.prune(target)
	}
	return nil
}

// opaque hides everything lower layers left in dir.
func (a *applier) opaque(dir string) error {
	if a.seen[dir] == 0 && dir != "." {
		a.mark(dir, seenAncestor)
	}
	if _, err := a.fs.dir(dir, true); err != nil {
		return fmt.Errorf("opaque directory %s: %w", dir, err)
	}
	if a.o.Format == Overlay {
		return a.setOpaque(dir)
	}
	return a.prune(dir)
}

// prune removes from dir every entry this layer did not write, and
// descends into the directories it did, whose lower content is hidden too.
func (a *applier) prune(dir string) error {
	names, err := a.fs.readDir(dir)
	if err != nil {
		return err
	}
	for _, name := range names {
		p := path.Join(dir, name)
		if a.seen[p] == 0 {
			if err := a.fs.remove(p); err != nil {
				return err
			}
			continue
		}
		st, ok, err := a.fs.lstat(p)
		if err != nil {
			return err
		}
		if ok && st.Mode&unix.S_IFMT == unix.S_IFDIR {
			if err := a.prune(p); err != nil {
				return err
			}
		}
	}
	return nil
}

// overlayWhiteout records a deletion the way overlayfs reads it from a
// layer directory: a 0/0 character device in place of the entry.
func (a *applier) overlayWhiteout(target string) error {
	if a.seen[target] == seenEntry || a.seen[target] == seenAncestor {
		// This layer's own entry already hides the lower one, unless it
		// is a directory, which overlayfs would merge: make it opaque.
		st, ok, err := a.fs.lstat(target)
		if err != nil || !ok || st.Mode&unix.S_IFMT != unix.S_IFDIR {
			return err
		}
		return a.setOpaque(target)
	}
	err := a.replace(target, func() error {
		_, err := a.fs.mknod(target, unix.S_IFCHR, 0)
		return err
	})
	if errors.Is(err, unix.EPERM) {
		return fmt.Errorf("whiteout %s: creating an overlay whiteout device needs CAP_MKNOD (in some user namespace): %w", target, errdefs.ErrFailedPrecondition)
	}
	if err != nil {
		return fmt.Errorf("whiteout %s: %w", target, err)
	}
	a.mark(target, seenWhiteout)
	return nil
}

func (a *applier) setOpaque(dir string) error {
	n, err := a.fs.at(dir)
	if err != nil {
		return err
	}
	name := "trusted.overlay.opaque"
	if a.o.Rootless {
		name = "user.overlay.opaque"
	}
	if err := a.fs.setxattr(n, name, []byte("y")); err != nil {
		return fmt.Errorf("opaque directory %s: %w", dir, err)
	}
	return nil
}
