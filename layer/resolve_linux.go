package layer

import (
	"errors"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// maxSymlinks is how many symlinks one resolution follows, as the kernel's
// MAXSYMLINKS.
const maxSymlinks = 40

// resolver opens paths inside a root directory as if the root were "/":
// symlinks are followed but ".." and absolute targets never leave it. It
// uses openat2(RESOLVE_IN_ROOT) and falls back to a walk of its own on
// kernels without openat2.
type resolver struct {
	root     int // O_PATH fd of the root, owned by the caller
	noOpenat bool
}

// mkdirFunc creates directory name in dirfd; rel is its path from the
// root, symlinks on the way resolved.
type mkdirFunc func(dirfd int, rel, name string) error

// openDir returns a new O_PATH fd of directory p (clean, relative; "." is
// the root). With mkdir set, missing directories on the way are created
// by calling it.
func (r *resolver) openDir(p string, mkdir mkdirFunc) (int, error) {
	if !r.noOpenat {
		fd, err := r.openat2(p)
		switch {
		case err == nil:
			return fd, nil
		case errors.Is(err, unix.ENOSYS):
			r.noOpenat = true
		case errors.Is(err, unix.ENOENT) && mkdir != nil:
			// Fall through to the walk, which creates what is missing.
		default:
			return -1, &os.PathError{Op: "openat2", Path: p, Err: err}
		}
	}
	return r.walk(p, mkdir)
}

func (r *resolver) openat2(p string) (int, error) {
	how := unix.OpenHow{
		Flags:   unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	}
	for range 16 {
		fd, err := unix.Openat2(r.root, p, &how)
		if err != unix.EAGAIN && err != unix.EINTR { // EAGAIN: a rename raced the lookup
			return fd, err
		}
	}
	return -1, unix.EAGAIN
}

// walk resolves p one component at a time with O_NOFOLLOW, reading each
// symlink itself and splicing its target into the rest of the path. The
// directories walked so far are kept as a stack of fds, so ".." pops the
// stack (and stops at the root) instead of asking the kernel for a parent
// that a rename could have moved out of the root.
func (r *resolver) walk(p string, mkdir mkdirFunc) (int, error) {
	var stack []int
	var names []string // the path of the top of the stack
	defer func() {
		for _, fd := range stack {
			unix.Close(fd)
		}
	}()
	top := func() int {
		if len(stack) == 0 {
			return r.root
		}
		return stack[len(stack)-1]
	}
	todo := strings.Split(p, "/")
	links := 0
	for len(todo) > 0 {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(stack) > 0 {
				unix.Close(stack[len(stack)-1])
				stack, names = stack[:len(stack)-1], names[:len(names)-1]
			}
			continue
		}
		fd, err := unix.Openat(top(), c, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err == unix.ENOENT && mkdir != nil {
			rel := strings.Join(append(names[:len(names):len(names)], c), "/")
			if err = mkdir(top(), rel, c); err == nil || errors.Is(err, unix.EEXIST) {
				fd, err = unix.Openat(top(), c, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
			}
		}
		if err != nil {
			return -1, &os.PathError{Op: "resolve", Path: p, Err: err}
		}
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			unix.Close(fd)
			return -1, &os.PathError{Op: "fstat", Path: p, Err: err}
		}
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFDIR:
			stack, names = append(stack, fd), append(names, c)
		case unix.S_IFLNK:
			target, err := readlinkFd(fd)
			unix.Close(fd)
			if links++; err == nil && links > maxSymlinks {
				err = unix.ELOOP
			}
			if err != nil {
				return -1, &os.PathError{Op: "resolve", Path: p, Err: err}
			}
			if strings.HasPrefix(target, "/") {
				for _, fd := range stack {
					unix.Close(fd)
				}
				stack, names = nil, nil
			}
			todo = append(strings.Split(target, "/"), todo...)
		default:
			unix.Close(fd)
			return -1, &os.PathError{Op: "resolve", Path: p, Err: unix.ENOTDIR}
		}
	}
	if len(stack) == 0 {
		fd, err := unix.FcntlInt(uintptr(r.root), unix.F_DUPFD_CLOEXEC, 0)
		if err != nil {
			return -1, &os.PathError{Op: "dup", Path: ".", Err: err}
		}
		return fd, nil
	}
	fd := stack[len(stack)-1]
	stack = stack[:len(stack)-1]
	return fd, nil
}

// readlinkFd reads the target of the symlink that an O_PATH fd refers to.
func readlinkFd(fd int) (string, error) {
	return readlinkat(fd, "")
}

func readlinkat(dirfd int, name string) (string, error) {
	for size := 256; ; size *= 2 {
		buf := make([]byte, size)
		n, err := unix.Readlinkat(dirfd, name, buf)
		if err != nil {
			return "", err
		}
		if n < size {
			return string(buf[:n]), nil
		}
		if size > 1<<20 {
			return "", unix.ENAMETOOLONG
		}
	}
}
