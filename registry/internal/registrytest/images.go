package registrytest

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/berth-oci/berth/content"
	"github.com/berth-oci/berth/internal/testimage"
	digest "github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Image is a random image written to a content store.
type Image = *testimage.Image

// Put stores data as a blob of media type mt and returns its descriptor.
func Put(t testing.TB, ing content.Ingester, mt string, data []byte) ocispec.Descriptor {
	t.Helper()
	d := ocispec.Descriptor{MediaType: mt, Digest: digest.FromBytes(data), Size: int64(len(data))}
	if err := content.WriteBlob(context.Background(), ing, d, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	return d
}

// PutJSON stores v marshalled as a blob of media type mt.
func PutJSON(t testing.TB, ing content.Ingester, mt string, v any) (ocispec.Descriptor, []byte) {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return Put(t, ing, mt, data), data
}

// NewImage writes a random image (internal/testimage) of n layers of about
// size bytes of incompressible data each for platform into ing. Every call
// makes different layers.
func NewImage(t testing.TB, ing content.Ingester, n int, size int64, platform ocispec.Platform) Image {
	t.Helper()
	img, err := testimage.Build(context.Background(), ing, testimage.Options{
		NumLayers: n, LayerSize: int(size), Platform: platform, Seed: rand.Int64(),
		Config: ocispec.ImageConfig{Cmd: []string{"/bin/sh"}},
	})
	must(t, err)
	return img
}

// NewIndex writes an index of imgs (with their platforms) into ing.
func NewIndex(t testing.TB, ing content.Ingester, imgs ...Image) (ocispec.Descriptor, []byte) {
	t.Helper()
	idx := ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex}
	for _, img := range imgs {
		idx.Manifests = append(idx.Manifests, img.Manifest)
	}
	return PutJSON(t, ing, ocispec.MediaTypeImageIndex, idx)
}

// WriteLayout makes dir an OCI image layout whose blobs are in dir/blobs
// (where a content/local store rooted there puts them) and whose index.json
// names root with tag.
func WriteLayout(t testing.TB, dir, tag string, root ocispec.Descriptor) {
	t.Helper()
	root.Platform = nil
	root.Annotations = map[string]string{ocispec.AnnotationRefName: tag}
	idx := ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{root}}
	data, err := json.Marshal(idx)
	must(t, err)
	must(t, os.WriteFile(filepath.Join(dir, "index.json"), data, 0o644))
	must(t, os.WriteFile(filepath.Join(dir, ocispec.ImageLayoutFile), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644))
}

// ReadLayoutIndex returns the manifests of dir/index.json.
func ReadLayoutIndex(t testing.TB, dir string) []ocispec.Descriptor {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "index.json"))
	must(t, err)
	var idx ocispec.Index
	must(t, json.Unmarshal(data, &idx))
	return idx.Manifests
}

// NewDockerImage writes a random image as Docker schema 2 (manifest,
// config and layer media types) into ing.
func NewDockerImage(t testing.TB, ing content.Ingester, n int, size int64, platform ocispec.Platform) Image {
	t.Helper()
	img := NewImage(t, ing, n, size, platform)
	img.Config.MediaType = "application/vnd.docker.container.image.v1+json"
	for i := range img.Layers {
		img.Layers[i].MediaType = "application/vnd.docker.image.rootfs.diff.tar.gzip"
	}
	m := ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: "application/vnd.docker.distribution.manifest.v2+json",
		Config: img.Config, Layers: img.Layers,
	}
	img.Manifest, img.ManifestData = PutJSON(t, ing, m.MediaType, m)
	p := platform
	img.Manifest.Platform = &p
	return img
}

// NewDockerList writes a Docker manifest list of imgs into ing.
func NewDockerList(t testing.TB, ing content.Ingester, imgs ...Image) (ocispec.Descriptor, []byte) {
	t.Helper()
	idx := ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: "application/vnd.docker.distribution.manifest.list.v2+json"}
	for _, img := range imgs {
		idx.Manifests = append(idx.Manifests, img.Manifest)
	}
	return PutJSON(t, ing, idx.MediaType, idx)
}
