package rootfs

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// Mount creates the filesystem detached (fsopen, fsconfig, fsmount) and
// attaches it onto the resolved destination.
func (r *root) Mount(p string, fs *FS) error {
	fsfd, err := unix.Fsopen(fs.Type, unix.FSOPEN_CLOEXEC)
	if err != nil {
		if err == unix.ENODEV {
			err = fmt.Errorf("unknown filesystem type %q: %w", fs.Type, err)
		}
		return &os.PathError{Op: "fsopen " + fs.Type, Path: p, Err: err}
	}
	defer unix.Close(fsfd)
	if fs.Source != "" {
		if err := unix.FsconfigSetString(fsfd, "source", fs.Source); err != nil {
			return fsError(fsfd, "fsconfig source="+fs.Source, p, err)
		}
	}
	if err := configure(fsfd, p, fs); err != nil {
		return err
	}
	if err := unix.FsconfigCreate(fsfd); err != nil {
		return fsError(fsfd, "create "+fs.Type+" superblock", p, err)
	}
	mfd, err := unix.Fsmount(fsfd, unix.FSMOUNT_CLOEXEC, int(fs.Attr))
	if err != nil {
		return &os.PathError{Op: "fsmount " + attrString(fs.Attr), Path: p, Err: err}
	}
	defer unix.Close(mfd)
	if err := setIdmap(mfd, p, fs.Idmap); err != nil {
		return err
	}
	return r.attach(p, mfd, attachment{kind: kindDir, strict: fs.Strict, onProc: fs.OnProc, copyUp: fs.CopyUp, prop: fs.Propagation})
}

// configure gives the superblock flags and the filesystem data to an
// fsopen(2) or fspick(2) context.
func configure(fsfd int, p string, fs *FS) error {
	for _, f := range fs.SBFlags {
		if err := unix.FsconfigSetFlag(fsfd, f); err != nil {
			return fsError(fsfd, "fsconfig "+f, p, err)
		}
	}
	for _, d := range fs.Data {
		var err error
		if k, v, ok := strings.Cut(d, "="); ok {
			err = unix.FsconfigSetString(fsfd, k, v)
		} else {
			err = unix.FsconfigSetFlag(fsfd, d)
		}
		if err != nil {
			return fsError(fsfd, "fsconfig "+d, p, err)
		}
	}
	return nil
}

// Bind clones the source (open_tree(2) OPEN_TREE_CLONE), sets the
// attributes on the detached clone and attaches it.
func (r *root) Bind(p string, b *Bind) error {
	mfd, kind, err := r.openSource(b)
	if err != nil {
		return err
	}
	defer unix.Close(mfd)
	if err := setCloneAttr(mfd, b.Source.Path, b.Attr); err != nil {
		return err
	}
	if err := setattr(mfd, b.Source.Path, Change{Attr: b.RecAttr, Recursive: true}); err != nil {
		return err
	}
	if err := setIdmap(mfd, b.Source.Path, b.Idmap); err != nil {
		return err
	}
	return r.attach(p, mfd, attachment{kind: kind, strict: b.Strict, onProc: b.OnProc, prop: b.Propagation})
}

// openSource clones the mount at the source of b and tells whether it is a
// directory.
func (r *root) openSource(b *Bind) (int, resolveKind, error) {
	flags := uint(unix.OPEN_TREE_CLONE | unix.O_CLOEXEC)
	if b.Recursive {
		flags |= unix.AT_RECURSIVE
	}
	src := b.Source
	dirfd, name := unix.AT_FDCWD, src.Path
	if src.InRoot {
		fd, err := r.openIn(src.Path, unix.O_PATH)
		if err != nil {
			return -1, 0, err
		}
		defer unix.Close(fd)
		dirfd, name = fd, ""
		flags |= unix.AT_EMPTY_PATH
	}
	mfd, err := unix.OpenTree(dirfd, name, flags)
	if err != nil {
		return -1, 0, &os.PathError{Op: "open_tree", Path: src.Path, Err: err}
	}
	var st unix.Stat_t
	if err := unix.Fstat(mfd, &st); err != nil {
		unix.Close(mfd)
		return -1, 0, &os.PathError{Op: "fstat", Path: src.Path, Err: err}
	}
	if src.CharDev != 0 && (st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != src.CharDev) {
		unix.Close(mfd)
		return -1, 0, &os.PathError{Op: "bind", Path: src.Path, Err: fmt.Errorf("not the character device %d:%d", unix.Major(src.CharDev), unix.Minor(src.CharDev))}
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return int(mfd), kindDir, nil
	}
	return int(mfd), kindFile, nil
}

// setCloneAttr changes the top mount of a clone. A change that only clears
// flags the clone does not have is skipped: it is the common "rw" on a
// read-write source, and mount_setattr(2) takes the namespace lock.
func setCloneAttr(mfd int, p string, a Attr) error {
	if a.IsZero() {
		return nil
	}
	if a.Set == 0 && a.Clr&atimeMask == 0 {
		var sfs unix.Statfs_t
		if err := unix.Fstatfs(mfd, &sfs); err != nil {
			return &os.PathError{Op: "fstatfs", Path: p, Err: err}
		}
		if statfsAttr(uint64(sfs.Flags))&a.Clr == 0 {
			return nil
		}
	}
	return setattr(mfd, p, Change{Attr: a})
}

// stNoSymfollow is ST_NOSYMFOLLOW (Linux 5.10), which x/sys/unix lacks.
const stNoSymfollow = 0x2000

// statfsAttr translates statfs(2) ST_* flags into MOUNT_ATTR_* bits.
func statfsAttr(f uint64) uint64 {
	var a uint64
	for _, m := range []struct{ st, attr uint64 }{
		{unix.ST_RDONLY, unix.MOUNT_ATTR_RDONLY},
		{unix.ST_NOSUID, unix.MOUNT_ATTR_NOSUID},
		{unix.ST_NODEV, unix.MOUNT_ATTR_NODEV},
		{unix.ST_NOEXEC, unix.MOUNT_ATTR_NOEXEC},
		{unix.ST_NODIRATIME, unix.MOUNT_ATTR_NODIRATIME},
		{stNoSymfollow, unix.MOUNT_ATTR_NOSYMFOLLOW},
	} {
		if f&m.st != 0 {
			a |= m.attr
		}
	}
	return a
}

// attachment says how a detached mount is attached.
type attachment struct {
	kind           resolveKind
	strict, onProc bool
	copyUp         bool
	prop           []Propagation
}

// attach moves the detached mount mfd onto the destination p resolved in
// the root, checks that p now leads to it, and applies propagation.
func (r *root) attach(p string, mfd int, a attachment) error {
	if p == "/" {
		return &os.PathError{Op: "mount", Path: p, Err: errors.New("a mount cannot cover the container's root; set root.path instead")}
	}
	dfd, err := r.target(p, a.kind, a.strict)
	if err != nil {
		return err
	}
	defer unix.Close(dfd)
	if !a.onProc {
		var sfs unix.Statfs_t
		if err := unix.Fstatfs(dfd, &sfs); err != nil {
			return &os.PathError{Op: "fstatfs", Path: p, Err: err}
		}
		if sfs.Type == unix.PROC_SUPER_MAGIC {
			return &os.PathError{Op: "mount", Path: p, Err: errors.New("destination is inside procfs")}
		}
	}
	if a.copyUp {
		if err := copyUp(dfd, mfd, p); err != nil {
			return err
		}
	}
	if err := unix.MoveMount(mfd, "", dfd, "", unix.MOVE_MOUNT_F_EMPTY_PATH|unix.MOVE_MOUNT_T_EMPTY_PATH); err != nil {
		return &os.PathError{Op: "move_mount", Path: p, Err: err}
	}
	r.forget()
	if err := r.verify(p, mfd); err != nil {
		return err
	}
	for _, pr := range a.prop {
		if err := setattr(mfd, p, Change{Propagation: pr.Type, Recursive: pr.Recursive}); err != nil {
			return err
		}
	}
	return nil
}

// verify checks, after the fact, that p resolved inside the root now leads
// to the mount just attached: a destination swapped while it was mounted
// would show here.
func (r *root) verify(p string, mfd int) error {
	var want, got unix.Statx_t
	if err := unix.Statx(mfd, "", unix.AT_EMPTY_PATH, unix.STATX_MNT_ID_UNIQUE, &want); err != nil {
		return &os.PathError{Op: "statx", Path: p, Err: err}
	}
	fd, err := r.openIn(p, unix.O_PATH)
	if err != nil {
		return fmt.Errorf("verify mount: %w", err)
	}
	defer unix.Close(fd)
	if err := unix.Statx(fd, "", unix.AT_EMPTY_PATH, unix.STATX_MNT_ID_UNIQUE, &got); err != nil {
		return &os.PathError{Op: "statx", Path: p, Err: err}
	}
	if want.Mnt_id != got.Mnt_id {
		return &os.PathError{Op: "verify mount", Path: p, Err: errors.New("the path does not lead to the new mount (destination changed while mounting)")}
	}
	return nil
}
