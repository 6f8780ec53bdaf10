package layer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"slices"

	"github.com/berth-oci/berth/errdefs"
	"golang.org/x/sys/unix"
)

// changeKind says what a change writes.
type changeKind int

const (
	changeEntry    changeKind = iota // an added or modified entry
	changeWhiteout                   // path is the deleted entry
	changeOpaque                     // path is the directory made opaque
)

type change struct {
	kind   changeKind
	path   string
	st     unix.Stat_t
	link   string // symlink target
	xattrs map[string][]byte
}

type devIno struct{ dev, ino uint64 }

// pendingDir is a directory written only if something under it changes:
// replacing an entry bumps its directory's mtime when the layer is
// applied, so the layer carries the directory to set it back.
type pendingDir struct {
	c       change
	written bool
}

// add records a change after the directories above it not yet written.
func (wk *diffWalker) add(c change) {
	for i := range wk.parents {
		if !wk.parents[i].written {
			wk.changes = append(wk.changes, wk.parents[i].c)
			wk.parents[i].written = true
		}
	}
	wk.changes = append(wk.changes, c)
}

// linkGroup is what Diff knows of one multiply linked inode of changed.
type linkGroup struct {
	unchanged string // a path of it that is the same in base, if any
	written   string // the path written with the content, once written
}

// diffWalker finds the changes between two trees, opening everything by
// fd relative to the trees' roots without following symlinks, so nothing
// outside them is ever read.
type diffWalker struct {
	ctx        context.Context
	opts       DiffOptions
	baseFd     int // -1 for an empty base
	changedFd  int
	changes    []change
	parents    []pendingDir // the directories above the walk's position
	links      map[devIno]*linkGroup
	overlayKey string // the opaque xattr of an overlay upper directory
}

func newDiffWalker(ctx context.Context, base, changed string, opts DiffOptions) (*diffWalker, error) {
	wk := &diffWalker{ctx: ctx, opts: opts, baseFd: -1, changedFd: -1, links: map[devIno]*linkGroup{}}
	var err error
	if wk.changedFd, err = unix.Open(changed, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0); err != nil {
		return nil, &os.PathError{Op: "open", Path: changed, Err: err}
	}
	if base != "" {
		if wk.baseFd, err = unix.Open(base, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0); err != nil {
			unix.Close(wk.changedFd)
			return nil, &os.PathError{Op: "open", Path: base, Err: err}
		}
	}
	return wk, nil
}

func (wk *diffWalker) close() {
	unix.Close(wk.changedFd)
	if wk.baseFd >= 0 {
		unix.Close(wk.baseFd)
	}
}

func (wk *diffWalker) warn(format string, args ...any) {
	if wk.opts.Warn != nil {
		wk.opts.Warn(fmt.Sprintf(format, args...))
	}
}

// walk fills wk.changes in the order they are written: a directory's
// entry, its opaque marker or whiteouts, then its children by name.
func (wk *diffWalker) walk() error {
	if err := wk.root(); err != nil {
		return err
	}
	return wk.dir(".", wk.baseFd, wk.changedFd, false)
}

// root records the root directory itself when its attributes changed.
func (wk *diffWalker) root() error {
	c := change{kind: changeEntry, path: "."}
	if err := fstatat(wk.changedFd, ".", "", &c.st); err != nil {
		return err
	}
	var err error
	if c.xattrs, err = readXattrs(wk.changedFd, "", "."); err != nil {
		return err
	}
	if wk.opts.Format == Overlay {
		if _, err := wk.overlayOpaque(&c); err != nil {
			return err
		}
	}
	same := false
	if wk.baseFd >= 0 {
		var bst unix.Stat_t
		if err := fstatat(wk.baseFd, ".", "", &bst); err != nil {
			return err
		}
		if same, err = wk.same(wk.baseFd, wk.changedFd, "", &bst, &c); err != nil {
			return err
		}
	}
	if !same {
		wk.add(c)
	}
	wk.parents = []pendingDir{{c: c, written: !same}}
	return nil
}

func fstatat(dirfd int, rel, name string, st *unix.Stat_t) error {
	flags := unix.AT_SYMLINK_NOFOLLOW
	if name == "" {
		flags |= unix.AT_EMPTY_PATH
	}
	if err := unix.Fstatat(dirfd, name, st, flags); err != nil {
		return &os.PathError{Op: "lstat", Path: rel, Err: err}
	}
	return nil
}

// dir compares directory rel of both trees (bfd -1: absent from base).
func (wk *diffWalker) dir(rel string, bfd, cfd int, opaque bool) error {
	if err := wk.ctx.Err(); err != nil {
		return err
	}
	cnames, err := readNames(cfd, rel)
	if err != nil {
		return err
	}
	var bnames []string
	if bfd >= 0 {
		if bnames, err = readNames(bfd, rel); err != nil {
			return err
		}
	}
	var whiteouts []string
	kept := 0
	for _, n := range bnames {
		if _, ok := slices.BinarySearch(cnames, n); ok {
			kept++
		} else {
			whiteouts = append(whiteouts, n)
		}
	}
	entries := make([]change, 0, len(cnames))
	for _, name := range cnames {
		c := change{kind: changeEntry, path: path.Join(rel, name)}
		if err := fstatat(cfd, c.path, name, &c.st); err != nil {
			return err
		}
		if wk.opts.Format == Overlay {
			if isOverlayWhiteout(&c.st) || wk.hasXattr(cfd, name, "trusted.overlay.whiteout") {
				whiteouts = append(whiteouts, name)
				continue
			}
		}
		entries = append(entries, c)
	}
	// A directory none of whose old children is left was replaced whole.
	if len(bnames) > 0 && kept == 0 {
		opaque = true
	}
	if opaque {
		wk.add(change{kind: changeOpaque, path: rel})
	} else {
		slices.Sort(whiteouts)
		for _, n := range whiteouts {
			wk.add(change{kind: changeWhiteout, path: path.Join(rel, n)})
		}
	}
	for i := range entries {
		if err := wk.child(rel, bfd, cfd, &entries[i]); err != nil {
			return err
		}
	}
	return nil
}

func isOverlayWhiteout(st *unix.Stat_t) bool {
	return st.Mode&unix.S_IFMT == unix.S_IFCHR && st.Rdev == 0
}

// child decides whether entry c of directory rel changed, records it, and
// descends into it when it is a directory.
func (wk *diffWalker) child(rel string, bfd, cfd int, c *change) error {
	name := path.Base(c.path)
	typ := c.st.Mode & unix.S_IFMT
	if typ == unix.S_IFSOCK {
		wk.warn("skipped socket %s: a tar cannot hold it", c.path)
		return nil
	}
	var err error
	if c.xattrs, err = readXattrs(cfd, name, c.path); err != nil {
		return err
	}
	if typ == unix.S_IFLNK {
		if c.link, err = readlinkat(cfd, name); err != nil {
			return &os.PathError{Op: "readlink", Path: c.path, Err: err}
		}
	}
	opaque := false
	if wk.opts.Format == Overlay {
		opaque, err = wk.overlayOpaque(c)
		if err != nil {
			return err
		}
	}
	var bst unix.Stat_t
	inBase := bfd >= 0 && unix.Fstatat(bfd, name, &bst, unix.AT_SYMLINK_NOFOLLOW) == nil
	same := false
	if inBase {
		if same, err = wk.same(bfd, cfd, name, &bst, c); err != nil {
			return err
		}
	}
	if typ != unix.S_IFDIR && !same {
		wk.add(*c)
	}
	if typ != unix.S_IFDIR {
		if c.st.Nlink > 1 {
			g := wk.links[devIno{c.st.Dev, c.st.Ino}]
			if g == nil {
				g = &linkGroup{}
				wk.links[devIno{c.st.Dev, c.st.Ino}] = g
			}
			if same && g.unchanged == "" {
				g.unchanged = c.path
			}
		}
		return nil
	}
	sub, err := openDirAt(cfd, name, c.path)
	if err != nil {
		return err
	}
	defer unix.Close(sub)
	bsub := -1
	if inBase && bst.Mode&unix.S_IFMT == unix.S_IFDIR {
		if bsub, err = openDirAt(bfd, name, c.path); err != nil {
			return err
		}
		defer unix.Close(bsub)
	} else if inBase {
		opaque = true // a directory now where something else was
	}
	if !same {
		wk.add(*c)
	}
	wk.parents = append(wk.parents, pendingDir{c: *c, written: !same})
	err = wk.dir(c.path, bsub, sub, opaque)
	wk.parents = wk.parents[:len(wk.parents)-1]
	return err
}

// overlayOpaque reads and strips the overlayfs bookkeeping of an upper
// directory entry; it refuses what it cannot express in a layer.
func (wk *diffWalker) overlayOpaque(c *change) (bool, error) {
	opaque := false
	for k, v := range c.xattrs {
		switch k {
		case "trusted.overlay.opaque", "user.overlay.opaque":
			opaque = string(v) == "y"
		case "trusted.overlay.redirect", "user.overlay.redirect", "trusted.overlay.metacopy", "user.overlay.metacopy":
			return false, fmt.Errorf("%s carries %s: mount the overlay without redirect_dir and metacopy: %w", c.path, k, errdefs.ErrNotImplemented)
		}
	}
	maps.DeleteFunc(c.xattrs, func(k string, _ []byte) bool { return isOverlayXattr(k) })
	return opaque && c.st.Mode&unix.S_IFMT == unix.S_IFDIR, nil
}

func (wk *diffWalker) hasXattr(dirfd int, name, key string) bool {
	_, err := unix.Lgetxattr(procPath(node{fd: dirfd, name: name}), key, nil)
	return err == nil
}

// same reports whether entry c of changed equals what base holds there.
func (wk *diffWalker) same(bfd, cfd int, name string, bst *unix.Stat_t, c *change) (bool, error) {
	cst := &c.st
	if bst.Mode != cst.Mode || bst.Uid != cst.Uid || bst.Gid != cst.Gid || bst.Mtim != cst.Mtim {
		return false, nil
	}
	switch cst.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		if bst.Size != cst.Size {
			return false, nil
		}
	case unix.S_IFCHR, unix.S_IFBLK:
		if bst.Rdev != cst.Rdev {
			return false, nil
		}
	case unix.S_IFLNK:
		target, err := readlinkat(bfd, name)
		if err != nil || target != c.link {
			return false, nil
		}
	}
	bx, err := readXattrs(bfd, name, c.path)
	if err != nil {
		return false, err
	}
	if !maps.EqualFunc(bx, c.xattrs, bytes.Equal) {
		return false, nil
	}
	if cst.Mode&unix.S_IFMT != unix.S_IFREG || (bst.Dev == cst.Dev && bst.Ino == cst.Ino) || cst.Mtim.Nsec != 0 {
		return true, nil
	}
	return sameContent(bfd, cfd, name, c.path)
}

func sameContent(bfd, cfd int, name, rel string) (bool, error) {
	open := func(dirfd int) (*os.File, error) {
		fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, &os.PathError{Op: "open", Path: rel, Err: err}
		}
		return os.NewFile(uintptr(fd), rel), nil
	}
	bf, err := open(bfd)
	if err != nil {
		return false, err
	}
	defer bf.Close()
	cf, err := open(cfd)
	if err != nil {
		return false, err
	}
	defer cf.Close()
	b1, b2 := make([]byte, 64<<10), make([]byte, 64<<10)
	for {
		n1, err1 := io.ReadFull(bf, b1)
		n2, err2 := io.ReadFull(cf, b2)
		if n1 != n2 || !bytes.Equal(b1[:n1], b2[:n2]) {
			return false, nil
		}
		if err1 != nil || err2 != nil {
			eof := func(err error) bool { return err == io.EOF || err == io.ErrUnexpectedEOF }
			if !eof(err1) || !eof(err2) {
				return false, fmt.Errorf("compare %s: %w", rel, errors.Join(err1, err2))
			}
			return eof(err1) && eof(err2), nil
		}
	}
}

func openDirAt(dirfd int, name, rel string) (int, error) {
	fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, &os.PathError{Op: "open", Path: rel, Err: err}
	}
	return fd, nil
}

// readNames lists a directory fd's entries, sorted.
func readNames(fd int, rel string) ([]string, error) {
	dup, err := unix.Openat(fd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: rel, Err: err}
	}
	f := os.NewFile(uintptr(dup), rel)
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return nil, &os.PathError{Op: "readdir", Path: rel, Err: err}
	}
	slices.Sort(names)
	return names, nil
}

// readXattrs reads every xattr of name in dirfd (name "" is dirfd itself).
func readXattrs(dirfd int, name, rel string) (map[string][]byte, error) {
	p := procPath(node{fd: dirfd, name: name})
	list, get := unix.Llistxattr, unix.Lgetxattr
	if name == "" {
		list, get = unix.Listxattr, unix.Getxattr
	}
	names, err := listXattrs(func(b []byte) (int, error) { return list(p, b) })
	if err != nil {
		return nil, &os.PathError{Op: "listxattr", Path: rel, Err: err}
	}
	if len(names) == 0 {
		return nil, nil
	}
	out := make(map[string][]byte, len(names))
	for _, k := range names {
		buf := make([]byte, 256)
		for {
			n, err := get(p, k, buf)
			if errors.Is(err, unix.ERANGE) && len(buf) < 1<<20 {
				buf = make([]byte, len(buf)*8)
				continue
			}
			if errors.Is(err, unix.ENODATA) {
				break
			}
			if err != nil {
				return nil, &os.PathError{Op: "getxattr " + k, Path: rel, Err: err}
			}
			out[k] = buf[:n]
			break
		}
	}
	return out, nil
}
