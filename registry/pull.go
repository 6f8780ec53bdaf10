package registry

import (
	"bytes"
	"context"
	"fmt"

	"github.com/berth-oci/berth/content"
	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/image"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"
)

// PullOptions chooses what of a multi-platform image is pulled.
type PullOptions struct {
	// Platform is the platform whose manifest is taken from an index; nil
	// means the host's (image.Host).
	Platform *ocispec.Platform
	// AllPlatforms pulls every manifest of an index, not just one.
	AllPlatforms bool
}

// Pulled describes what Pull stored.
type Pulled struct {
	// Reference is the reference pulled, with the root's digest.
	Reference Reference
	// Root is the descriptor of what the reference names: an index (kept
	// in the store as well) or a manifest.
	Root ocispec.Descriptor
	// Manifest is the image manifest chosen for the platform, with its
	// platform when it came from an index; equal to Root when the reference
	// names a manifest. It is zero when AllPlatforms pulled an index.
	Manifest ocispec.Descriptor
}

// Pull downloads the image (or artifact) ref names into ing: every blob
// verified by digest and size as it streams in, blobs already present
// skipped, layers fetched in parallel, children stored before their parents
// so the root is the last thing written. An index is stored together with
// the manifest chosen for the platform (or all of them with AllPlatforms).
func (c *Client) Pull(ctx context.Context, ref Reference, ing content.Ingester, opts PullOptions) (Pulled, error) {
	root, data, err := c.FetchManifest(ctx, ref)
	if err != nil {
		return Pulled{}, err
	}
	res := Pulled{Reference: ref.WithDigest(root.Digest), Root: root}
	switch {
	case image.IsManifest(root.MediaType):
		res.Manifest = root
		err = c.pullManifest(ctx, ref, ing, root, data)
	case image.IsIndex(root.MediaType):
		res.Manifest, err = c.pullIndex(ctx, ref, ing, root, data, opts)
	default:
		err = fmt.Errorf("registry %s: %s has media type %q, which is neither a manifest nor an index: %w", ref.Registry, ref.what(), root.MediaType, errdefs.ErrNotImplemented)
	}
	if err != nil {
		return Pulled{}, err
	}
	return res, nil
}

// pullIndex pulls the chosen children of an index, then stores the index.
func (c *Client) pullIndex(ctx context.Context, ref Reference, ing content.Ingester, desc ocispec.Descriptor, data []byte, opts PullOptions) (ocispec.Descriptor, error) {
	idx, err := image.ParseIndex(data)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("registry %s: %s: %w", ref.Registry, ref.WithDigest(desc.Digest).what(), err)
	}
	var chosen ocispec.Descriptor
	children := idx.Manifests
	if !opts.AllPlatforms {
		want := image.Host()
		if opts.Platform != nil {
			want = *opts.Platform
		}
		if chosen, err = image.SelectManifest(idx, want); err != nil {
			return ocispec.Descriptor{}, fmt.Errorf("registry %s: %s: %w", ref.Registry, ref.what(), err)
		}
		children = []ocispec.Descriptor{chosen}
	}
	for _, child := range children {
		if err := c.pullChild(ctx, ref, ing, child, opts); err != nil {
			return ocispec.Descriptor{}, err
		}
	}
	if err := c.storeManifest(ctx, ref, ing, desc, data); err != nil {
		return ocispec.Descriptor{}, err
	}
	return chosen, nil
}

// pullChild pulls one entry of an index by digest.
func (c *Client) pullChild(ctx context.Context, ref Reference, ing content.Ingester, want ocispec.Descriptor, opts PullOptions) error {
	cref := ref.WithDigest(want.Digest)
	desc, data, err := c.FetchManifest(ctx, cref)
	if err != nil {
		return err
	}
	if desc.Size != want.Size {
		return fmt.Errorf("registry %s: %s: %d bytes, the index says %d: %w", ref.Registry, cref.what(), desc.Size, want.Size, errdefs.ErrDigestMismatch)
	}
	desc.MediaType = want.MediaType
	switch {
	case image.IsManifest(want.MediaType):
		return c.pullManifest(ctx, cref, ing, desc, data)
	case image.IsIndex(want.MediaType):
		_, err := c.pullIndex(ctx, cref, ing, desc, data, opts)
		return err
	}
	// An entry of a type berth does not know is kept as is (image-index.md
	// says it must not be an error).
	return c.storeManifest(ctx, cref, ing, desc, data)
}

// pullManifest fetches a manifest's config and layers in parallel, then
// stores the manifest.
func (c *Client) pullManifest(ctx context.Context, ref Reference, ing content.Ingester, desc ocispec.Descriptor, data []byte) error {
	m, err := image.ParseManifest(data)
	if err != nil {
		return fmt.Errorf("registry %s: %s: %w", ref.Registry, ref.WithDigest(desc.Digest).what(), err)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.opts.Concurrency)
	fetch := func(d ocispec.Descriptor, label string) {
		g.Go(func() error { return c.FetchBlob(gctx, ref, ing, d, label) })
	}
	fetch(m.Config, "config")
	seen := map[string]bool{m.Config.Digest.String(): true}
	for _, l := range m.Layers {
		// Registries do not serve foreign layers; their urls do, and
		// skopeo and containerd leave them out too.
		if image.IsNonDistributable(l.MediaType) {
			continue
		}
		if !seen[l.Digest.String()] {
			seen[l.Digest.String()] = true
			fetch(l, "layer")
		}
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return c.storeManifest(ctx, ref, ing, desc, data)
}

func (c *Client) storeManifest(ctx context.Context, ref Reference, ing content.Ingester, desc ocispec.Descriptor, data []byte) error {
	if err := content.WriteBlob(ctx, ing, desc, bytes.NewReader(data)); err != nil {
		return fmt.Errorf("store %s: %w", ref.WithDigest(desc.Digest).what(), err)
	}
	return nil
}
