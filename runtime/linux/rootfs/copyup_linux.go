package rootfs

import (
	"errors"
	"io"
	"os"
	"path"

	"golang.org/x/sys/unix"
)

// maxCopyDepth bounds the recursion of tmpcopyup into a hostile image.
const maxCopyDepth = 128

// copyUp copies the tree of the destination directory dfd (an O_PATH
// descriptor, before the mount covers it) into the root of the new,
// still detached filesystem mfd (tmpcopyup). Nothing is followed: symlinks
// are copied as symlinks, and every file is opened from its parent's
// descriptor with O_NOFOLLOW.
func copyUp(dfd, mfd int, p string) error {
	src, err := unix.Openat(dfd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "tmpcopyup: open", Path: p, Err: err}
	}
	defer unix.Close(src)
	dst, err := unix.Openat(mfd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "tmpcopyup: open new mount", Path: p, Err: err}
	}
	defer unix.Close(dst)
	return copyDir(src, dst, p, 0)
}

func copyDir(src, dst int, p string, depth int) error {
	if depth > maxCopyDepth {
		return &os.PathError{Op: "tmpcopyup", Path: p, Err: errors.New("directory tree too deep")}
	}
	names, err := readDirNames(src)
	if err != nil {
		return &os.PathError{Op: "tmpcopyup: read directory", Path: p, Err: err}
	}
	for _, name := range names {
		if err := copyEntry(src, dst, name, path.Join(p, name), depth); err != nil {
			return err
		}
	}
	return nil
}

func readDirNames(dirfd int) ([]string, error) {
	fd, err := unix.Openat(dirfd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), ".")
	names, err := f.Readdirnames(-1)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return names, err
}

func copyEntry(src, dst int, name, p string, depth int) error {
	var st unix.Stat_t
	if err := unix.Fstatat(src, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &os.PathError{Op: "tmpcopyup: stat", Path: p, Err: err}
	}
	var err error
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		err = copySubdir(src, dst, name, p, depth)
	case unix.S_IFREG:
		err = copyRegular(src, dst, name)
	case unix.S_IFLNK:
		var target string
		if target, err = readlinkAt(src, name); err == nil {
			err = unix.Symlinkat(target, dst, name)
		}
	case unix.S_IFSOCK:
		return nil // a socket is bound to a process; there is nothing to copy
	default:
		err = unix.Mknodat(dst, name, st.Mode, int(st.Rdev))
	}
	if err != nil {
		return &os.PathError{Op: "tmpcopyup", Path: p, Err: err}
	}
	return copyMeta(dst, name, p, &st)
}

func copySubdir(src, dst int, name, p string, depth int) error {
	if err := unix.Mkdirat(dst, name, 0o700); err != nil {
		return err
	}
	s, err := unix.Openat(src, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(s)
	d, err := unix.Openat(dst, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(d)
	return copyDir(s, d, p, depth+1)
}

func copyRegular(src, dst int, name string) error {
	s, err := unix.Openat(src, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	in := os.NewFile(uintptr(s), name)
	defer in.Close()
	d, err := unix.Openat(dst, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return err
	}
	out := os.NewFile(uintptr(d), name)
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// copyMeta gives the copy the owner, mode and times of the original.
func copyMeta(dst int, name, p string, st *unix.Stat_t) error {
	if err := unix.Fchownat(dst, name, int(st.Uid), int(st.Gid), unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &os.PathError{Op: "tmpcopyup: chown", Path: p, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFLNK {
		if err := unix.Fchmodat(dst, name, st.Mode&0o7777, 0); err != nil {
			return &os.PathError{Op: "tmpcopyup: chmod", Path: p, Err: err}
		}
	}
	ts := []unix.Timespec{st.Atim, st.Mtim}
	if err := unix.UtimesNanoAt(dst, name, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &os.PathError{Op: "tmpcopyup: utimes", Path: p, Err: err}
	}
	return nil
}

func readlinkAt(dirfd int, name string) (string, error) {
	buf := make([]byte, 256)
	for {
		n, err := unix.Readlinkat(dirfd, name, buf)
		if err != nil {
			return "", err
		}
		if n < len(buf) {
			return string(buf[:n]), nil
		}
		buf = make([]byte, 2*len(buf))
	}
}
