package registry

import (
	"context"
	"fmt"

	"github.com/berth-oci/berth/content"
	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/image"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"
)

// PushOptions tunes a push.
type PushOptions struct {
	// MountFrom lists other repositories of the same registry that may
	// hold the blobs already; they are mounted from there (end-11) rather
	// than uploaded.
	MountFrom []string
}

// Push uploads the image (or index, or artifact) root from src to ref:
// children before parents, so the registry never sees a manifest whose
// blobs are missing. Blobs the repository has are skipped. The root goes
// under ref's tag, or only by digest when ref has none; a ref with a
// digest must name root. A manifest with a subject is added to the
// subject's referrers, through the registry's referrers API when it has
// one and through the referrers tag schema when not.
func (c *Client) Push(ctx context.Context, ref Reference, src content.Provider, root ocispec.Descriptor, opts PushOptions) error {
	if ref.Digest != "" && ref.Digest != root.Digest {
		return fmt.Errorf("push %s: the reference names %s but the image is %s: %w", ref, ref.Digest, root.Digest, errdefs.ErrInvalidArgument)
	}
	return c.pushNode(ctx, ref, src, root, opts, true)
}

// pushNode pushes desc and everything below it.
func (c *Client) pushNode(ctx context.Context, ref Reference, src content.Provider, desc ocispec.Descriptor, opts PushOptions, isRoot bool) error {
	data, err := content.ReadBlobLimit(ctx, src, desc, content.MaxManifestSize)
	if err != nil {
		return fmt.Errorf("push %s: read %s %s: %w", ref.Name(), desc.MediaType, desc.Digest, err)
	}
	if err := image.Validate(desc.MediaType, data); err != nil {
		return fmt.Errorf("push %s: %s %s: %w", ref.Name(), desc.MediaType, desc.Digest, err)
	}
	switch {
	case image.IsIndex(desc.MediaType):
		idx, err := image.ParseIndex(data)
		if err != nil {
			return err
		}
		for _, child := range idx.Manifests {
			if err := c.pushNode(ctx, ref, src, child, opts, false); err != nil {
				return err
			}
		}
	case image.IsManifest(desc.MediaType):
		m, err := image.ParseManifest(data)
		if err != nil {
			return err
		}
		if err := c.pushBlobs(ctx, ref, src, m, opts); err != nil {
			return err
		}
	}
	target := ref.WithTag("")
	if isRoot {
		target.Tag = ref.Tag
	}
	subject, err := c.PushManifest(ctx, target, desc, data)
	if err != nil {
		return err
	}
	return c.afterSubjectPush(ctx, ref, desc, data, subject)
}

// pushBlobs uploads a manifest's config and layers in parallel.
func (c *Client) pushBlobs(ctx context.Context, ref Reference, src content.Provider, m *ocispec.Manifest, opts PushOptions) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.opts.Concurrency)
	seen := map[string]bool{}
	push := func(d ocispec.Descriptor, label string) {
		if seen[d.Digest.String()] {
			return
		}
		seen[d.Digest.String()] = true
		g.Go(func() error { return c.PushBlob(gctx, ref, src, d, label, opts.MountFrom) })
	}
	push(m.Config, "config")
	for _, l := range m.Layers {
		if !image.IsNonDistributable(l.MediaType) {
			push(l, "layer")
		}
	}
	return g.Wait()
}
