package layer

import (
	"archive/tar"
	"bytes"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// isSparse reports whether a tar entry was stored sparse (old GNU or PAX
// GNU.sparse formats). archive/tar fills the holes with zeros when read;
// writeSparse turns zero blocks back into holes.
func isSparse(hdr *tar.Header) bool {
	if hdr.Typeflag == tar.TypeGNUSparse {
		return true
	}
	for _, k := range []string{"GNU.sparse.major", "GNU.sparse.numblocks", "GNU.sparse.map", "GNU.sparse.size", "GNU.sparse.realsize"} {
		if _, ok := hdr.PAXRecords[k]; ok {
			return true
		}
	}
	return false
}

const holeBlock = 4096

var zeroBlock [holeBlock]byte

// writeSparse writes size bytes from r to fd, skipping blocks of zeros so
// they stay holes. archive/tar hides the sparse map and hands the holes
// over as zeros, so every byte is read; the length is set first, so that a
// size the filesystem cannot hold fails before that.
func writeSparse(fd int, r io.Reader, size int64, buf []byte) error {
	if err := unix.Ftruncate(fd, size); err != nil {
		return &os.PathError{Op: "ftruncate", Path: "sparse file", Err: err}
	}
	var off int64
	for off < size {
		n, err := io.ReadFull(r, buf[:min(int64(len(buf)), size-off)])
		if err != nil {
			return err
		}
		for i := 0; i < n; {
			j := min(i+holeBlock, n)
			if bytes.Equal(buf[i:j], zeroBlock[:j-i]) {
				i = j
				continue
			}
			for j < n && !bytes.Equal(buf[j:min(j+holeBlock, n)], zeroBlock[:min(j+holeBlock, n)-j]) {
				j = min(j+holeBlock, n)
			}
			if err := pwriteAll(fd, buf[i:j], off+int64(i)); err != nil {
				return err
			}
			i = j
		}
		off += int64(n)
	}
	return nil
}

func pwriteAll(fd int, b []byte, off int64) error {
	for len(b) > 0 {
		n, err := unix.Pwrite(fd, b, off)
		if err != nil {
			return &os.PathError{Op: "pwrite", Path: "sparse file", Err: err}
		}
		b, off = b[n:], off+int64(n)
	}
	return nil
}
