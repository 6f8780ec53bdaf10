package layer

import (
	"errors"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// lowerLayers are the layer directories an Overlay-format layer lies on,
// nearest first, read to learn what directory the merged view below shows
// at a path. Every lookup goes component by component without following
// symlinks, so nothing outside those directories is read.
type lowerLayers struct {
	roots []int // O_PATH fds
	names []string
}

func openLowerLayers(dirs []string) (*lowerLayers, error) {
	l := &lowerLayers{names: dirs}
	for _, d := range dirs {
		fd, err := unix.Open(d, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			l.close()
			return nil, &os.PathError{Op: "open lower layer", Path: d, Err: err}
		}
		l.roots = append(l.roots, fd)
	}
	return l, nil
}

func (l *lowerLayers) close() {
	for _, fd := range l.roots {
		unix.Close(fd)
	}
	l.roots = nil
}

// dir reports the attributes and xattrs (overlayfs' own left out) of the
// directory the lower layers show at rel, as overlayfs merges them: the
// nearest layer holding rel decides, a whiteout or non-directory on the
// way hides everything below it, and so does an opaque directory.
func (l *lowerLayers) dir(rel string) (st unix.Stat_t, xattrs map[string][]byte, ok bool, err error) {
	for i, root := range l.roots {
		found, hidden, err := l.lookup(root, rel, &st)
		if err != nil {
			return st, nil, false, &os.PathError{Op: "look up in lower layer " + l.names[i], Path: rel, Err: err}
		}
		if found >= 0 {
			defer unix.Close(found)
			last := rel[strings.LastIndexByte(rel, '/')+1:]
			if xattrs, err = readXattrs(found, last, rel); err != nil {
				return st, nil, false, err
			}
			for k := range xattrs {
				if isOverlayXattr(k) {
					delete(xattrs, k)
				}
			}
			return st, xattrs, true, nil
		}
		if hidden {
			break
		}
	}
	return st, nil, false, nil
}

// lookup walks rel in one layer. It returns an fd of the parent of rel
// with st filled when rel is a directory there (found is -1 otherwise),
// and hidden when that layer hides rel from the layers below: a
// non-directory (a whiteout included) at rel or above it, or an opaque
// directory on the way.
func (l *lowerLayers) lookup(root int, rel string, st *unix.Stat_t) (found int, hidden bool, err error) {
	cur := root
	defer func() {
		if cur != root && cur != found {
			unix.Close(cur)
		}
	}()
	comps := strings.Split(rel, "/")
	for i, c := range comps {
		if err := unix.Fstatat(cur, c, st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			if errors.Is(err, unix.ENOENT) {
				return -1, hidden, nil
			}
			return -1, false, err
		}
		if st.Mode&unix.S_IFMT != unix.S_IFDIR {
			return -1, true, nil
		}
		hidden = hidden || isOpaqueDir(cur, c)
		if i == len(comps)-1 {
			if cur == root { // the caller closes found: give it its own fd
				dup, err := unix.FcntlInt(uintptr(root), unix.F_DUPFD_CLOEXEC, 0)
				return dup, hidden, err
			}
			return cur, hidden, nil
		}
		next, err := unix.Openat(cur, c, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return -1, false, err
		}
		if cur != root {
			unix.Close(cur)
		}
		cur = next
	}
	return -1, hidden, nil
}

func isOpaqueDir(dirfd int, name string) bool {
	p := procPath(node{fd: dirfd, name: name})
	buf := make([]byte, 1)
	for _, k := range []string{"trusted.overlay.opaque", "user.overlay.opaque"} {
		if n, err := unix.Lgetxattr(p, k, buf); err == nil && n == 1 && buf[0] == 'y' {
			return true
		}
	}
	return false
}
