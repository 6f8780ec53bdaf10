package dockerarchive

import (
	"context"
	"fmt"
	"strings"

	"github.com/berth-oci/berth/content"
	"github.com/berth-oci/berth/image"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// readOCI imports an archive that is an OCI image layout (Docker 25+):
// every blob, verified, then the images of its index.json, named by
// manifest.json's RepoTags or the index's annotations.
func readOCI(ctx context.Context, ti *tarIndex, store content.Store) ([]Image, error) {
	for name, e := range ti.entries {
		d, ok := blobDigest(name)
		if !ok || e.linkname != "" {
			continue
		}
		sr, err := ti.open(name)
		if err != nil {
			return nil, err
		}
		if err := content.WriteBlob(ctx, store, ocispec.Descriptor{Digest: d, Size: e.size}, sr); err != nil {
			return nil, fmt.Errorf("%s: %s: %w", ti.path, name, err)
		}
	}
	data, err := ti.readAll(ocispec.ImageIndexFile, content.MaxManifestSize)
	if err != nil {
		return nil, err
	}
	idx, err := image.ParseIndex(data)
	if err != nil {
		return nil, fmt.Errorf("%s: index.json: %w", ti.path, err)
	}
	tags, err := tagsByConfig(ti)
	if err != nil {
		return nil, err
	}
	out := make([]Image, 0, len(idx.Manifests))
	for _, d := range idx.Manifests {
		img := Image{Manifest: d}
		if name := d.Annotations[annotationImageName]; name != "" {
			img.RepoTags = []string{name}
		}
		if cfg, ok := configOf(ctx, store, d); ok && len(tags[cfg]) > 0 {
			img.RepoTags = tags[cfg]
		}
		out = append(out, img)
	}
	return out, nil
}

// blobDigest parses a member name blobs/<alg>/<hex> into a digest.
func blobDigest(name string) (digest.Digest, bool) {
	parts := strings.Split(name, "/")
	if len(parts) != 3 || parts[0] != ocispec.ImageBlobsDir {
		return "", false
	}
	d := digest.NewDigestFromEncoded(digest.Algorithm(parts[1]), parts[2])
	return d, d.Validate() == nil
}

// tagsByConfig maps config digests to the RepoTags manifest.json gives
// them; an archive without manifest.json has none.
func tagsByConfig(ti *tarIndex) (map[digest.Digest][]string, error) {
	out := map[digest.Digest][]string{}
	if !ti.has(manifestFile) {
		return out, nil
	}
	entries, err := readManifestJSON(ti)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if d, ok := blobDigest(cleanName(e.Config)); ok {
			out[d] = append(out[d], e.RepoTags...)
		} else if len(e.Config) == 69 && strings.HasSuffix(e.Config, ".json") {
			out[digest.NewDigestFromEncoded(digest.SHA256, strings.TrimSuffix(e.Config, ".json"))] = e.RepoTags
		}
	}
	return out, nil
}

// configOf returns the config digest of the manifest d, when d is one.
func configOf(ctx context.Context, store content.Provider, d ocispec.Descriptor) (digest.Digest, bool) {
	if !image.IsManifest(d.MediaType) {
		return "", false
	}
	data, err := content.ReadBlobLimit(ctx, store, d, content.MaxManifestSize)
	if err != nil {
		return "", false
	}
	m, err := image.ParseManifest(data)
	if err != nil {
		return "", false
	}
	return m.Config.Digest, true
}
