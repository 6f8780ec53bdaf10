package rootfs

import (
	"errors"
	"fmt"
	"os"
	"path"

	"golang.org/x/sys/unix"
)

// root is the kernel's Root: every path is resolved inside fd.
type root struct {
	fd   int    // O_PATH descriptor of the root directory
	dev  uint64 // identity of the root directory, with ino
	ino  uint64
	dirs map[string]int // resolved parent directories, until the next mount
}

func openRoot(p string) (*root, error) {
	fd, err := unix.Open(p, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: p, Err: err}
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, &os.PathError{Op: "fstat", Path: p, Err: err}
	}
	return &root{fd: fd, dev: st.Dev, ino: st.Ino, dirs: map[string]int{}}, nil
}

func (r *root) Close() error {
	r.forget()
	if err := unix.Close(r.fd); err != nil {
		return &os.PathError{Op: "close", Path: "/", Err: err}
	}
	return nil
}

func (r *root) Stat(p string) (FileInfo, error) {
	fd, err := r.openIn(p, unix.O_PATH)
	if err != nil {
		return FileInfo{}, err
	}
	defer unix.Close(fd)
	return fstatInfo(fd, p)
}

func fstatInfo(fd int, p string) (FileInfo, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return FileInfo{}, &os.PathError{Op: "fstat", Path: p, Err: err}
	}
	return FileInfo{Mode: st.Mode, Rdev: st.Rdev, UID: st.Uid, GID: st.Gid, Dev: st.Dev, Ino: st.Ino}, nil
}

func (r *root) MkdirAll(p string, mode uint32) error {
	fd, err := r.openIn(p, unix.O_PATH|unix.O_DIRECTORY)
	if errors.Is(err, unix.ENOENT) {
		fd, err = r.create(p, func(dirfd int, name string) error { return unix.Mkdirat(dirfd, name, mode) })
	}
	if err != nil {
		return err
	}
	return unix.Close(fd)
}

func (r *root) Mknod(p string, mode uint32, dev uint64) error {
	dirfd, name, err := r.parent(p)
	if err != nil {
		return err
	}
	if err := unix.Mknodat(dirfd, name, mode, int(dev)); err != nil {
		return &os.PathError{Op: "mknod", Path: p, Err: err}
	}
	return nil
}

func (r *root) Lchown(p string, uid, gid uint32) error {
	dirfd, name, err := r.parent(p)
	if err != nil {
		return err
	}
	if err := unix.Fchownat(dirfd, name, int(uid), int(gid), unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &os.PathError{Op: "lchown", Path: p, Err: err}
	}
	return nil
}

func (r *root) Symlink(target, p string) error {
	dirfd, name, err := r.parent(p)
	if err != nil {
		return err
	}
	if err := unix.Symlinkat(target, dirfd, name); err != nil {
		return &os.PathError{Op: "symlink", Path: p, Err: err}
	}
	return nil
}

func (r *root) Unlink(p string) error {
	dirfd, name, err := r.parent(p)
	if err != nil {
		return err
	}
	if err := unix.Unlinkat(dirfd, name, 0); err != nil {
		return &os.PathError{Op: "unlink", Path: p, Err: err}
	}
	return nil
}

// Change calls mount_setattr(2) on the mount whose root p resolves to.
func (r *root) Change(p string, c Change) error {
	fd, err := r.openIn(p, unix.O_PATH)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	return setattr(fd, p, c)
}

func setattr(fd int, p string, c Change) error {
	if c.Attr.IsZero() && c.Propagation == 0 {
		return nil
	}
	flags := uint(unix.AT_EMPTY_PATH)
	if c.Recursive {
		flags |= unix.AT_RECURSIVE
	}
	attr := unix.MountAttr{Attr_set: c.Attr.Set, Attr_clr: c.Attr.Clr, Propagation: c.Propagation}
	if err := unix.MountSetattr(fd, "", flags, &attr); err != nil {
		return &os.PathError{Op: "mount_setattr " + describeChange(c), Path: p, Err: err}
	}
	return nil
}

// Reconfigure remounts the superblock at p (fspick(2), fsconfig(2)
// FSCONFIG_CMD_RECONFIGURE), then sets the mount attributes.
func (r *root) Reconfigure(p string, fs *FS) error {
	fd, err := r.openIn(p, unix.O_PATH)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if len(fs.SBFlags) > 0 || len(fs.Data) > 0 {
		fsfd, err := unix.Fspick(fd, "", unix.FSPICK_EMPTY_PATH|unix.FSPICK_CLOEXEC)
		if err != nil {
			return &os.PathError{Op: "fspick", Path: p, Err: err}
		}
		defer unix.Close(fsfd)
		if err := configure(fsfd, p, fs); err != nil {
			return err
		}
		if err := unix.FsconfigReconfigure(fsfd); err != nil {
			return fsError(fsfd, "fsconfig reconfigure", p, err)
		}
	}
	return setattr(fd, p, Change{Attr: Attr{Set: fs.Attr}})
}

// WriteSysctl writes /proc/sys/key. /proc/sys must be procfs, and key is
// opened beneath it without symlinks or mount crossings, so neither the
// image nor a mount can redirect the write.
func (r *root) WriteSysctl(key, value string) error {
	dirfd, err := r.openIn("/proc/sys", unix.O_PATH|unix.O_DIRECTORY)
	if err != nil {
		return err
	}
	defer unix.Close(dirfd)
	var sfs unix.Statfs_t
	if err := unix.Fstatfs(dirfd, &sfs); err != nil {
		return &os.PathError{Op: "fstatfs", Path: "/proc/sys", Err: err}
	}
	if sfs.Type != unix.PROC_SUPER_MAGIC {
		return &os.PathError{Op: "sysctl", Path: "/proc/sys", Err: errors.New("not procfs")}
	}
	p := path.Join("/proc/sys", key)
	how := unix.OpenHow{
		Flags:   unix.O_WRONLY | unix.O_TRUNC | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_XDEV | unix.RESOLVE_NO_MAGICLINKS,
	}
	fd, err := unix.Openat2(dirfd, key, &how)
	if err != nil {
		return &os.PathError{Op: "open", Path: p, Err: err}
	}
	_, werr := unix.Write(fd, []byte(value))
	cerr := unix.Close(fd)
	if werr != nil {
		return &os.PathError{Op: "write", Path: p, Err: werr}
	}
	if cerr != nil {
		return &os.PathError{Op: "close", Path: p, Err: cerr}
	}
	return nil
}

// fsError wraps a failed fsconfig(2) step with the kernel's own message,
// which it queues on the filesystem context ("e tmpfs: Bad value for 'size'").
func fsError(fsfd int, op, p string, err error) error {
	buf := make([]byte, 512)
	var msgs string
	for {
		n, rerr := unix.Read(fsfd, buf)
		if rerr != nil || n <= 0 {
			break
		}
		msg := string(buf[:n])
		if len(msg) > 2 && msg[1] == ' ' {
			msg = msg[2:]
		}
		if msgs != "" {
			msgs += "; "
		}
		msgs += trimNewline(msg)
	}
	if msgs != "" {
		err = fmt.Errorf("%w (%s)", err, msgs)
	}
	return &os.PathError{Op: op, Path: p, Err: err}
}

func trimNewline(s string) string {
	for len(s) > 0 && s[len(s)-1] == '\n' {
		s = s[:len(s)-1]
	}
	return s
}
