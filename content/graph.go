package content

import (
	"context"
	"errors"
	"fmt"

	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/image"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Children returns the descriptors the blob desc refers to: for a manifest
// its config, layers and subject, for an index its manifests and subject
// (OCI and Docker media types alike). Any other media type has none and is
// not read. The blob is read with ReadBlobLimit and MaxManifestSize, so it is
// verified against desc first.
func Children(ctx context.Context, p Provider, desc ocispec.Descriptor) ([]ocispec.Descriptor, error) {
	if !image.IsManifest(desc.MediaType) && !image.IsIndex(desc.MediaType) {
		return nil, nil
	}
	data, err := ReadBlobLimit(ctx, p, desc, MaxManifestSize)
	if err != nil {
		return nil, err
	}
	children, err := image.Children(desc.MediaType, data)
	if err != nil {
		return nil, fmt.Errorf("blob %s: %w", desc.Digest, err)
	}
	return children, nil
}

// Reachable returns every blob reachable from roots through indexes and
// manifests (index → manifests → config, layers, subject), roots included,
// keyed by digest. A blob absent from p is included but not followed: an
// image layout may lack the manifests of platforms it was not pulled for,
// and the spec lets it. Any other failure (a malformed digest, a manifest
// that does not match its digest or does not parse) is returned, since a
// graph that cannot be read cannot be trusted to say what is unreachable.
func Reachable(ctx context.Context, p Provider, roots []ocispec.Descriptor) (map[digest.Digest]ocispec.Descriptor, error) {
	seen := make(map[digest.Digest]ocispec.Descriptor)
	return seen, walkFrom(ctx, p, roots, seen)
}

// walkFrom adds to seen everything reachable from roots that seen lacks.
func walkFrom(ctx context.Context, p Provider, roots []ocispec.Descriptor, seen map[digest.Digest]ocispec.Descriptor) error {
	queue := append([]ocispec.Descriptor(nil), roots...)
	for len(queue) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		desc := queue[0]
		queue = queue[1:]
		if err := ValidateDigest(desc.Digest); err != nil {
			return err
		}
		if _, ok := seen[desc.Digest]; ok {
			continue
		}
		seen[desc.Digest] = desc
		children, err := Children(ctx, p, desc)
		if errors.Is(err, errdefs.ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("walk %s: %w", desc.Digest, err)
		}
		queue = append(queue, children...)
	}
	return nil
}
