package image

import (
	"encoding/json"
	"fmt"

	"github.com/berth-oci/berth/errdefs"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// linked holds every field through which a manifest or index refers to
// other blobs; one decode serves both kinds and Docker's equivalents.
type linked struct {
	Config    *ocispec.Descriptor  `json:"config,omitempty"`
	Layers    []ocispec.Descriptor `json:"layers,omitempty"`
	Manifests []ocispec.Descriptor `json:"manifests,omitempty"`
	Blobs     []ocispec.Descriptor `json:"blobs,omitempty"`
	Subject   *ocispec.Descriptor  `json:"subject,omitempty"`
}

// Children returns the descriptors a blob of media type mt refers to: the
// config, layers and subject of a manifest, the manifests and subject of an
// index. Any other media type (configs, layers, artifacts' payloads) has none.
// It does not validate; use Validate for that.
func Children(mt string, data []byte) ([]ocispec.Descriptor, error) {
	if !IsManifest(mt) && !IsIndex(mt) {
		return nil, nil
	}
	var l linked
	if err := json.Unmarshal(data, &l); err != nil {
		return nil, fmt.Errorf("decode %s: %v: %w", mt, err, errdefs.ErrInvalidArgument)
	}
	var out []ocispec.Descriptor
	if l.Config != nil {
		out = append(out, *l.Config)
	}
	out = append(out, l.Layers...)
	out = append(out, l.Manifests...)
	out = append(out, l.Blobs...)
	if l.Subject != nil {
		out = append(out, *l.Subject)
	}
	return out, nil
}
