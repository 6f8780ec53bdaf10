package engine

import (
	"context"
	"fmt"

	"github.com/berth-oci/berth/content/local"
	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/image"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// StoreEnd is the engine's image store as one end of a copy between
// transports (a registry.ImageStore): blobs go to and come from the
// engine's content store, and naming an image records and unpacks it as a
// pull does. It holds the store lock shared until Close, so that a
// collection cannot remove blobs a copy has written but not yet named.
type StoreEnd struct {
	*local.Store
	e        *Engine
	lk       *fileLock
	platform *ocispec.Platform
}

// StoreEnd opens the image store for a copy. platform picks the manifest
// to unpack when an index is named; nil means the host's.
func (e *Engine) StoreEnd(platform *ocispec.Platform) (*StoreEnd, error) {
	lk, err := e.useStore()
	if err != nil {
		return nil, err
	}
	return &StoreEnd{Store: e.content, e: e, lk: lk, platform: platform}, nil
}

// Close releases the store lock.
func (s *StoreEnd) Close() error {
	s.lk.Unlock()
	return nil
}

// Resolve returns the manifest of the image name names, as LookupImage
// finds it; "" names the store's only image.
func (s *StoreEnd) Resolve(ctx context.Context, name string) (ocispec.Descriptor, error) {
	if name == "" {
		return s.onlyImage(ctx)
	}
	img, err := s.e.LookupImage(ctx, name)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	return plain(img.Manifest), nil
}

func (s *StoreEnd) onlyImage(ctx context.Context) (ocispec.Descriptor, error) {
	imgs, err := s.e.Images(ctx)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	if len(imgs) != 1 {
		return ocispec.Descriptor{}, fmt.Errorf("the image store holds %d images: name one: %w", len(imgs), errdefs.ErrInvalidArgument)
	}
	return plain(imgs[0].Manifest), nil
}

// Tag records desc, stored already with what it references, under name
// (normalised as NormalizeName does; "" leaves it unnamed) and unpacks its
// layers. For an index, the manifest for the store's platform is the
// image and the index is kept with it.
func (s *StoreEnd) Tag(ctx context.Context, desc ocispec.Descriptor, name string) error {
	var names []string
	if name != "" {
		n, err := NormalizeName(name)
		if err != nil {
			return err
		}
		names = []string{n}
	}
	if !image.IsManifest(desc.MediaType) && !image.IsIndex(desc.MediaType) {
		return fmt.Errorf("the image store keeps images, not %s: %w", desc.MediaType, errdefs.ErrInvalidArgument)
	}
	m, index, err := s.e.chooseManifest(ctx, desc, s.platform)
	if err != nil {
		return err
	}
	if _, err := s.e.addImage(ctx, m, index, names); err != nil {
		return fmt.Errorf("store image %s: %w", m.Digest, err)
	}
	return nil
}
