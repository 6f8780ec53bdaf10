package layer

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"time"

	"github.com/berth-oci/berth/errdefs"
	"golang.org/x/sys/unix"
)

// What an applier knows about a path of the layer being applied.
const (
	seenAncestor = 1 + iota // a directory some entry of this layer lies under
	seenEntry               // an entry of this layer
	seenWhiteout            // an overlay whiteout device of this layer
)

// applier applies the entries of one layer through a rootFS. It remembers
// the paths this layer wrote, because whiteouts and opaque markers hide
// only what lower layers left, whatever their order in the tar.
type applier struct {
	fs    *rootFS
	o     *ApplyOptions
	seen  map[string]uint8
	dirs  []dirMeta
	dirAt map[string]int
	buf   []byte
	count int
	// sparse is the total size of the sparse files written so far.
	sparse int64
}

// dirMeta is what is set on a directory once its content is in place.
type dirMeta struct {
	path         string
	atime, mtime time.Time
	mode         uint32
	fixMode      bool // rootless: the directory was kept writable until now
	gone         bool // replaced by a later entry
}

func newApplier(fs *rootFS, o *ApplyOptions) *applier {
	a := &applier{fs: fs, o: o, seen: map[string]uint8{}, dirAt: map[string]int{}, buf: make([]byte, chunkSize)}
	fs.warn = o.warn
	fs.implied = func(m dirMeta) {
		a.dirAt[m.path] = len(a.dirs)
		a.dirs = append(a.dirs, m)
	}
	return a
}

func (a *applier) entry(hdr *tar.Header, r io.Reader) error {
	a.count++
	p, err := cleanPath(hdr.Name)
	if err != nil {
		return fmt.Errorf("tar entry %d: %w", a.count, err)
	}
	if target, opaque, ok, err := whiteoutTarget(p); ok || err != nil {
		if err != nil {
			return err
		}
		if opaque {
			return a.opaque(target)
		}
		if target == "" {
			a.o.warn("skipped aufs metadata %s", p)
			return nil
		}
		return a.whiteout(target)
	}
	if err := a.create(p, hdr, r); err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	return nil
}

// mark records that this layer wrote p, and that p's parents hold it.
func (a *applier) mark(p string, how uint8) {
	a.seen[p] = how
	for d := path.Dir(p); d != "." && d != "/"; d = path.Dir(d) {
		if a.seen[d] != 0 {
			return
		}
		a.seen[d] = seenAncestor
	}
}

func (a *applier) create(p string, hdr *tar.Header, r io.Reader) error {
	wasWhiteout := a.seen[p] == seenWhiteout
	a.mark(p, seenEntry)
	if i, ok := a.dirAt[p]; ok && hdr.Typeflag != tar.TypeDir {
		a.dirs[i].gone = true
		delete(a.dirAt, p)
	}
	if p == "." && hdr.Typeflag != tar.TypeDir {
		return fmt.Errorf("the root can only be a directory, not type %q: %w", hdr.Typeflag, errdefs.ErrInvalidArgument)
	}
	switch hdr.Typeflag {
	case tar.TypeReg, tar.TypeCont, tar.TypeGNUSparse:
		return a.regular(p, hdr, r)
	case tar.TypeDir:
		return a.directory(p, hdr, wasWhiteout)
	case tar.TypeSymlink:
		if err := a.replace(p, func() error { return a.fs.symlink(hdr.Linkname, p) }); err != nil {
			return err
		}
		return a.metadata(p, hdr, false)
	case tar.TypeLink:
		return a.hardlink(p, hdr)
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		return a.special(p, hdr)
	case tar.TypeXGlobalHeader:
		return nil
	}
	return fmt.Errorf("unsupported tar entry type %q: %w", hdr.Typeflag, errdefs.ErrInvalidArgument)
}

// replace runs mk, and when something already sits at p (a lower layer's
// entry, or a duplicate in this one) removes it and runs mk again.
func (a *applier) replace(p string, mk func() error) error {
	err := mk()
	if !errors.Is(err, unix.EEXIST) {
		return err
	}
	if err := a.fs.remove(p); err != nil {
		return err
	}
	return mk()
}

func (a *applier) regular(p string, hdr *tar.Header, r io.Reader) (err error) {
	sparse := isSparse(hdr)
	if sparse {
		if a.o.MaxSize > 0 && hdr.Size > a.o.MaxSize-a.sparse {
			return fmt.Errorf("sparse file of %d bytes: the layer's sparse files exceed the limit of %d bytes: %w", hdr.Size, a.o.MaxSize, errdefs.ErrInvalidArgument)
		}
		a.sparse += hdr.Size
	}
	var n node
	err = a.replace(p, func() error {
		var err error
		n, err = a.fs.create(p, uint32(hdr.Mode)&0o777)
		return err
	})
	if err != nil {
		return err
	}
	defer func() {
		if cerr := unix.Close(n.fd); err == nil && cerr != nil {
			err = &os.PathError{Op: "close", Path: p, Err: cerr}
		}
	}()
	if sparse {
		err = writeSparse(n.fd, r, hdr.Size, a.buf)
	} else if hdr.Size > 0 {
		_, err = io.CopyBuffer(fdWriter{n.fd}, r, a.buf)
	}
	if err != nil {
		return fmt.Errorf("write content: %w", err)
	}
	return a.metadataAt(n, hdr, false)
}

// fdWriter writes to a file descriptor: no os.File, whose setup costs a
// syscall and a finalizer per file.
type fdWriter struct{ fd int }

func (w fdWriter) Write(p []byte) (int, error) {
	written := 0
	for written < len(p) {
		n, err := unix.Write(w.fd, p[written:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return written, err
		}
		written += n
	}
	return written, nil
}

func (a *applier) directory(p string, hdr *tar.Header, wasWhiteout bool) error {
	mode := uint32(hdr.Mode) & 0o7777
	perm := mode & 0o777
	if a.o.Rootless {
		perm |= 0o700
	}
	err := a.fs.mkdir(p, perm)
	kept := false
	if errors.Is(err, unix.EEXIST) || p == "." {
		st, ok, serr := a.fs.lstat(p)
		if serr != nil {
			return serr
		}
		if kept = ok && st.Mode&unix.S_IFMT == unix.S_IFDIR; kept {
			err = nil
		} else {
			err = a.replace(p, func() error { return a.fs.mkdir(p, perm) })
		}
	}
	if err != nil {
		return err
	}
	if kept {
		if err := a.dropXattrs(p, hdr); err != nil {
			return err
		}
	}
	if err := a.metadata(p, hdr, true); err != nil {
		return err
	}
	if wasWhiteout && a.o.Format == Overlay {
		if err := a.setOpaque(p); err != nil {
			return err
		}
	}
	m := dirMeta{path: p, atime: atimeOf(hdr), mtime: hdr.ModTime, mode: mode}
	m.fixMode = a.o.Rootless && mode&0o700 != 0o700
	if i, ok := a.dirAt[p]; ok {
		a.dirs[i] = m
	} else {
		a.dirAt[p] = len(a.dirs)
		a.dirs = append(a.dirs, m)
	}
	return nil
}

func (a *applier) hardlink(p string, hdr *tar.Header) error {
	target, err := cleanPath(hdr.Linkname)
	if err != nil {
		return fmt.Errorf("hard link target: %w", err)
	}
	if target == "." {
		return fmt.Errorf("hard link to the root: %w", errdefs.ErrInvalidArgument)
	}
	if target == p {
		return nil // a link to itself changes nothing
	}
	err = a.replace(p, func() error { return a.fs.link(target, p) })
	switch {
	case errors.Is(err, unix.ENOENT):
		hint := ""
		if a.o.Format == Overlay {
			hint = " (in overlay format a link can only reach entries of its own layer)"
		}
		return fmt.Errorf("hard link target %s does not exist%s: %w", target, hint, errdefs.ErrInvalidArgument)
	case errors.Is(err, unix.EISDIR), errors.Is(err, unix.EPERM):
		return fmt.Errorf("hard link to directory %s: %w", target, errdefs.ErrInvalidArgument)
	}
	return err
}

func (a *applier) special(p string, hdr *tar.Header) error {
	mode := uint32(unix.S_IFIFO)
	switch hdr.Typeflag {
	case tar.TypeChar:
		mode = unix.S_IFCHR
	case tar.TypeBlock:
		mode = unix.S_IFBLK
	}
	dev := unix.Mkdev(uint32(hdr.Devmajor), uint32(hdr.Devminor))
	skipped := false
	err := a.replace(p, func() error {
		var err error
		skipped, err = a.fs.mknod(p, mode|0o600, dev)
		return err
	})
	if err != nil {
		return err
	}
	if skipped {
		if err := a.fs.remove(p); err != nil {
			return err
		}
		a.o.warn("skipped device node %s (%d:%d): no privilege to create devices", p, hdr.Devmajor, hdr.Devminor)
		return nil
	}
	return a.metadata(p, hdr, false)
}

func atimeOf(hdr *tar.Header) time.Time {
	if hdr.AccessTime.IsZero() {
		return hdr.ModTime
	}
	return hdr.AccessTime
}
