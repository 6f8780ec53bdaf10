package registry

import (
	"bytes"
	"context"
	"fmt"

	"github.com/berth-oci/berth/content"
	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/image"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// ToOCI returns root converted to OCI media types (image.ConvertConfig,
// ConvertManifest, ConvertIndex) and a Provider that serves the converted
// documents from memory and every other blob (layers keep their bytes)
// from p. What is OCI already is returned as it is. Copying from the
// returned Provider writes an OCI image, as skopeo does for oci:
// destinations.
func ToOCI(ctx context.Context, p content.Provider, root ocispec.Descriptor) (content.Provider, ocispec.Descriptor, error) {
	cp := &convertedProvider{Provider: p, docs: map[digest.Digest][]byte{}}
	d, err := cp.convert(ctx, root, 0)
	if err != nil {
		return nil, ocispec.Descriptor{}, fmt.Errorf("convert %s to OCI: %w", root.Digest, err)
	}
	return cp, d, nil
}

type convertedProvider struct {
	content.Provider
	docs map[digest.Digest][]byte
}

func (cp *convertedProvider) ReaderAt(ctx context.Context, desc ocispec.Descriptor) (content.ReaderAt, error) {
	if data, ok := cp.docs[desc.Digest]; ok {
		return &bytesReaderAt{bytes.NewReader(data)}, nil
	}
	return cp.Provider.ReaderAt(ctx, desc)
}

func (cp *convertedProvider) Info(ctx context.Context, dgst digest.Digest) (content.Info, error) {
	if data, ok := cp.docs[dgst]; ok {
		return content.Info{Digest: dgst, Size: int64(len(data))}, nil
	}
	return cp.Provider.Info(ctx, dgst)
}

func (cp *convertedProvider) add(data []byte, desc ocispec.Descriptor, from ocispec.Descriptor) ocispec.Descriptor {
	cp.docs[desc.Digest] = data
	desc.Platform, desc.Annotations = from.Platform, from.Annotations
	return desc
}

// convert converts desc and what it references, bottom up.
func (cp *convertedProvider) convert(ctx context.Context, desc ocispec.Descriptor, depth int) (ocispec.Descriptor, error) {
	switch desc.MediaType {
	case image.MediaTypeDockerManifest:
		return cp.convertManifest(ctx, desc)
	case image.MediaTypeDockerManifestList:
		if depth > 8 {
			return ocispec.Descriptor{}, fmt.Errorf("indexes nested deeper than 8: %w", errdefs.ErrInvalidArgument)
		}
		return cp.convertList(ctx, desc, depth)
	}
	return desc, nil
}

func (cp *convertedProvider) convertManifest(ctx context.Context, desc ocispec.Descriptor) (ocispec.Descriptor, error) {
	data, err := content.ReadBlobLimit(ctx, cp.Provider, desc, content.MaxManifestSize)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	m, err := image.ParseManifest(data)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("manifest %s: %w", desc.Digest, err)
	}
	cfgData, err := content.ReadBlob(ctx, cp.Provider, m.Config)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	cfg, cfgDesc, err := image.ConvertConfig(cfgData)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("config %s: %w", m.Config.Digest, err)
	}
	cp.docs[cfgDesc.Digest] = cfg
	out, _, err := image.ConvertManifest(data, cfgDesc)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("manifest %s: %w", desc.Digest, err)
	}
	return cp.add(out, image.Describe(ocispec.MediaTypeImageManifest, out), desc), nil
}

func (cp *convertedProvider) convertList(ctx context.Context, desc ocispec.Descriptor, depth int) (ocispec.Descriptor, error) {
	data, err := content.ReadBlobLimit(ctx, cp.Provider, desc, content.MaxManifestSize)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	idx, err := image.ParseIndex(data)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("index %s: %w", desc.Digest, err)
	}
	converted := map[digest.Digest]ocispec.Descriptor{}
	for _, child := range idx.Manifests {
		nd, err := cp.convert(ctx, child, depth+1)
		if err != nil {
			return ocispec.Descriptor{}, err
		}
		if nd.Digest != child.Digest {
			nd.Platform, nd.Annotations = nil, nil
			converted[child.Digest] = nd
		}
	}
	out, _, err := image.ConvertIndex(data, converted)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("index %s: %w", desc.Digest, err)
	}
	return cp.add(out, image.Describe(ocispec.MediaTypeImageIndex, out), desc), nil
}
