package dockerarchive

import (
	"archive/tar"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"github.com/berth-oci/berth/errdefs"
)

// entry locates one member of the archive: regular files by their byte
// range in the file, symbolic links (Docker writes one per repeated
// layer) by their target.
type entry struct {
	offset, size int64
	linkname     string
}

// tarIndex maps the cleaned names of an archive's members to where they
// are, so members can be read in any order without unpacking anything.
type tarIndex struct {
	f       *os.File
	path    string
	entries map[string]entry
}

// countingReader tells how far into the file the tar reader has read:
// after Next, that is where the member's data starts.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func indexTar(f *os.File, name string) (*tarIndex, error) {
	cr := &countingReader{r: f}
	tr := tar.NewReader(cr)
	ti := &tarIndex{f: f, path: name, entries: map[string]entry{}}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return ti, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: not a readable tar archive: %v: %w", name, err, errdefs.ErrInvalidArgument)
		}
		clean := cleanName(h.Name)
		switch h.Typeflag {
		case tar.TypeReg, tar.TypeRegA:
			ti.entries[clean] = entry{offset: cr.n, size: h.Size}
		case tar.TypeSymlink:
			ti.entries[clean] = entry{linkname: h.Linkname}
		}
	}
}

func cleanName(n string) string {
	return strings.TrimPrefix(path.Clean("/"+n), "/")
}

// open returns the member name, following symbolic links within the
// archive (never outside it: targets are resolved as archive paths).
func (ti *tarIndex) open(name string) (*io.SectionReader, error) {
	name = cleanName(name)
	for hops := 0; hops < 8; hops++ {
		e, ok := ti.entries[name]
		if !ok {
			return nil, fmt.Errorf("%s: no member %q: %w", ti.path, name, errdefs.ErrNotFound)
		}
		if e.linkname == "" {
			return io.NewSectionReader(ti.f, e.offset, e.size), nil
		}
		if path.IsAbs(e.linkname) {
			name = cleanName(e.linkname)
		} else {
			name = cleanName(path.Join(path.Dir(name), e.linkname))
		}
	}
	return nil, fmt.Errorf("%s: member %q: too many symbolic links: %w", ti.path, name, errdefs.ErrInvalidArgument)
}

func (ti *tarIndex) has(name string) bool {
	_, ok := ti.entries[cleanName(name)]
	return ok
}

func (ti *tarIndex) readAll(name string, limit int64) ([]byte, error) {
	sr, err := ti.open(name)
	if err != nil {
		return nil, err
	}
	if sr.Size() > limit {
		return nil, fmt.Errorf("%s: member %q is %d bytes, more than the %d allowed: %w", ti.path, name, sr.Size(), limit, errdefs.ErrInvalidArgument)
	}
	return io.ReadAll(sr)
}
