package dockerarchive

import (
	"bytes"
	"fmt"
	"io"

	"github.com/berth-oci/berth/errdefs"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

var (
	gzipMagic = []byte{0x1f, 0x8b}
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// layerMediaType tells an archive member's compression by its first bytes:
// docker save writes plain tars, but docker load accepts compressed ones.
func layerMediaType(r io.ReaderAt) (string, error) {
	head := make([]byte, 4)
	n, err := r.ReadAt(head, 0)
	if err != nil && err != io.EOF {
		return "", err
	}
	head = head[:n]
	switch {
	case bytes.HasPrefix(head, gzipMagic):
		return ocispec.MediaTypeImageLayerGzip, nil
	case bytes.HasPrefix(head, zstdMagic):
		return ocispec.MediaTypeImageLayerZstd, nil
	}
	return ocispec.MediaTypeImageLayer, nil
}

// decompress returns the tar stream inside a layer blob of media type mt.
func decompress(r io.Reader, mt string) (io.ReadCloser, error) {
	switch mt {
	case ocispec.MediaTypeImageLayerGzip, ocispec.MediaTypeImageLayerNonDistributableGzip, //nolint:staticcheck // still written by old tools
		"application/vnd.docker.image.rootfs.diff.tar.gzip", "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip":
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("gzip: %v: %w", err, errdefs.ErrInvalidArgument)
		}
		return zr, nil
	case ocispec.MediaTypeImageLayerZstd, ocispec.MediaTypeImageLayerNonDistributableZstd, "application/vnd.docker.image.rootfs.diff.tar.zstd": //nolint:staticcheck
		zr, err := zstd.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("zstd: %v: %w", err, errdefs.ErrInvalidArgument)
		}
		return zr.IOReadCloser(), nil
	case ocispec.MediaTypeImageLayer, ocispec.MediaTypeImageLayerNonDistributable, "application/vnd.docker.image.rootfs.diff.tar": //nolint:staticcheck
		return io.NopCloser(r), nil
	}
	return nil, fmt.Errorf("unknown layer media type %q: %w", mt, errdefs.ErrInvalidArgument)
}

// diffIDOf hashes the uncompressed content of a layer of media type mt.
func diffIDOf(r io.Reader, mt string) (digest.Digest, error) {
	tr, err := decompress(r, mt)
	if err != nil {
		return "", err
	}
	defer tr.Close()
	d := digest.SHA256.Digester()
	if _, err := io.Copy(d.Hash(), tr); err != nil {
		return "", fmt.Errorf("decompress: %v: %w", err, errdefs.ErrInvalidArgument)
	}
	// Drain what follows the compressed stream so the blob hash covers it all.
	if _, err := io.Copy(io.Discard, r); err != nil {
		return "", err
	}
	return d.Digest(), nil
}
