package image

import (
	"fmt"

	"github.com/berth-oci/berth/errdefs"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Detect tells the media type of a JSON document: the one its mediaType
// field declares (a descriptor, by its digest and size, is one whatever it
// points at), else one inferred from its shape (schemaVersion 2 with
// manifests: an OCI index; with config or layers: an OCI manifest; rootfs or
// os and architecture: an image config; imageLayoutVersion: the layout
// header). OCI and Docker configs look alike; they are reported as OCI.
// Docker schema 1 gives ErrSchema1. Detect does not validate; a document
// whose shape fits no type, or fits two, is errdefs.ErrInvalidArgument.
func Detect(data []byte) (string, error) {
	doc, err := decodeDoc(data)
	if err != nil {
		return "", fmt.Errorf("detect media type: %v: %w", err, errdefs.ErrInvalidArgument)
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return "", fmt.Errorf("detect media type: not a JSON object: %w", errdefs.ErrInvalidArgument)
	}
	if err := refuseSchema1(obj); err != nil {
		return "", err
	}
	has := func(k string) bool { _, ok := obj[k]; return ok }
	if has("digest") && has("size") && !has("schemaVersion") {
		return ocispec.MediaTypeDescriptor, nil
	}
	if mt, ok := obj["mediaType"].(string); ok && mt != "" {
		return mt, nil
	}
	if has("fsLayers") || has("signatures") {
		return "", schema1("fsLayers without a schemaVersion")
	}
	if n, ok := hasNumber(obj, "schemaVersion"); ok && n.String() == "2" {
		manifest, index := has("config") || has("layers"), has("manifests")
		switch {
		case manifest && index:
			return "", fmt.Errorf("detect media type: both manifests and config/layers: ambiguous between an index and a manifest: %w", errdefs.ErrInvalidArgument)
		case index:
			return ocispec.MediaTypeImageIndex, nil
		case manifest:
			return ocispec.MediaTypeImageManifest, nil
		}
	}
	switch {
	case has("rootfs") || (has("os") && has("architecture")):
		return ocispec.MediaTypeImageConfig, nil
	case has("imageLayoutVersion"):
		return ocispec.MediaTypeLayoutHeader, nil
	}
	return "", fmt.Errorf("detect media type: no mediaType field and the shape fits no known document: %w", errdefs.ErrInvalidArgument)
}
