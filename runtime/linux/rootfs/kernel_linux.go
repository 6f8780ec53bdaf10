package rootfs

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// kernel is the real Kernel.
type kernel struct{}

// Host returns the Kernel that makes the real system calls.
func Host() Kernel { return kernel{} }

func (kernel) Mount(source, target, fstype string, flags uintptr, data string) error {
	if err := unix.Mount(source, target, fstype, flags, data); err != nil {
		return &os.PathError{Op: fmt.Sprintf("mount %q (flags %s)", source, msFlagString(flags)), Path: target, Err: err}
	}
	return nil
}

// ReadFile reads a (proc) file with one large buffer: the kernel renders
// mountinfo again for every read(2), and os.ReadFile starts small.
func (kernel) ReadFile(p string) ([]byte, error) {
	fd, err := unix.Open(p, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: p, Err: err}
	}
	defer unix.Close(fd)
	buf := make([]byte, 64<<10)
	n := 0
	for {
		if n == len(buf) {
			buf = append(buf, make([]byte, len(buf))...)
		}
		m, err := unix.Read(fd, buf[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "read", Path: p, Err: err}
		}
		if m == 0 {
			return buf[:n], nil
		}
		n += m
	}
}

func (kernel) FSType(p string) (int64, error) {
	var sfs unix.Statfs_t
	if err := unix.Statfs(p, &sfs); err != nil {
		return 0, &os.PathError{Op: "statfs", Path: p, Err: err}
	}
	return sfs.Type, nil
}

func (kernel) HostStat(p string) (FileInfo, error) {
	var st unix.Stat_t
	if err := unix.Stat(p, &st); err != nil {
		return FileInfo{}, &os.PathError{Op: "stat", Path: p, Err: err}
	}
	return FileInfo{Mode: st.Mode, Rdev: st.Rdev, UID: st.Uid, GID: st.Gid, Dev: st.Dev, Ino: st.Ino}, nil
}

func (kernel) OpenRoot(p string) (Root, error) { return openRoot(p) }

func (kernel) Umask(mask int) int { return unix.Umask(mask) }

// PivotRoot uses pivot_root(".", "."): the old root is stacked on top of
// the new one, which needs no put_old directory in the image (which may be
// read-only). The old root is made rslave first so that detaching it does
// not propagate unmounts to the host.
func (kernel) PivotRoot(rootfs string) error {
	oldroot, err := unix.Open("/", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: "/", Err: err}
	}
	defer unix.Close(oldroot)
	newroot, err := unix.Open(rootfs, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: rootfs, Err: err}
	}
	defer unix.Close(newroot)
	if err := unix.Fchdir(newroot); err != nil {
		return &os.PathError{Op: "fchdir", Path: rootfs, Err: err}
	}
	if err := unix.PivotRoot(".", "."); err != nil {
		return &os.PathError{Op: "pivot_root", Path: rootfs, Err: err}
	}
	if err := unix.Fchdir(oldroot); err != nil {
		return &os.PathError{Op: "fchdir", Path: "old root", Err: err}
	}
	if err := unix.Mount("", ".", "", unix.MS_SLAVE|unix.MS_REC, ""); err != nil {
		return &os.PathError{Op: "mount rslave", Path: "old root", Err: err}
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return &os.PathError{Op: "umount", Path: "old root", Err: err}
	}
	if err := unix.Chdir("/"); err != nil {
		return &os.PathError{Op: "chdir", Path: "/", Err: err}
	}
	return nil
}

// MoveRoot is runc's --no-pivot: chroot(2) leaves the host's mounts in the
// namespace, and the kernel refuses a new procfs or sysfs mount (in nested
// containers) while a fully visible one exists there, so those are hidden
// first; then the rootfs is moved onto "/".
func (k kernel) MoveRoot(rootfs string) error {
	info, err := k.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return err
	}
	mounts, err := parseMountinfo(info)
	if err != nil {
		return err
	}
	real := rootfs
	if p, err := filepath.EvalSymlinks(rootfs); err == nil {
		real = p // mountinfo has canonical paths
	}
	for _, m := range mounts {
		if m.Root != "/" || (m.FSType != "proc" && m.FSType != "sysfs") || under(m.Mountpoint, real) {
			continue
		}
		if err := hideMount(m.Mountpoint); err != nil {
			return err
		}
	}
	if err := unix.Chdir(rootfs); err != nil {
		return &os.PathError{Op: "chdir", Path: rootfs, Err: err}
	}
	if err := unix.Mount(rootfs, "/", "", unix.MS_MOVE, ""); err != nil {
		return &os.PathError{Op: "mount move", Path: rootfs, Err: err}
	}
	if err := unix.Chroot("."); err != nil {
		return &os.PathError{Op: "chroot", Path: rootfs, Err: err}
	}
	if err := unix.Chdir("/"); err != nil {
		return &os.PathError{Op: "chdir", Path: "/", Err: err}
	}
	return nil
}

// hideMount detaches a host procfs or sysfs mount, or covers it with an
// empty tmpfs where it may not be unmounted (a locked mount in a user
// namespace).
func hideMount(p string) error {
	if err := unix.Mount("", p, "", unix.MS_SLAVE|unix.MS_REC, ""); err != nil {
		if err == unix.ENOENT || err == unix.EINVAL {
			return nil // under a mount detached already
		}
		return &os.PathError{Op: "mount rslave", Path: p, Err: err}
	}
	err := unix.Unmount(p, unix.MNT_DETACH)
	if err == unix.EINVAL || err == unix.EPERM {
		err = unix.Mount("tmpfs", p, "tmpfs", unix.MS_RDONLY, "size=0")
	}
	if err != nil {
		return &os.PathError{Op: "hide host mount", Path: p, Err: err}
	}
	return nil
}

// under reports whether host path p is dir or inside it.
func under(p, dir string) bool {
	return p == dir || (len(p) > len(dir) && p[:len(dir)] == dir && (dir == "/" || p[len(dir)] == '/'))
}

// ReopenDevNull replaces the standard descriptors that refer to the host's
// /dev/null by the container's, so that nothing of the host stays open.
func (kernel) ReopenDevNull() error {
	fd, err := unix.Open("/dev/null", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: "/dev/null", Err: err}
	}
	defer unix.Close(fd)
	var null unix.Stat_t
	if err := unix.Fstat(fd, &null); err != nil {
		return &os.PathError{Op: "fstat", Path: "/dev/null", Err: err}
	}
	for std := 0; std < 3; std++ {
		var st unix.Stat_t
		if err := unix.Fstat(std, &st); err != nil {
			continue // closed: nothing to replace
		}
		if st.Mode&unix.S_IFMT == unix.S_IFCHR && st.Rdev == null.Rdev && st.Dev != null.Dev {
			if err := unix.Dup3(fd, std, 0); err != nil {
				return &os.SyscallError{Syscall: fmt.Sprintf("dup3 /dev/null onto %d", std), Err: err}
			}
		}
	}
	return nil
}
