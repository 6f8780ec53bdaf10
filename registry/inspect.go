package registry

import (
	"context"
	"fmt"
	"net/http"

	"github.com/berth-oci/berth/content"
	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/image"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Inspection is what a registry says about an image without its layers.
type Inspection struct {
	// Reference is the reference inspected, with the root's digest.
	Reference Reference
	// Root describes what the reference names; RootData is its bytes.
	Root     ocispec.Descriptor
	RootData []byte
	// Index is set when the root is an index or manifest list.
	Index *ocispec.Index
	// Manifest is the image manifest (the platform's, from an index).
	Manifest     *ocispec.Manifest
	ManifestDesc ocispec.Descriptor
	// Config is the decoded image configuration, ConfigData its bytes; both
	// are empty when the manifest's config is not an image config (an
	// artifact).
	Config     *ocispec.Image
	ConfigData []byte
}

// Inspect fetches the manifest ref names (the platform's one when it names
// an index; nil platform means the host's) and its image configuration,
// all verified by digest, without any layer.
func (c *Client) Inspect(ctx context.Context, ref Reference, platform *ocispec.Platform) (*Inspection, error) {
	root, data, err := c.FetchManifest(ctx, ref)
	if err != nil {
		return nil, err
	}
	in := &Inspection{Reference: ref.WithDigest(root.Digest), Root: root, RootData: data, ManifestDesc: root}
	if image.IsIndex(root.MediaType) {
		if in.Index, err = image.ParseIndex(data); err != nil {
			return nil, fmt.Errorf("registry %s: %s: %w", ref.Registry, in.Reference.what(), err)
		}
		want := image.Host()
		if platform != nil {
			want = *platform
		}
		chosen, err := image.SelectManifest(in.Index, want)
		if err != nil {
			return nil, fmt.Errorf("registry %s: %s: %w", ref.Registry, ref.what(), err)
		}
		if in.ManifestDesc, data, err = c.FetchManifest(ctx, ref.WithDigest(chosen.Digest)); err != nil {
			return nil, err
		}
		in.ManifestDesc.Platform = chosen.Platform
	}
	if !image.IsManifest(in.ManifestDesc.MediaType) {
		return nil, fmt.Errorf("registry %s: %s has media type %q, not a manifest: %w", ref.Registry, ref.what(), in.ManifestDesc.MediaType, errdefs.ErrNotImplemented)
	}
	if in.Manifest, err = image.ParseManifest(data); err != nil {
		return nil, fmt.Errorf("registry %s: %s: %w", ref.Registry, ref.WithDigest(in.ManifestDesc.Digest).what(), err)
	}
	if !image.IsConfig(in.Manifest.Config.MediaType) {
		return in, nil
	}
	if in.ConfigData, err = c.FetchBlobBytes(ctx, ref, in.Manifest.Config, content.MaxReadSize); err != nil {
		return nil, err
	}
	if in.Config, err = image.ParseConfig(in.ConfigData); err != nil {
		return nil, fmt.Errorf("registry %s: config %s: %w", ref.Registry, in.Manifest.Config.Digest, err)
	}
	return in, nil
}

// FetchBlobBytes downloads a small blob (a config, an artifact's payload)
// into memory, verified against desc. Blobs larger than limit are refused
// with errdefs.ErrInvalidArgument.
func (c *Client) FetchBlobBytes(ctx context.Context, ref Reference, desc ocispec.Descriptor, limit int64) ([]byte, error) {
	if desc.Size > limit {
		return nil, fmt.Errorf("registry %s: %s: %d bytes exceeds the limit of %d: %w", ref.Registry, blobWhat(ref, desc), desc.Size, limit, errdefs.ErrInvalidArgument)
	}
	if len(desc.Data) > 0 {
		return desc.Data, content.Verify(desc, desc.Data)
	}
	if desc.Size >= 0 {
		limit = desc.Size
	}
	_, data, err := c.getSmall(ctx, &request{method: http.MethodGet, ref: ref, path: blobPath(ref, desc), scopes: pullScope(ref), retry: true}, blobWhat(ref, desc), limit)
	if err != nil {
		return nil, err
	}
	if err := content.Verify(desc, data); err != nil {
		return nil, fmt.Errorf("registry %s: %s: %w", ref.Registry, blobWhat(ref, desc), err)
	}
	return data, nil
}
