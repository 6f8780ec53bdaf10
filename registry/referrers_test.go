package registry_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/registry"
	"github.com/berth-oci/berth/registry/internal/registrytest"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestReferrersTag(t *testing.T) {
	for in, want := range map[digest.Digest]string{
		digest.Digest("sha256:" + strings.Repeat("a", 64)):  "sha256-" + strings.Repeat("a", 64),
		digest.Digest("sha512:" + strings.Repeat("a", 128)): "sha512-" + strings.Repeat("a", 64),
		"test+algorithm+using+algorithm+separators+and+lots+of+characters+to+excercise+overall+truncation:alsoSome=InTheEncodedSectionToShowHyphenReplacementAndLotsAndLotsOfCharactersToExcerciseEncodedTruncation": "test-algorithm-using-algorithm-s-alsoSome-InTheEncodedSectionToShowHyphenReplacementAndLotsAndLot",
	} {
		if got := registry.ReferrersTag(in); got != want {
			t.Errorf("ReferrersTag(%s) = %s, want %s", in, got, want)
		}
	}
}

// docker-registry 2.8 has no referrers API: attaching artifacts goes
// through the referrers tag schema, which skopeo-era tools can read too.
func TestArtifactsWithTagSchemaFallback(t *testing.T) {
	reg := startRegistry(t, registrytest.Options{})
	src := newStore(t)
	img := registrytest.NewImage(t, src, 1, 10<<10, linuxAMD64)
	c := newClient(registry.Options{})
	ref := mustRef(t, reg.Host+"/berth/signed:v1")
	if err := c.Push(ctx, ref, src, img.Manifest, registry.PushOptions{}); err != nil {
		t.Fatal(err)
	}
	subject, err := c.Resolve(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sbom := filepath.Join(dir, "sbom.json")
	sig := filepath.Join(dir, "image.sig")
	must(t, os.WriteFile(sbom, []byte(`{"packages":[]}`), 0o644))
	must(t, os.WriteFile(sig, []byte("signature bytes"), 0o644))

	repo := ref.WithTag("")
	sbomDesc, err := c.PushArtifact(ctx, repo, registry.Artifact{
		ArtifactType: "application/vnd.example.sbom.v1+json", Subject: &subject,
		Files: []registry.ArtifactFile{{Path: sbom, MediaType: "application/spdx+json"}}, Annotations: map[string]string{"org.example.kind": "sbom"},
	})
	if err != nil {
		t.Fatal(err)
	}
	sigDesc, err := c.PushArtifact(ctx, repo, registry.Artifact{ArtifactType: "application/vnd.example.sig.v1", Subject: &subject, Files: []registry.ArtifactFile{{Path: sig}}})
	if err != nil {
		t.Fatal(err)
	}
	// Pushing the same artifact again adds no duplicate.
	if _, err := c.PushArtifact(ctx, repo, registry.Artifact{ArtifactType: "application/vnd.example.sig.v1", Subject: &subject, Files: []registry.ArtifactFile{{Path: sig}}}); err != nil {
		t.Fatal(err)
	}

	all, err := c.ListReferrers(ctx, repo, subject.Digest, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].Digest != sbomDesc.Digest || all[1].Digest != sigDesc.Digest {
		t.Fatalf("referrers %+v, want the sbom then the signature", all)
	}
	if all[0].ArtifactType != "application/vnd.example.sbom.v1+json" || all[0].Annotations["org.example.kind"] != "sbom" {
		t.Errorf("referrer entry lacks artifactType or annotations: %+v", all[0])
	}
	sigs, err := c.ListReferrers(ctx, repo, subject.Digest, "application/vnd.example.sig.v1")
	if err != nil || len(sigs) != 1 || sigs[0].Digest != sigDesc.Digest {
		t.Fatalf("filtered referrers %+v, %v", sigs, err)
	}
	none, err := c.ListReferrers(ctx, repo, img.Config.Digest, "")
	if err != nil || len(none) != 0 {
		t.Fatalf("referrers of a digest nothing refers to: %+v, %v", none, err)
	}
	tags, err := c.ListTags(ctx, repo, 0)
	if err != nil || !slices.Contains(tags, registry.ReferrersTag(subject.Digest)) {
		t.Fatalf("tags %v, %v: want the referrers tag", tags, err)
	}

	out := t.TempDir()
	got, err := c.PullArtifact(ctx, repo.WithDigest(sbomDesc.Digest), newStore(t), out)
	if err != nil {
		t.Fatal(err)
	}
	if got.ArtifactType != "application/vnd.example.sbom.v1+json" || len(got.Files) != 1 {
		t.Fatalf("pulled artifact %+v", got)
	}
	if data, err := os.ReadFile(filepath.Join(out, "sbom.json")); err != nil || string(data) != `{"packages":[]}` {
		t.Fatalf("pulled file: %q, %v", data, err)
	}

	if _, err := c.PushArtifact(ctx, repo, registry.Artifact{Files: []registry.ArtifactFile{{Path: sig}}}); !errdefs.IsInvalidArgument(err) {
		t.Errorf("artifact without a type: %v", err)
	}
}

// fakeReferrers is a registry front that answers the referrers API itself
// and proxies everything else, to exercise the API path.
type fakeReferrers struct {
	upstream *registrytest.Proxy
	index    ocispec.Index
	queries  []string
}

func (f *fakeReferrers) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.Contains(r.URL.Path, "/referrers/") {
		f.upstream.ServeHTTP(w, r)
		return
	}
	f.queries = append(f.queries, r.URL.RawQuery)
	idx := f.index
	w.Header().Set("Content-Type", ocispec.MediaTypeImageIndex)
	if r.URL.Query().Get("page") == "" {
		idx.Manifests = idx.Manifests[:1]
		w.Header().Set("Link", `<`+r.URL.Path+`?page=2>; rel="next"`)
	} else {
		idx.Manifests = idx.Manifests[1:]
	}
	json.NewEncoder(w).Encode(idx)
}

func TestReferrersAPI(t *testing.T) {
	reg := startRegistry(t, registrytest.Options{})
	sub := digest.FromString("subject")
	fake := &fakeReferrers{upstream: registrytest.NewProxy(t, reg.Host), index: ocispec.Index{
		MediaType: ocispec.MediaTypeImageIndex,
		Manifests: []ocispec.Descriptor{
			{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.FromString("a"), Size: 1, ArtifactType: "application/x.a"},
			{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.FromString("b"), Size: 1, ArtifactType: "application/x.b"},
		},
	}}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	c := newClient(registry.Options{})
	repo := mustRef(t, host+"/berth/api")
	// The server applies no filter (no OCI-Filters-Applied): the client
	// filters, across both pages.
	got, err := c.ListReferrers(ctx, repo, sub, "application/x.b")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ArtifactType != "application/x.b" {
		t.Fatalf("referrers %+v", got)
	}
	if len(fake.queries) != 2 || fake.queries[0] != "artifactType=application%2Fx.b" {
		t.Fatalf("queries %q", fake.queries)
	}

	// A registry that confirms the subject with OCI-Subject needs no tag.
	src := newStore(t)
	img := registrytest.NewImage(t, src, 1, 1<<10, linuxAMD64)
	if err := c.Push(ctx, mustRef(t, host+"/berth/api:v1"), src, img.Manifest, registry.PushOptions{}); err != nil {
		t.Fatal(err)
	}
	subject, err := c.Resolve(ctx, mustRef(t, host+"/berth/api:v1"))
	if err != nil {
		t.Fatal(err)
	}
	confirm := registrytest.NewProxy(t, reg.Host)
	confirm.SetHeader(registrytest.PathContains(http.MethodPut, "/manifests/"), "OCI-Subject", subject.Digest.String())
	c2 := newClient(registry.Options{})
	if _, err := c2.PushArtifact(ctx, mustRef(t, confirm.Host+"/berth/api"), registry.Artifact{ArtifactType: "application/x.c", Subject: &subject}); err != nil {
		t.Fatal(err)
	}
	for _, l := range confirm.Log() {
		if strings.Contains(l.Path, registry.ReferrersTag(subject.Digest)) {
			t.Fatalf("client touched the referrers tag although the registry confirmed the subject: %+v", l)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
