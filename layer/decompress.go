package layer

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"runtime"

	"github.com/berth-oci/berth/errdefs"
	"github.com/klauspost/compress/zstd"
	"github.com/klauspost/pgzip"
)

var (
	magicGzip  = []byte{0x1f, 0x8b}
	magicZstd  = []byte{0x28, 0xb5, 0x2f, 0xfd}
	magicXz    = []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}
	magicBzip2 = []byte{'B', 'Z', 'h'}
)

// DetectCompression names the compression of data from its first bytes.
// Anything that is neither gzip nor zstd is reported as None; xz and bzip2,
// which no layer media type allows, fail with errdefs.ErrNotImplemented.
func DetectCompression(head []byte) (Compression, error) {
	switch {
	case bytes.HasPrefix(head, magicGzip):
		return Gzip, nil
	case bytes.HasPrefix(head, magicZstd):
		return Zstd, nil
	case bytes.HasPrefix(head, magicXz):
		return None, fmt.Errorf("xz compressed layer: %w", errdefs.ErrNotImplemented)
	case bytes.HasPrefix(head, magicBzip2):
		return None, fmt.Errorf("bzip2 compressed layer: %w", errdefs.ErrNotImplemented)
	}
	return None, nil
}

// Decompress returns the uncompressed tar stream of a layer blob. The
// compression is read from the data's magic bytes, because registries serve
// layers whose media type does not match their bytes; the media type must
// still be a layer media type (or empty), and a blob declared compressed
// that is neither compressed nor a tar is refused. Closing the result does
// not close r.
func Decompress(r io.Reader, mediaType string) (io.ReadCloser, error) {
	declared, err := MediaTypeCompression(mediaType)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(r, 1<<20)
	head, err := br.Peek(512)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, fmt.Errorf("read layer header: %w", err)
	}
	actual, err := DetectCompression(head)
	if err != nil {
		return nil, err
	}
	if declared != None && actual == None && len(head) > 0 && !looksLikeTar(head) {
		return nil, fmt.Errorf("layer declared %s (%s) is neither %s nor a tar: %w", declared, mediaType, declared, errdefs.ErrInvalidArgument)
	}
	return decompressor(br, actual)
}

func decompressor(r io.Reader, c Compression) (io.ReadCloser, error) {
	switch c {
	case Gzip:
		zr, err := pgzip.NewReaderN(r, 1<<20, 4)
		if err != nil {
			return nil, fmt.Errorf("open gzip stream: %w: %w", errdefs.ErrInvalidArgument, err)
		}
		return zr, nil
	case Zstd:
		zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(min(4, runtime.GOMAXPROCS(0))))
		if err != nil {
			return nil, fmt.Errorf("open zstd stream: %w: %w", errdefs.ErrInvalidArgument, err)
		}
		return zstdCloser{zr}, nil
	}
	return io.NopCloser(r), nil
}

type zstdCloser struct{ *zstd.Decoder }

func (z zstdCloser) Close() error { z.Decoder.Close(); return nil }

// looksLikeTar reports whether a block is a tar header: a ustar magic, or an
// old-style header whose checksum field is octal.
func looksLikeTar(head []byte) bool {
	if len(head) < 512 {
		return bytes.Count(head, []byte{0}) == len(head) // an empty tar is all zeros
	}
	if bytes.Equal(head[257:262], []byte("ustar")) {
		return true
	}
	sum := bytes.TrimRight(bytes.TrimSpace(head[148:156]), "\x00")
	for _, b := range sum {
		if b < '0' || b > '7' {
			return false
		}
	}
	return len(sum) > 0
}
