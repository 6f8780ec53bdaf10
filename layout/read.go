package layout

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/berth-oci/berth/content"
	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/image"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// blobErr prefixes err with the blob's path relative to the layout, so a
// message names the file that is wrong.
func (l *Layout) blobErr(desc ocispec.Descriptor, err error) error {
	rel, _ := filepath.Rel(filepath.Dir(l.root), l.BlobPath(desc))
	return fmt.Errorf("%s: %w", rel, err)
}

// readJSON reads a manifest, index or config blob, verified against desc.
func (l *Layout) readJSON(ctx context.Context, desc ocispec.Descriptor) ([]byte, error) {
	data, err := content.ReadBlobLimit(ctx, l.store, desc, content.MaxManifestSize)
	if err != nil {
		return nil, l.blobErr(desc, err)
	}
	return data, nil
}

// ReadIndex reads and validates the image index desc names.
func (l *Layout) ReadIndex(ctx context.Context, desc ocispec.Descriptor) (*ocispec.Index, error) {
	if !image.IsIndex(desc.MediaType) {
		return nil, l.blobErr(desc, fmt.Errorf("media type %q is not an image index: %w", desc.MediaType, errdefs.ErrInvalidArgument))
	}
	data, err := l.readJSON(ctx, desc)
	if err != nil {
		return nil, err
	}
	idx, err := image.ParseIndex(data)
	if err != nil {
		return nil, l.blobErr(desc, err)
	}
	return idx, nil
}

// ReadManifest reads and validates the image manifest desc names.
func (l *Layout) ReadManifest(ctx context.Context, desc ocispec.Descriptor) (*ocispec.Manifest, error) {
	if !image.IsManifest(desc.MediaType) {
		return nil, l.blobErr(desc, fmt.Errorf("media type %q is not an image manifest: %w", desc.MediaType, errdefs.ErrInvalidArgument))
	}
	data, err := l.readJSON(ctx, desc)
	if err != nil {
		return nil, err
	}
	m, err := image.ParseManifest(data)
	if err != nil {
		return nil, l.blobErr(desc, err)
	}
	return m, nil
}

// ReadConfig reads and validates the image config desc names.
func (l *Layout) ReadConfig(ctx context.Context, desc ocispec.Descriptor) (*ocispec.Image, error) {
	data, err := l.readJSON(ctx, desc)
	if err != nil {
		return nil, err
	}
	c, err := image.ParseConfig(data)
	if err != nil {
		return nil, l.blobErr(desc, err)
	}
	return c, nil
}

// Resolved is one image of a layout, down to its manifest and config.
type Resolved struct {
	Name       string             // the name it was resolved by
	Root       ocispec.Descriptor // the index.json entry (an index or a manifest)
	Index      *ocispec.Index     // the index the manifest was chosen from, nil when Root is a manifest
	Descriptor ocispec.Descriptor // the manifest's descriptor
	Manifest   *ocispec.Manifest
	Config     *ocispec.Image
}

// ResolveImage follows name to a manifest for platform p (the host's when
// p is nil), through an index when the entry is one, and reads the
// manifest and its config. Both are validated, and checked against each
// other (one diff_id per layer).
func (l *Layout) ResolveImage(ctx context.Context, name string, p *ocispec.Platform) (*Resolved, error) {
	root, err := l.Resolve(ctx, name)
	if err != nil {
		return nil, err
	}
	r := &Resolved{Name: name, Root: root, Descriptor: root}
	for depth := 0; image.IsIndex(r.Descriptor.MediaType); depth++ {
		if depth >= maxNesting {
			return nil, fmt.Errorf("image %q: indexes nested deeper than %d: %w", name, maxNesting, errdefs.ErrInvalidArgument)
		}
		if r.Index, err = l.ReadIndex(ctx, r.Descriptor); err != nil {
			return nil, err
		}
		platform := image.Host()
		if p != nil {
			platform = *p
		}
		if r.Descriptor, err = image.SelectManifest(r.Index, platform); err != nil {
			return nil, fmt.Errorf("image %q: %w", name, err)
		}
	}
	if r.Manifest, err = l.ReadManifest(ctx, r.Descriptor); err != nil {
		return nil, err
	}
	if r.Config, err = l.ReadConfig(ctx, r.Manifest.Config); err != nil {
		return nil, err
	}
	if err := image.CheckConfigMatches(r.Manifest, r.Config); err != nil {
		return nil, l.blobErr(r.Manifest.Config, err)
	}
	return r, nil
}
