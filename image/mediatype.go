package image

import ocispec "github.com/opencontainers/image-spec/specs-go/v1"

// Media types of Docker's image manifest v2 schema 2, which berth reads and
// converts to their OCI equivalents.
const (
	MediaTypeDockerManifest     = "application/vnd.docker.distribution.manifest.v2+json"
	MediaTypeDockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
	MediaTypeDockerConfig       = "application/vnd.docker.container.image.v1+json"
	MediaTypeDockerLayer        = "application/vnd.docker.image.rootfs.diff.tar"
	MediaTypeDockerLayerGzip    = "application/vnd.docker.image.rootfs.diff.tar.gzip"
	MediaTypeDockerLayerZstd    = "application/vnd.docker.image.rootfs.diff.tar.zstd"
	MediaTypeDockerForeignLayer = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
	MediaTypePluginConfig       = "application/vnd.docker.plugin.v1+json"

	// Schema 1 is refused: it carries no content-addressable config.
	MediaTypeDockerSchema1       = "application/vnd.docker.distribution.manifest.v1+json"
	MediaTypeDockerSchema1Signed = "application/vnd.docker.distribution.manifest.v1+prettyjws"
)

// IsManifest reports whether mt names a single-image manifest (OCI or Docker).
func IsManifest(mt string) bool {
	return mt == ocispec.MediaTypeImageManifest || mt == MediaTypeDockerManifest
}

// IsIndex reports whether mt names a list of manifests (OCI index or Docker list).
func IsIndex(mt string) bool {
	return mt == ocispec.MediaTypeImageIndex || mt == MediaTypeDockerManifestList
}

// IsConfig reports whether mt names an image configuration (OCI or Docker).
func IsConfig(mt string) bool {
	return mt == ocispec.MediaTypeImageConfig || mt == MediaTypeDockerConfig
}

// IsSchema1 reports whether mt names Docker's deprecated schema 1 manifest.
func IsSchema1(mt string) bool {
	return mt == MediaTypeDockerSchema1 || mt == MediaTypeDockerSchema1Signed
}

// IsLayer reports whether mt names a filesystem layer berth knows how to
// apply: the OCI layer types (non-distributable ones included) and Docker's.
func IsLayer(mt string) bool {
	switch mt {
	case ocispec.MediaTypeImageLayer, ocispec.MediaTypeImageLayerGzip, ocispec.MediaTypeImageLayerZstd,
		ocispec.MediaTypeImageLayerNonDistributable, ocispec.MediaTypeImageLayerNonDistributableGzip, //nolint:staticcheck // still read
		ocispec.MediaTypeImageLayerNonDistributableZstd, //nolint:staticcheck // still read
		MediaTypeDockerLayer, MediaTypeDockerLayerGzip, MediaTypeDockerLayerZstd, MediaTypeDockerForeignLayer:
		return true
	}
	return false
}

// IsNonDistributable reports whether mt names a layer that registries do not
// serve (Docker's foreign layers, OCI's deprecated non-distributable ones):
// its content comes from the descriptor's urls, and copies leave it behind.
func IsNonDistributable(mt string) bool {
	switch mt {
	case MediaTypeDockerForeignLayer,
		ocispec.MediaTypeImageLayerNonDistributable, ocispec.MediaTypeImageLayerNonDistributableGzip, //nolint:staticcheck // still read
		ocispec.MediaTypeImageLayerNonDistributableZstd: //nolint:staticcheck // still read
		return true
	}
	return false
}
