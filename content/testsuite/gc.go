package testsuite

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/berth-oci/berth/content"
	"github.com/berth-oci/berth/image"
	digest "github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// graph builds images in a store and remembers what it wrote.
type graph struct {
	t   *testing.T
	s   content.Store
	all []digest.Digest
}

func (g *graph) put(b blob) ocispec.Descriptor {
	g.t.Helper()
	put(g.t, g.s, b)
	g.all = append(g.all, b.desc.Digest)
	return b.desc
}

func (g *graph) json(mt string, v any) ocispec.Descriptor {
	g.t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		g.t.Fatal(err)
	}
	return g.put(newBlob(digest.SHA256, mt, data))
}

func (g *graph) layer(text string) ocispec.Descriptor {
	return g.put(newBlob(digest.SHA256, ocispec.MediaTypeImageLayerGzip, []byte(text)))
}

// manifest stores a config and a manifest over layers, with an optional
// subject, and returns the manifest's descriptor.
func (g *graph) manifest(name string, subject *ocispec.Descriptor, layers ...ocispec.Descriptor) ocispec.Descriptor {
	cfg := g.json(ocispec.MediaTypeImageConfig, map[string]string{"architecture": "amd64", "os": "linux", "comment": name})
	return g.json(ocispec.MediaTypeImageManifest, ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageManifest,
		Config:    cfg,
		Layers:    append([]ocispec.Descriptor{}, layers...),
		Subject:   subject,
	})
}

func (g *graph) index(subject *ocispec.Descriptor, manifests ...ocispec.Descriptor) ocispec.Descriptor {
	return g.json(ocispec.MediaTypeImageIndex, ocispec.Index{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageIndex,
		Manifests: manifests,
		Subject:   subject,
	})
}

// gcCheck runs GC and checks it removed exactly the blobs of the store
// outside keep, and kept every blob of g in keep.
func gcCheck(t *testing.T, g *graph, roots []ocispec.Descriptor, keep map[digest.Digest]bool) {
	t.Helper()
	var wantRemoved, wantKept []digest.Digest
	for _, d := range walkAll(t, g.s) {
		if !keep[d] {
			wantRemoved = append(wantRemoved, d)
		}
	}
	for _, d := range g.all {
		if keep[d] {
			wantKept = append(wantKept, d)
		}
	}
	slices.Sort(wantKept)
	wantKept = slices.Compact(wantKept)
	removed, err := content.GC(context.Background(), g.s, roots)
	if err != nil {
		t.Fatalf("gc: %v", err)
	}
	if !slices.Equal(removed, wantRemoved) {
		t.Errorf("gc removed %v\nwant %v", removed, wantRemoved)
	}
	if got := walkAll(t, g.s); !slices.Equal(got, wantKept) {
		t.Errorf("after gc the store holds %v\nwant %v", got, wantKept)
	}
}

// reach returns the digests of everything reachable from descs in g's store.
func reach(t *testing.T, g *graph, descs ...ocispec.Descriptor) map[digest.Digest]bool {
	t.Helper()
	m, err := content.Reachable(context.Background(), g.s, descs)
	if err != nil {
		t.Fatal(err)
	}
	out := map[digest.Digest]bool{}
	for d := range m {
		out[d] = true
	}
	return out
}

func testGC(t *testing.T, s content.Store) {
	g := &graph{t: t, s: s}
	shared := g.layer("shared base layer")
	amd := g.manifest("amd64", nil, shared, g.layer("amd64 layer"))
	arm := g.manifest("arm64", nil, shared, g.layer("arm64 layer"))
	root := g.index(nil, amd, arm)
	sig := g.manifest("signature of amd64", &amd, g.layer("signature"))
	sbom := g.index(&root, g.manifest("sbom inside an index", nil, g.layer("sbom")))

	dropped := g.manifest("old image", nil, shared, g.layer("old layer"))
	g.manifest("signature of the old image", &dropped, g.layer("old signature"))
	g.layer("orphan layer")
	g.json(image.MediaTypeDockerConfig, map[string]string{"orphan": "docker config"})

	keep := reach(t, g, root)
	for d := range reach(t, g, sig, sbom) {
		keep[d] = true
	}
	if len(keep) != 15 {
		t.Fatalf("test graph: %d blobs to keep, want 15", len(keep))
	}
	if n := len(walkAll(t, s)) - len(keep); n != 8 {
		t.Fatalf("test graph: %d blobs to remove, want 8", n)
	}
	gcCheck(t, g, []ocispec.Descriptor{root}, keep)
	// A second run finds nothing more to do.
	gcCheck(t, g, []ocispec.Descriptor{root}, keep)
}

// A referrer of a referrer is kept (the fixpoint), and Docker media types
// are followed like OCI ones.
func testGCReferrerChain(t *testing.T, s content.Store) {
	g := &graph{t: t, s: s}
	cfg := g.json(image.MediaTypeDockerConfig, map[string]string{"os": "linux"})
	layer := g.put(newBlob(digest.SHA256, image.MediaTypeDockerLayerGzip, []byte("docker layer")))
	docker := g.json(image.MediaTypeDockerManifest, map[string]any{
		"schemaVersion": 2, "mediaType": image.MediaTypeDockerManifest,
		"config": cfg, "layers": []ocispec.Descriptor{layer},
	})
	list := g.json(image.MediaTypeDockerManifestList, map[string]any{
		"schemaVersion": 2, "mediaType": image.MediaTypeDockerManifestList,
		"manifests": []ocispec.Descriptor{docker},
	})
	sbom := g.manifest("sbom", &docker, g.layer("sbom"))
	sigOfSbom := g.manifest("signature of the sbom", &sbom, g.layer("sbom signature"))
	sigOfSig := g.manifest("signature of that signature", &sigOfSbom)
	g.layer("garbage")

	keep := reach(t, g, list, sbom, sigOfSbom, sigOfSig)
	gcCheck(t, g, []ocispec.Descriptor{list}, keep)
}

// An index may name manifests the store lacks (platforms never pulled):
// GC keeps what is there and fails on nothing.
func testGCMissingManifest(t *testing.T, s content.Store) {
	g := &graph{t: t, s: s}
	present := g.manifest("pulled platform", nil, g.layer("pulled"))
	absent := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.FromString("never pulled"), Size: 1234}
	root := g.index(nil, present, absent)
	g.layer("garbage")
	keep := reach(t, g, root)
	gcCheck(t, g, []ocispec.Descriptor{root}, keep)
}

// When a manifest in the graph does not match its descriptor, GC cannot
// know what it references and must delete nothing.
func testGCCorruptGraph(t *testing.T, s content.Store) {
	g := &graph{t: t, s: s}
	m := g.manifest("image", nil, g.layer("layer"))
	g.layer("garbage")
	bad := m
	bad.Size++ // the descriptor disagrees with the stored manifest
	root := g.index(nil, bad)
	before := walkAll(t, s)
	if removed, err := content.GC(context.Background(), s, []ocispec.Descriptor{root}); err == nil {
		t.Errorf("gc over a corrupt graph succeeded, removing %v", removed)
	}
	if after := walkAll(t, s); !slices.Equal(before, after) {
		t.Errorf("gc over a corrupt graph changed the store:\nbefore %v\nafter  %v", before, after)
	}
}
