package registry

import (
	"context"
	"fmt"

	"github.com/berth-oci/berth/content"
	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/image"
	"github.com/berth-oci/berth/internal/progress"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// ImageStore is a place on this machine that keeps images by name: an OCI
// image layout, a docker archive being read or written, the engine's image
// store. It is the local end of a Copy.
type ImageStore interface {
	content.Provider
	content.Ingester
	// Resolve returns the descriptor of the image named name; "" names the
	// store's only image. An unknown name is an error wrapping
	// errdefs.ErrNotFound.
	Resolve(ctx context.Context, name string) (ocispec.Descriptor, error)
	// Tag names desc, stored already with everything it references, name,
	// replacing what had that name. An empty name records desc unnamed.
	Tag(ctx context.Context, desc ocispec.Descriptor, name string) error
}

// Location is one end of a Copy: an image in a registry (Client and Ref)
// or in an ImageStore (Store and Name).
type Location struct {
	Client *Client
	Ref    Reference
	Store  ImageStore
	Name   string
}

// Remote is the Location of ref, reached through c.
func Remote(c *Client, ref Reference) Location { return Location{Client: c, Ref: ref} }

// Local is the Location of the image name in s.
func Local(s ImageStore, name string) Location { return Location{Store: s, Name: name} }

func (e Location) String() string {
	if e.Store != nil {
		return fmt.Sprintf("image %q", e.Name)
	}
	return e.Ref.String()
}

func (e Location) check(what string) error {
	if (e.Store == nil) == (e.Client == nil) {
		return fmt.Errorf("copy: the %s must be a registry (Client and Ref) or a store (Store): %w", what, errdefs.ErrInvalidArgument)
	}
	return nil
}

// CopyOptions chooses what a Copy moves.
type CopyOptions struct {
	// Platform is the platform whose manifest is taken from an index; nil
	// means the host's (image.Host).
	Platform *ocispec.Platform
	// All copies an index with every manifest it lists; without it only
	// the platform's manifest is copied and becomes the destination's root.
	All bool
	// Progress receives the transfers between two stores; transfers from
	// or to a registry are reported through its Client's Options.Progress.
	Progress progress.Reporter
	// Concurrency bounds parallel blob copies between two stores; 0 means 4.
	Concurrency int
	// OCI converts Docker schema 2 manifests, lists and configs to OCI
	// (ToOCI), as skopeo does for OCI layouts; digests change, layers
	// keep their bytes.
	OCI bool
}

// Copied says what a Copy wrote.
type Copied struct {
	// Root is the descriptor written and named at the destination: the
	// platform's manifest, or the index with All.
	Root ocispec.Descriptor
}

// Copy copies the image src names to dst, as skopeo copy does: between two
// registries (streamed, blobs mounted when both are repositories of one
// registry), from a registry into a store (Pull), from a store to a
// registry (Push) or between stores. Every blob is verified by whoever
// stores it; blobs the destination has are skipped; children are written
// before their parents and the name last, so a failed copy names nothing
// half there.
func Copy(ctx context.Context, src, dst Location, opts CopyOptions) (Copied, error) {
	if err := src.check("source"); err != nil {
		return Copied{}, err
	}
	if err := dst.check("destination"); err != nil {
		return Copied{}, err
	}
	p, root, err := resolveSource(ctx, src)
	if err != nil {
		return Copied{}, err
	}
	if root, err = chooseRoot(ctx, p, root, opts); err != nil {
		return Copied{}, fmt.Errorf("copy %s: %w", src, err)
	}
	converted := false
	if opts.OCI {
		orig := root.Digest
		if p, root, err = ToOCI(ctx, p, root); err != nil {
			return Copied{}, fmt.Errorf("copy %s: %w", src, err)
		}
		converted = root.Digest != orig
	}
	if dst.Client != nil {
		err = pushTo(ctx, src, dst, p, root)
	} else {
		err = copyIntoStore(ctx, src, dst, p, root, opts, converted)
	}
	if err != nil {
		return Copied{}, err
	}
	return Copied{Root: root}, nil
}

// resolveSource returns where src's blobs are read and the descriptor of
// what it names.
func resolveSource(ctx context.Context, src Location) (content.Provider, ocispec.Descriptor, error) {
	if src.Store != nil {
		root, err := src.Store.Resolve(ctx, src.Name)
		return src.Store, root, err
	}
	rp := src.Client.Provider(src.Ref).(*remoteProvider)
	root, data, err := src.Client.FetchManifest(ctx, src.Ref)
	if err != nil {
		return nil, ocispec.Descriptor{}, err
	}
	rp.manifests[root.Digest] = data
	return rp, root, nil
}

// chooseRoot picks the platform's manifest out of an index unless All.
func chooseRoot(ctx context.Context, p content.Provider, root ocispec.Descriptor, opts CopyOptions) (ocispec.Descriptor, error) {
	if opts.All || !image.IsIndex(root.MediaType) {
		return root, nil
	}
	for depth := 0; image.IsIndex(root.MediaType); depth++ {
		if depth >= 8 {
			return ocispec.Descriptor{}, fmt.Errorf("indexes nested deeper than 8: %w", errdefs.ErrInvalidArgument)
		}
		data, err := content.ReadBlobLimit(ctx, p, root, content.MaxManifestSize)
		if err != nil {
			return ocispec.Descriptor{}, err
		}
		idx, err := image.ParseIndex(data)
		if err != nil {
			return ocispec.Descriptor{}, fmt.Errorf("index %s: %w", root.Digest, err)
		}
		want := image.Host()
		if opts.Platform != nil {
			want = *opts.Platform
		}
		if root, err = image.SelectManifest(idx, want); err != nil {
			return ocispec.Descriptor{}, err
		}
	}
	return root, nil
}

// pushTo uploads root from p; between repositories of one registry the
// blobs are mounted rather than moved.
func pushTo(ctx context.Context, src, dst Location, p content.Provider, root ocispec.Descriptor) error {
	var po PushOptions
	if src.Client != nil && src.Ref.Registry == dst.Ref.Registry && src.Ref.Repository != dst.Ref.Repository {
		po.MountFrom = []string{src.Ref.Repository}
	}
	return dst.Client.Push(ctx, dst.Ref, p, root, po)
}

// copyIntoStore stores root with everything below it in dst's store and
// names it. An image as the registry serves it is pulled (resumable into
// the store); a converted one is copied from p.
func copyIntoStore(ctx context.Context, src, dst Location, p content.Provider, root ocispec.Descriptor, opts CopyOptions, converted bool) error {
	var err error
	if src.Client != nil && !converted {
		_, err = src.Client.Pull(ctx, src.Ref.WithDigest(root.Digest), dst.Store, PullOptions{AllPlatforms: true})
	} else {
		err = CopyGraph(ctx, p, dst.Store, root, opts)
	}
	if err != nil {
		return err
	}
	if err := dst.Store.Tag(ctx, root, dst.Name); err != nil {
		return fmt.Errorf("copy to %s: %w", dst, err)
	}
	return nil
}
