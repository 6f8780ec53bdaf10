package layer

import (
	"archive/tar"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// epoch is the time of whiteout entries, which have none of their own.
var epoch = time.Unix(0, 0).UTC()

// writeChange writes one change as tar entries, the content of a regular
// file read by fd from the changed tree.
func (wk *diffWalker) writeChange(tw *tar.Writer, c *change, buf []byte) error {
	switch c.kind {
	case changeWhiteout:
		return writeMarker(tw, path.Join(path.Dir(c.path), whiteoutPrefix+path.Base(c.path)))
	case changeOpaque:
		return writeMarker(tw, path.Join(c.path, opaqueMarker))
	}
	hdr := header(c)
	typ := c.st.Mode & unix.S_IFMT
	if typ != unix.S_IFDIR && c.st.Nlink > 1 {
		g := wk.links[devIno{c.st.Dev, c.st.Ino}]
		target := g.written
		if target == "" && g.unchanged != c.path {
			target = g.unchanged
		}
		if target != "" {
			hdr.Typeflag, hdr.Linkname, hdr.Size = tar.TypeLink, target, 0
			return writeHeader(tw, hdr)
		}
		g.written = c.path
	}
	if err := writeHeader(tw, hdr); err != nil {
		return err
	}
	if typ != unix.S_IFREG || c.st.Size == 0 {
		return nil
	}
	f, err := wk.openChanged(c)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := io.CopyBuffer(tw, readerOnly{io.LimitReader(f, c.st.Size)}, buf); err != nil {
		return fmt.Errorf("write %s: %w", c.path, err)
	}
	return nil
}

func writeHeader(tw *tar.Writer, hdr *tar.Header) error {
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("write tar header %s: %w", hdr.Name, err)
	}
	return nil
}

func writeMarker(tw *tar.Writer, name string) error {
	return writeHeader(tw, &tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, ModTime: epoch, Format: tar.FormatPAX})
}

// header builds the deterministic tar header of an entry: PAX format,
// numeric owners only, no access or change time.
func header(c *change) *tar.Header {
	st := &c.st
	hdr := &tar.Header{
		Name:    c.path,
		Mode:    int64(st.Mode & 0o7777),
		Uid:     int(st.Uid),
		Gid:     int(st.Gid),
		ModTime: time.Unix(st.Mtim.Sec, st.Mtim.Nsec).UTC(),
		Format:  tar.FormatPAX,
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		hdr.Typeflag, hdr.Size = tar.TypeReg, st.Size
	case unix.S_IFDIR:
		hdr.Typeflag = tar.TypeDir
		hdr.Name += "/"
		if c.path == "." {
			hdr.Name = "./"
		}
	case unix.S_IFLNK:
		hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, c.link
	case unix.S_IFCHR:
		hdr.Typeflag = tar.TypeChar
	case unix.S_IFBLK:
		hdr.Typeflag = tar.TypeBlock
	case unix.S_IFIFO:
		hdr.Typeflag = tar.TypeFifo
	}
	if hdr.Typeflag == tar.TypeChar || hdr.Typeflag == tar.TypeBlock {
		hdr.Devmajor, hdr.Devminor = int64(unix.Major(st.Rdev)), int64(unix.Minor(st.Rdev))
	}
	if len(c.xattrs) > 0 {
		hdr.PAXRecords = map[string]string{}
		for _, k := range slices.Sorted(func(yield func(string) bool) {
			for k := range c.xattrs {
				if !yield(k) {
					return
				}
			}
		}) {
			hdr.PAXRecords[paxXattr+k] = string(c.xattrs[k])
		}
	}
	return hdr
}

// openChanged opens a regular file of the changed tree without following
// any symlink on the way, and checks it is the file that was compared.
func (wk *diffWalker) openChanged(c *change) (*os.File, error) {
	fd, err := openBeneath(wk.changedFd, c.path)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: c.path, Err: err}
	}
	f := os.NewFile(uintptr(fd), c.path)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Ino != c.st.Ino || st.Dev != c.st.Dev || st.Size != c.st.Size {
		f.Close()
		return nil, fmt.Errorf("%s changed while the diff ran", c.path)
	}
	return f, nil
}

// openBeneath opens rel under dirfd for reading, refusing symlinks at
// every step: openat2 RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS, or a walk.
func openBeneath(dirfd int, rel string) (int, error) {
	how := unix.OpenHow{
		Flags:   unix.O_RDONLY | unix.O_NOFOLLOW | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
	}
	if !walkOnly {
		fd, err := unix.Openat2(dirfd, rel, &how)
		if err != unix.ENOSYS {
			return fd, err
		}
	}
	dir, base := path.Split(rel)
	cur := dirfd
	for _, comp := range splitPath(dir) {
		fd, err := unix.Openat(cur, comp, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if cur != dirfd {
			unix.Close(cur)
		}
		if err != nil {
			return -1, err
		}
		cur = fd
	}
	fd, err := unix.Openat(cur, base, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if cur != dirfd {
		unix.Close(cur)
	}
	return fd, err
}

func splitPath(p string) []string {
	var out []string
	for _, c := range strings.Split(p, "/") {
		if c != "" && c != "." {
			out = append(out, c)
		}
	}
	return out
}
