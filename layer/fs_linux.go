package layer

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"slices"
	"strconv"
	"time"

	"github.com/berth-oci/berth/errdefs"
	"golang.org/x/sys/unix"
)

// rootFS is the one seam through which Apply changes the target tree. Every
// method takes a path that cleanPath has made relative to the root, resolves
// its parent inside the root (never following a symlink out of it) and acts
// with an *at syscall on the final name without following it. Rootless
// policy lives here too: no chown, no device nodes.
//
// The parent directory of the last call is cached: entries of a tar come
// grouped by directory, so most lookups cost nothing. The cache holds only
// the parent of the latest operation, which that operation cannot replace
// (it acts on a child); removing a directory or symlink drops it anyway, so
// no fd ever outlives a change to the names it was resolved through.
type rootFS struct {
	res      resolver
	rootless bool
	// parentOwner is who owns a parent directory that an entry needs but
	// the layer did not create (the container's root, mapped).
	parentUID, parentGID int

	cachePath string
	cacheFd   int

	// lower, for an Overlay-format layer, says what a directory the layer
	// needs but does not carry looks like below; implied learns of each
	// directory made that way, whose times are set at the end.
	lower     *lowerLayers
	lowerFunc func() ([]string, error) // gives lower once needed
	implied   func(dirMeta)
	warn      func(format string, args ...any)
}

// node names one file for the metadata methods: name inside directory fd,
// or, when name is empty, fd itself. real says that fd is an ordinary open
// file (not O_PATH), so f* syscalls work on it.
type node struct {
	fd   int
	name string
	real bool
	path string // for error messages
}

// walkOnly makes every resolver use the walk, as on a kernel without
// openat2; tests set it to run their hostile cases through both paths.
var walkOnly = false

func openRootFS(dir string, rootless bool, uid, gid int) (*rootFS, error) {
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open root", Path: dir, Err: err}
	}
	return &rootFS{res: resolver{root: fd, noOpenat: walkOnly}, rootless: rootless, parentUID: uid, parentGID: gid, cacheFd: -1}, nil
}

func (r *rootFS) close() error {
	r.invalidate()
	if r.lower != nil {
		r.lower.close()
	}
	return unix.Close(r.res.root)
}

func (r *rootFS) invalidate() {
	if r.cacheFd >= 0 {
		unix.Close(r.cacheFd)
	}
	r.cacheFd, r.cachePath = -1, ""
}

// dir returns an O_PATH fd of directory p, creating it and its parents
// when missing. The fd belongs to the cache: it stays valid until the next
// call of dir or invalidate.
func (r *rootFS) dir(p string, create bool) (int, error) {
	if r.cacheFd >= 0 && r.cachePath == p {
		return r.cacheFd, nil
	}
	mkdir := r.mkdirParent
	if !create {
		mkdir = nil
	}
	fd, err := r.res.openDir(p, mkdir)
	if errors.Is(err, unix.ELOOP) || errors.Is(err, unix.ENOTDIR) {
		return -1, fmt.Errorf("%w: %w", errdefs.ErrInvalidArgument, err)
	}
	if err != nil {
		return -1, err
	}
	r.invalidate()
	r.cachePath, r.cacheFd = p, fd
	return fd, nil
}

// mkdirParent makes a directory that an entry needs and the layer does
// not carry: owned by the container's root, mode 0755, or, over lower
// layers, as the directory they show there, because overlayfs shows the
// upper directory's attributes.
func (r *rootFS) mkdirParent(dirfd int, rel, name string) error {
	if r.lower == nil && r.lowerFunc != nil {
		dirs, err := r.lowerFunc()
		r.lowerFunc = nil
		if err != nil {
			return fmt.Errorf("lower layers: %w", err)
		}
		if len(dirs) > 0 {
			if r.lower, err = openLowerLayers(dirs); err != nil {
				return err
			}
		}
	}
	if r.lower != nil {
		st, xattrs, ok, err := r.lower.dir(rel)
		if err != nil {
			return err
		}
		if ok {
			return r.mkdirLike(dirfd, rel, name, &st, xattrs)
		}
	}
	if err := unix.Mkdirat(dirfd, name, 0o755); err != nil {
		return err
	}
	if r.rootless {
		return nil
	}
	return unix.Fchownat(dirfd, name, r.parentUID, r.parentGID, unix.AT_SYMLINK_NOFOLLOW)
}

// mkdirLike makes directory name in dirfd a copy of st and xattrs; its
// times are set once the layer is in place.
func (r *rootFS) mkdirLike(dirfd int, rel, name string, st *unix.Stat_t, xattrs map[string][]byte) error {
	if err := unix.Mkdirat(dirfd, name, 0o700); err != nil {
		return err
	}
	n := node{fd: dirfd, name: name, path: rel}
	if err := r.lchown(n, int(st.Uid), int(st.Gid)); err != nil {
		return err
	}
	m := dirMeta{path: rel, mode: st.Mode & 0o7777,
		atime: time.Unix(st.Atim.Unix()), mtime: time.Unix(st.Mtim.Unix())}
	m.fixMode = r.rootless && m.mode&0o700 != 0o700
	mode := m.mode
	if r.rootless {
		mode |= 0o700
	}
	if err := r.chmod(n, mode); err != nil {
		return err
	}
	for _, k := range slices.Sorted(maps.Keys(xattrs)) {
		err := r.setxattr(n, k, xattrs[k])
		if errors.Is(err, unix.ENOTSUP) || errors.Is(err, unix.EPERM) {
			r.warn("skipped xattr %s of %s: %v", k, rel, err)
			continue
		}
		if err != nil {
			return err
		}
	}
	if r.implied != nil {
		r.implied(m)
	}
	return nil
}

// at resolves the parent of p, creating it when missing, and returns the
// node for p itself.
func (r *rootFS) at(p string) (node, error) { return r.resolve(p, true) }

// existing is at for a parent that must exist already: it reports
// ENOENT rather than creating directories.
func (r *rootFS) existing(p string) (node, error) { return r.resolve(p, false) }

func (r *rootFS) resolve(p string, create bool) (node, error) {
	if p == "." {
		return node{fd: r.res.root, path: p}, nil
	}
	fd, err := r.dir(path.Dir(p), create)
	if err != nil {
		return node{}, err
	}
	return node{fd: fd, name: path.Base(p), path: p}, nil
}

// lstat reports what is at p; ok is false when nothing is.
// A missing parent is reported as nothing, not created.
func (r *rootFS) lstat(p string) (st unix.Stat_t, ok bool, err error) {
	n, err := r.existing(p)
	if errors.Is(err, unix.ENOENT) {
		return st, false, nil
	}
	if err != nil {
		return st, false, err
	}
	flags := unix.AT_SYMLINK_NOFOLLOW
	if n.name == "" {
		flags |= unix.AT_EMPTY_PATH
	}
	err = unix.Fstatat(n.fd, n.name, &st, flags)
	if errors.Is(err, unix.ENOENT) {
		return st, false, nil
	}
	if err != nil {
		return st, false, &os.PathError{Op: "lstat", Path: p, Err: err}
	}
	return st, true, nil
}

// remove deletes p and, for a directory, everything under it.
func (r *rootFS) remove(p string) error {
	if p == "." {
		return &os.PathError{Op: "remove", Path: p, Err: unix.EBUSY}
	}
	n, err := r.existing(p)
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	if err != nil {
		return err
	}
	var st unix.Stat_t
	if err := unix.Fstatat(n.fd, n.name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return nil
		}
		return &os.PathError{Op: "lstat", Path: p, Err: err}
	}
	typ := st.Mode & unix.S_IFMT
	if typ == unix.S_IFDIR || typ == unix.S_IFLNK {
		// Keep our own fd of the parent: the cache is about to go.
		pfd, err := unix.FcntlInt(uintptr(n.fd), unix.F_DUPFD_CLOEXEC, 0)
		if err != nil {
			return &os.PathError{Op: "dup", Path: p, Err: err}
		}
		defer unix.Close(pfd)
		r.invalidate()
		n.fd = pfd
	}
	if err := removeAt(n.fd, n.name, typ == unix.S_IFDIR, r.rootless); err != nil {
		return &os.PathError{Op: "remove", Path: p, Err: err}
	}
	return nil
}

// removeAt removes name in dirfd, recursing through directories by fd so
// that no symlink is ever followed.
func removeAt(dirfd int, name string, isDir, rootless bool) error {
	if !isDir {
		err := unix.Unlinkat(dirfd, name, 0)
		if err != unix.EISDIR {
			return err
		}
	}
	fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	if rootless { // a read-only directory of the image would keep its children
		unix.Fchmod(fd, 0o700)
	}
	f := os.NewFile(uintptr(fd), name)
	defer f.Close()
	for {
		names, err := f.Readdirnames(1024)
		for _, child := range names {
			if err := removeAt(fd, child, false, rootless); err != nil {
				return err
			}
		}
		if err == io.EOF || len(names) == 0 {
			break
		}
		if err != nil {
			return err
		}
	}
	return unix.Unlinkat(dirfd, name, unix.AT_REMOVEDIR)
}

// readDir lists the names in directory p, resolved as a parent is (a
// symlink to a directory inside the root counts as that directory).
func (r *rootFS) readDir(p string) ([]string, error) {
	dfd, err := r.dir(p, false)
	if err != nil {
		return nil, err
	}
	fd, err := unix.Openat(dfd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: p, Err: err}
	}
	f := os.NewFile(uintptr(fd), p)
	names, err := f.Readdirnames(-1)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return names, err
}

func (r *rootFS) mkdir(p string, mode uint32) error {
	n, err := r.at(p)
	if err != nil {
		return err
	}
	if err := unix.Mkdirat(n.fd, n.name, mode); err != nil {
		return &os.PathError{Op: "mkdir", Path: p, Err: err}
	}
	return nil
}

// create makes a new regular file at p with permissions perm (less the
// umask), open for writing; the caller closes the fd.
func (r *rootFS) create(p string, perm uint32) (node, error) {
	n, err := r.at(p)
	if err != nil {
		return node{}, err
	}
	fd, err := unix.Openat(n.fd, n.name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, perm)
	if err != nil {
		return node{}, &os.PathError{Op: "create", Path: p, Err: err}
	}
	return node{fd: fd, real: true, path: p}, nil
}

// stat reports the attributes of a node, without following a symlink.
func (r *rootFS) stat(n node, st *unix.Stat_t) error {
	var err error
	switch {
	case n.name == "" && n.real:
		err = unix.Fstat(n.fd, st)
	case n.name == "":
		err = unix.Fstatat(n.fd, "", st, unix.AT_EMPTY_PATH|unix.AT_SYMLINK_NOFOLLOW)
	default:
		err = unix.Fstatat(n.fd, n.name, st, unix.AT_SYMLINK_NOFOLLOW)
	}
	if err != nil {
		return &os.PathError{Op: "lstat", Path: n.path, Err: err}
	}
	return nil
}

func (r *rootFS) symlink(target, p string) error {
	n, err := r.at(p)
	if err != nil {
		return err
	}
	if err := unix.Symlinkat(target, n.fd, n.name); err != nil {
		return &os.PathError{Op: "symlink", Path: p, Err: err}
	}
	return nil
}

// link makes p a hard link to target, both inside the root. The target's
// final component is not followed: a link to a symlink links the symlink.
func (r *rootFS) link(target, p string) error {
	tfd, err := r.res.openDir(path.Dir(target), nil)
	if err != nil {
		return fmt.Errorf("hard link %s to %s: %w", p, target, err)
	}
	defer unix.Close(tfd)
	tname := path.Base(target)
	var st unix.Stat_t
	if err := unix.Fstatat(tfd, tname, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &os.PathError{Op: "link", Path: target, Err: err}
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return &os.PathError{Op: "link", Path: target, Err: unix.EISDIR}
	}
	n, err := r.at(p)
	if err != nil {
		return err
	}
	if err := unix.Linkat(tfd, tname, n.fd, n.name, 0); err != nil {
		return &os.PathError{Op: "link", Path: p, Err: err}
	}
	return nil
}

// mknod creates a device node or fifo. It reports skipped=true, without an
// error, for a device node that the caller may not create (rootless, or
// EPERM without CAP_MKNOD).
func (r *rootFS) mknod(p string, mode uint32, dev uint64) (skipped bool, err error) {
	isDevice := mode&unix.S_IFMT == unix.S_IFCHR || mode&unix.S_IFMT == unix.S_IFBLK
	if isDevice && r.rootless && dev != 0 {
		return true, nil
	}
	n, err := r.at(p)
	if err != nil {
		return false, err
	}
	err = unix.Mknodat(n.fd, n.name, mode, int(dev))
	if isDevice && errors.Is(err, unix.EPERM) && dev != 0 {
		return true, nil
	}
	if err != nil {
		return false, &os.PathError{Op: "mknod", Path: p, Err: err}
	}
	return false, nil
}

func (r *rootFS) lchown(n node, uid, gid int) error {
	if r.rootless {
		return nil
	}
	var err error
	switch {
	case n.name == "" && n.real:
		err = unix.Fchown(n.fd, uid, gid)
	case n.name == "":
		err = unix.Fchownat(n.fd, "", uid, gid, unix.AT_EMPTY_PATH)
	default:
		err = unix.Fchownat(n.fd, n.name, uid, gid, unix.AT_SYMLINK_NOFOLLOW)
	}
	if err != nil {
		return &os.PathError{Op: "lchown", Path: n.path, Err: err}
	}
	return nil
}

// chmod sets the mode of a node that is not a symlink.
func (r *rootFS) chmod(n node, mode uint32) error {
	var err error
	switch {
	case n.name == "" && n.real:
		err = unix.Fchmod(n.fd, mode)
	case n.name == "":
		err = unix.Chmod(procPath(n), mode)
	default:
		err = unix.Fchmodat(n.fd, n.name, mode, 0)
	}
	if err != nil {
		return &os.PathError{Op: "chmod", Path: n.path, Err: err}
	}
	return nil
}

func (r *rootFS) utimes(n node, atime, mtime time.Time) error {
	ts := []unix.Timespec{unix.NsecToTimespec(atime.UnixNano()), unix.NsecToTimespec(mtime.UnixNano())}
	var err error
	if n.name == "" {
		err = unix.UtimesNanoAt(n.fd, "", ts, unix.AT_EMPTY_PATH)
	} else {
		err = unix.UtimesNanoAt(n.fd, n.name, ts, unix.AT_SYMLINK_NOFOLLOW)
	}
	if err != nil {
		return &os.PathError{Op: "utimensat", Path: n.path, Err: err}
	}
	return nil
}

// procPath names a node through /proc/self/fd, for the xattr calls that
// have no *at form. The directory fd is ours, so following that magic link
// is safe; the final name is never followed (the l* calls).
func procPath(n node) string {
	p := "/proc/self/fd/" + strconv.Itoa(n.fd)
	if n.name != "" {
		p += "/" + n.name
	}
	return p
}

func (r *rootFS) setxattr(n node, name string, value []byte) error {
	var err error
	switch {
	case n.name == "" && n.real:
		err = unix.Fsetxattr(n.fd, name, value, 0)
	case n.name == "":
		err = unix.Setxattr(procPath(n), name, value, 0)
	default:
		err = unix.Lsetxattr(procPath(n), name, value, 0)
	}
	if err != nil {
		return &os.PathError{Op: "setxattr " + name, Path: n.path, Err: err}
	}
	return nil
}

// xattrNames lists the extended attribute names of a node (not a symlink's
// target).
func (r *rootFS) xattrNames(n node) ([]string, error) {
	p := procPath(n)
	list := unix.Llistxattr
	if n.name == "" {
		list = unix.Listxattr
	}
	return listXattrs(func(buf []byte) (int, error) { return list(p, buf) })
}

func (r *rootFS) removexattr(n node, name string) error {
	var err error
	if n.name == "" {
		err = unix.Removexattr(procPath(n), name)
	} else {
		err = unix.Lremovexattr(procPath(n), name)
	}
	if err != nil && !errors.Is(err, unix.ENODATA) {
		return &os.PathError{Op: "removexattr " + name, Path: n.path, Err: err}
	}
	return nil
}

// listXattrs calls a listxattr variant with a buffer that grows as needed
// and splits the NUL-separated names.
func listXattrs(list func([]byte) (int, error)) ([]string, error) {
	size := 1024
	for {
		buf := make([]byte, size)
		n, err := list(buf)
		if errors.Is(err, unix.ERANGE) && size < 1<<20 {
			size *= 4
			continue
		}
		if errors.Is(err, unix.ENOTSUP) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		var names []string
		start := 0
		for i := 0; i < n; i++ {
			if buf[i] == 0 {
				if i > start {
					names = append(names, string(buf[start:i]))
				}
				start = i + 1
			}
		}
		return names, nil
	}
}
