package layer

import (
	"fmt"

	"github.com/berth-oci/berth/errdefs"
)

// Compression is how a layer blob wraps its tar stream.
type Compression int

const (
	// None is an uncompressed tar.
	None Compression = iota
	// Gzip is a tar compressed with gzip (RFC 1952).
	Gzip
	// Zstd is a tar compressed with zstd (RFC 8478).
	Zstd
)

func (c Compression) String() string {
	switch c {
	case None:
		return "none"
	case Gzip:
		return "gzip"
	case Zstd:
		return "zstd"
	}
	return fmt.Sprintf("compression(%d)", int(c))
}

// The layer media types that berth knows. They are spelled out here rather
// than imported so that this package depends on no image model.
var layerMediaTypes = map[string]Compression{
	"application/vnd.oci.image.layer.v1.tar":                       None,
	"application/vnd.oci.image.layer.v1.tar+gzip":                  Gzip,
	"application/vnd.oci.image.layer.v1.tar+zstd":                  Zstd,
	"application/vnd.oci.image.layer.nondistributable.v1.tar":      None,
	"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip": Gzip,
	"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd": Zstd,
	"application/vnd.docker.image.rootfs.diff.tar":                 None,
	"application/vnd.docker.image.rootfs.diff.tar.gzip":            Gzip,
	"application/vnd.docker.image.rootfs.diff.tar.zstd":            Zstd,
	"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip":    Gzip,
}

// MediaTypeCompression returns the compression a layer media type declares.
// It fails with errdefs.ErrInvalidArgument for a media type that is not a
// layer. The empty media type is accepted as None: the data decides.
func MediaTypeCompression(mediaType string) (Compression, error) {
	if mediaType == "" {
		return None, nil
	}
	c, ok := layerMediaTypes[mediaType]
	if !ok {
		return None, fmt.Errorf("media type %q is not a layer: %w", mediaType, errdefs.ErrInvalidArgument)
	}
	return c, nil
}

// MediaType returns the OCI layer media type for a compression.
func (c Compression) MediaType() string {
	switch c {
	case Gzip:
		return "application/vnd.oci.image.layer.v1.tar+gzip"
	case Zstd:
		return "application/vnd.oci.image.layer.v1.tar+zstd"
	}
	return "application/vnd.oci.image.layer.v1.tar"
}
