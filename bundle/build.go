package bundle

import (
	"context"
	"time"

	"github.com/berth-oci/berth/content"
	digest "github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// NewImage writes an image with no layers for platform p into store, as
// `umoci new` does: the start of an image built by unpack, edit, repack.
func NewImage(ctx context.Context, store content.Store, p ocispec.Platform, created time.Time) (Image, error) {
	if created.IsZero() {
		created = time.Now().UTC()
	}
	cfg := ocispec.Image{
		Created:  &created,
		Platform: p,
		RootFS:   ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{}},
	}
	m := ocispec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest, Layers: []ocispec.Descriptor{}}
	return writeImage(ctx, store, m, cfg)
}

// Reconfigure writes a copy of img whose config edit has changed, with a
// history entry when history is not empty (empty_layer: no files change).
func Reconfigure(ctx context.Context, store content.Store, img Image, edit func(*ocispec.ImageConfig), history string) (Image, error) {
	cfg := *img.Config
	edit(&cfg.Config)
	if history != "" {
		now := time.Now().UTC()
		cfg.History = append(append([]ocispec.History{}, cfg.History...), ocispec.History{Created: &now, CreatedBy: history, EmptyLayer: true})
	}
	return writeImage(ctx, store, *img.Manifest, cfg)
}

// writeImage stores cfg and m (with m's config pointing at it).
func writeImage(ctx context.Context, store content.Store, m ocispec.Manifest, cfg ocispec.Image) (Image, error) {
	var err error
	if m.Config, err = putJSON(ctx, store, ocispec.MediaTypeImageConfig, cfg); err != nil {
		return Image{}, err
	}
	desc, err := putJSON(ctx, store, ocispec.MediaTypeImageManifest, m)
	if err != nil {
		return Image{}, err
	}
	desc.Platform = &ocispec.Platform{OS: cfg.OS, Architecture: cfg.Architecture, Variant: cfg.Variant}
	return Image{Descriptor: desc, Manifest: &m, Config: &cfg, Store: store}, nil
}
