package layer

import (
	"archive/tar"
	"errors"
	"strings"

	"golang.org/x/sys/unix"
)

const paxXattr = "SCHILY.xattr."

// metadata sets owner, mode, xattrs and (for non-directories) times of
// the entry at p. The order matters: chown clears setuid bits and file
// capabilities, so mode and xattrs come after it. Owner and mode are
// changed only when they differ from what creating the entry gave: a
// stat is much cheaper than a chown or chmod, which dirty the inode.
func (a *applier) metadata(p string, hdr *tar.Header, isDir bool) error {
	n, err := a.fs.at(p)
	if err != nil {
		return err
	}
	return a.metadataAt(n, hdr, isDir)
}

func (a *applier) metadataAt(n node, hdr *tar.Header, isDir bool) error {
	var st unix.Stat_t
	if err := a.fs.stat(n, &st); err != nil {
		return err
	}
	chowned := false
	if !a.o.Rootless {
		uid, gid, err := a.o.owner(n.path, hdr.Uid, hdr.Gid)
		if err != nil {
			return err
		}
		if chowned = int(st.Uid) != uid || int(st.Gid) != gid; chowned {
			if err := a.fs.lchown(n, uid, gid); err != nil {
				return err
			}
		}
	}
	if hdr.Typeflag != tar.TypeSymlink {
		mode := uint32(hdr.Mode) & 0o7777
		if isDir && a.o.Rootless {
			mode |= 0o700 // until finish: the rest of the layer may write here
		}
		// A chown keeps the permission bits and may clear setuid and setgid.
		if st.Mode&0o7777 != mode || chowned && mode&0o6000 != 0 {
			if err := a.fs.chmod(n, mode); err != nil {
				return err
			}
		}
	}
	if err := a.xattrs(n, hdr); err != nil {
		return err
	}
	if isDir {
		return nil // set in finish, once the content is in place
	}
	return a.fs.utimes(n, atimeOf(hdr), hdr.ModTime)
}

func (a *applier) xattrs(n node, hdr *tar.Header) error {
	for k, v := range hdr.PAXRecords {
		name, ok := strings.CutPrefix(k, paxXattr)
		if !ok {
			continue
		}
		if isOverlayXattr(name) {
			// Only the applier itself may tell overlayfs what a layer
			// hides or redirects.
			a.o.warn("skipped xattr %s of %s: reserved for overlayfs", name, n.path)
			continue
		}
		value := []byte(v)
		if name == "security.capability" && len(a.o.UIDMap) > 0 && !a.o.Rootless {
			value = namespacedCapability(value, a.fs.parentUID)
		}
		err := a.fs.setxattr(n, name, value)
		if errors.Is(err, unix.ENOTSUP) || errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
			a.o.warn("skipped xattr %s of %s: %v", name, n.path, err)
			continue
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// dropXattrs removes from a directory kept from a lower layer the xattrs
// its new entry does not carry: the entry's attributes replace the old.
func (a *applier) dropXattrs(p string, hdr *tar.Header) error {
	n, err := a.fs.at(p)
	if err != nil {
		return err
	}
	names, err := a.fs.xattrNames(n)
	if err != nil {
		return err
	}
	for _, name := range names {
		if _, keep := hdr.PAXRecords[paxXattr+name]; keep || isOverlayXattr(name) {
			continue
		}
		if err := a.fs.removexattr(n, name); err != nil && !errors.Is(err, unix.EPERM) {
			return err
		}
	}
	return nil
}

func isOverlayXattr(name string) bool {
	return strings.HasPrefix(name, "trusted.overlay.") || strings.HasPrefix(name, "user.overlay.")
}

// finish sets the times (and, rootless, the final modes) of the layer's
// directories, last first, now that nothing more is written into them.
func (a *applier) finish() error {
	for i := len(a.dirs) - 1; i >= 0; i-- {
		m := a.dirs[i]
		if m.gone {
			continue
		}
		st, ok, err := a.fs.lstat(m.path)
		if err != nil {
			return err
		}
		if !ok || st.Mode&unix.S_IFMT != unix.S_IFDIR {
			continue // removed or replaced by a later entry
		}
		n, err := a.fs.existing(m.path)
		if err != nil {
			return err
		}
		if m.fixMode {
			if err := a.fs.chmod(n, m.mode); err != nil {
				return err
			}
		}
		if err := a.fs.utimes(n, m.atime, m.mtime); err != nil {
			return err
		}
	}
	return nil
}
