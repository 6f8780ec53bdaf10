package rootfs

import (
	"errors"
	"os"
	"path"
	"strings"

	"golang.org/x/sys/unix"
)

// inRoot resolves like chroot(2) would: ".." and absolute symlinks stop at
// the root, and magic links (/proc/self/root and friends) are refused.
const inRoot = unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS

// maxSymlinks is the kernel's limit on symlinks followed in one lookup.
const maxSymlinks = 40

// relPath makes a container path relative to the root for openat2(2).
func relPath(p string) string {
	if r := strings.TrimLeft(p, "/"); r != "" {
		return r
	}
	return "."
}

// openIn opens p inside the root with openat2(2) RESOLVE_IN_ROOT. The
// kernel asks for a retry (EAGAIN) when a rename raced the lookup.
func (r *root) openIn(p string, flags int) (int, error) {
	how := unix.OpenHow{Flags: uint64(flags | unix.O_CLOEXEC), Resolve: inRoot}
	for i := 0; ; i++ {
		fd, err := unix.Openat2(r.fd, relPath(p), &how)
		if (err == unix.EAGAIN && i < 32) || err == unix.EINTR {
			continue
		}
		if err != nil {
			return -1, &os.PathError{Op: "openat2", Path: p, Err: err}
		}
		return fd, nil
	}
}

// dir returns an O_PATH descriptor of directory p, creating it and its
// missing parents. The descriptor stays owned by r (cached until the next
// mount changes what paths resolve to); callers must not close it.
func (r *root) dir(p string) (int, error) {
	if fd, ok := r.dirs[p]; ok {
		return fd, nil
	}
	fd, err := r.openIn(p, unix.O_PATH|unix.O_DIRECTORY)
	if errors.Is(err, unix.ENOENT) {
		fd, err = r.create(p, nil)
	}
	if err != nil {
		return -1, err
	}
	r.dirs[p] = fd
	return fd, nil
}

// forget drops the cached directories: a mount changes what they resolve to.
func (r *root) forget() {
	for p, fd := range r.dirs {
		unix.Close(fd)
		delete(r.dirs, p)
	}
}

// parent returns the (cached) directory holding p and p's last component.
func (r *root) parent(p string) (int, string, error) {
	dir, name := path.Split(p)
	if name == "" {
		return -1, "", &os.PathError{Op: "resolve", Path: p, Err: unix.EINVAL}
	}
	fd, err := r.dir(path.Clean(dir))
	return fd, name, err
}

// create resolves p inside the root one component at a time, as
// RESOLVE_IN_ROOT does, creating what is missing: directories on the way
// and, for the last component, whatever last makes (a directory when nil).
// Every component is opened with O_NOFOLLOW from the descriptor of its
// parent and symlinks are expanded here, so nothing, even a symlink swapped
// in concurrently, leads out of the root. It returns an O_PATH descriptor
// of the result, which the caller closes.
func (r *root) create(p string, last func(dirfd int, name string) error) (int, error) {
	stack := []int{r.fd} // stack[0] is the root and is never closed
	defer func() {
		for _, fd := range stack[1:] {
			unix.Close(fd)
		}
	}()
	todo := strings.Split(relPath(p), "/")
	links := 0
	for len(todo) > 0 {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(stack) > 1 {
				unix.Close(stack[len(stack)-1])
				stack = stack[:len(stack)-1]
			}
			continue
		}
		fd, st, err := r.step(stack[len(stack)-1], c, len(todo) == 0, last)
		if err != nil {
			return -1, &os.PathError{Op: "create", Path: p, Err: err}
		}
		if st.Mode&unix.S_IFMT == unix.S_IFLNK {
			target, err := readlinkFd(fd)
			unix.Close(fd)
			if err != nil {
				return -1, &os.PathError{Op: "readlink", Path: p, Err: err}
			}
			if links++; links > maxSymlinks {
				return -1, &os.PathError{Op: "create", Path: p, Err: unix.ELOOP}
			}
			if strings.HasPrefix(target, "/") {
				for _, fd := range stack[1:] {
					unix.Close(fd)
				}
				stack = stack[:1]
			}
			todo = append(strings.Split(target, "/"), todo...)
			continue
		}
		if len(todo) > 0 && st.Mode&unix.S_IFMT != unix.S_IFDIR {
			unix.Close(fd)
			return -1, &os.PathError{Op: "create", Path: p, Err: unix.ENOTDIR}
		}
		stack = append(stack, fd)
	}
	if len(stack) == 1 {
		return unix.FcntlInt(uintptr(r.fd), unix.F_DUPFD_CLOEXEC, 0)
	}
	fd := stack[len(stack)-1]
	stack = stack[:len(stack)-1]
	return fd, nil
}

// createInParent is create's short way for the usual missing mount
// point, whose parent exists: the parent resolved inside the root by the
// kernel (openat2 RESOLVE_IN_ROOT, as openIn resolves any target), the
// last component made and opened from it without following it. Anything
// else (a missing parent, a dangling symlink, an error) is left to create,
// which also says what went wrong: ok is false then.
func (r *root) createInParent(p string, last func(int, string) error) (fd int, ok bool) {
	dir, name := path.Split(path.Clean("/" + p))
	if name == "" || name == "." || name == ".." {
		return -1, false
	}
	pfd, err := r.openIn(dir, unix.O_PATH|unix.O_DIRECTORY)
	if err != nil {
		return -1, false
	}
	defer unix.Close(pfd)
	fd, st, err := r.step(pfd, name, true, last)
	if err != nil {
		return -1, false
	}
	if st.Mode&unix.S_IFMT == unix.S_IFLNK {
		unix.Close(fd)
		return -1, false
	}
	return fd, true
}

// step opens component c of dirfd without following it, creating it when
// it is missing (with last when it is the final component).
func (r *root) step(dirfd int, c string, final bool, last func(int, string) error) (int, unix.Stat_t, error) {
	var st unix.Stat_t
	for try := 0; try < 2; try++ {
		fd, err := unix.Openat(dirfd, c, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err == nil {
			if err := unix.Fstat(fd, &st); err != nil {
				unix.Close(fd)
				return -1, st, err
			}
			return fd, st, nil
		}
		if err != unix.ENOENT {
			return -1, st, err
		}
		if final && last != nil {
			err = last(dirfd, c)
		} else {
			err = unix.Mkdirat(dirfd, c, 0o755)
		}
		if err != nil && err != unix.EEXIST {
			return -1, st, err
		}
	}
	return -1, st, unix.ENOENT
}

// readlinkFd reads the symlink an O_PATH|O_NOFOLLOW descriptor refers to.
func readlinkFd(fd int) (string, error) {
	buf := make([]byte, 256)
	for {
		n, err := unix.Readlinkat(fd, "", buf)
		if err != nil {
			return "", err
		}
		if n < len(buf) {
			return string(buf[:n]), nil
		}
		buf = make([]byte, 2*len(buf))
	}
}

// resolveKind says what create makes at the last component of a mount
// destination that does not exist.
type resolveKind int

const (
	kindDir resolveKind = iota
	kindFile
)

// target returns an O_PATH descriptor of the mount destination p, creating
// a directory or an empty file there when it is missing. With strict, the
// last component must be a real directory (not followed if a symlink). A
// destination that resolves to the root itself is refused.
func (r *root) target(p string, kind resolveKind, strict bool) (int, error) {
	flags := unix.O_PATH
	if strict {
		flags |= unix.O_NOFOLLOW
	}
	fd, err := r.openIn(p, flags)
	if errors.Is(err, unix.ENOENT) {
		var last func(int, string) error
		if kind == kindFile {
			last = createEmpty
		}
		var ok bool
		if fd, ok = r.createInParent(p, last); ok {
			err = nil
		} else {
			fd, err = r.create(p, last)
		}
	}
	if err != nil {
		return -1, err
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return -1, &os.PathError{Op: "fstat", Path: p, Err: err}
	}
	if st.Dev == r.dev && st.Ino == r.ino {
		unix.Close(fd)
		return -1, &os.PathError{Op: "mount", Path: p, Err: errIsRoot}
	}
	if strict && st.Mode&unix.S_IFMT != unix.S_IFDIR {
		unix.Close(fd)
		return -1, &os.PathError{Op: "mount", Path: p, Err: errNotRealDir}
	}
	return fd, nil
}

var errIsRoot = errors.New("destination resolves to the container's root (through a symlink); a mount there would cover the rootfs")

var errNotRealDir = errors.New("procfs and sysfs must be mounted on a real directory, not a symlink or a file")

// createEmpty makes an empty regular file as a bind mount target; it never
// follows a symlink and never truncates.
func createEmpty(dirfd int, name string) error {
	fd, err := unix.Openat(dirfd, name, unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_WRONLY|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return err
	}
	return unix.Close(fd)
}
