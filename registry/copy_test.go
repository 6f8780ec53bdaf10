package registry_test

import (
	"net/http"
	"testing"

	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/internal/progress"
	"github.com/berth-oci/berth/registry"
	"github.com/berth-oci/berth/registry/internal/registrytest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

var arm64 = ocispec.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}

// multiPlatform stores a two-platform index in a named store as "multi".
func multiPlatform(t *testing.T) (*registrytest.NamedStore, ocispec.Descriptor, registrytest.Image, registrytest.Image) {
	t.Helper()
	s := registrytest.NewNamedStore(t)
	amd := registrytest.NewImage(t, s, 2, 64<<10, linuxAMD64)
	arm := registrytest.NewImage(t, s, 2, 64<<10, arm64)
	idx, _ := registrytest.NewIndex(t, s, amd, arm)
	if err := s.Tag(ctx, idx, "multi"); err != nil {
		t.Fatal(err)
	}
	return s, idx, amd, arm
}

func TestCopyStoreRegistryStore(t *testing.T) {
	reg := startRegistry(t, registrytest.Options{})
	src, idx, _, arm := multiPlatform(t)
	c := newClient(registry.Options{})
	ref := mustRef(t, reg.Host+"/copy/all:v1")

	got, err := registry.Copy(ctx, registry.Local(src, "multi"), registry.Remote(c, ref), registry.CopyOptions{All: true})
	if err != nil {
		t.Fatal(err)
	}
	if got.Root.Digest != idx.Digest {
		t.Fatalf("copied root %s, want the index %s", got.Root.Digest, idx.Digest)
	}
	// Back into a store, one platform only: the manifest becomes the root.
	dst := registrytest.NewNamedStore(t)
	got, err = registry.Copy(ctx, registry.Remote(c, ref), registry.Local(dst, "arm"), registry.CopyOptions{Platform: &arm64})
	if err != nil {
		t.Fatal(err)
	}
	if got.Root.Digest != arm.Manifest.Digest || dst.Names["arm"].Digest != arm.Manifest.Digest {
		t.Fatalf("copied %s, named %v; want the arm64 manifest %s", got.Root.Digest, dst.Names, arm.Manifest.Digest)
	}
	found := verifyStore(t, dst)
	if len(found) != 4 || found[idx.Digest] {
		t.Fatalf("store holds %d blobs (index: %v), want the arm64 manifest, config and 2 layers", len(found), found[idx.Digest])
	}
	validate(t, dst, got.Root)

	// Store to store with every platform.
	all := registrytest.NewNamedStore(t)
	rec := recorder()
	if _, err := registry.Copy(ctx, registry.Local(src, "multi"), registry.Local(all, "x"), registry.CopyOptions{All: true, Progress: rec}); err != nil {
		t.Fatal(err)
	}
	if n := len(verifyStore(t, all)); n != 9 || rec.Count(progress.Done) != 9 {
		t.Fatalf("store copy holds %d blobs, reported %d done; want 9", n, rec.Count(progress.Done))
	}
	if _, err := registry.Copy(ctx, registry.Local(src, "nope"), registry.Local(all, "x"), registry.CopyOptions{}); !errdefs.IsNotFound(err) {
		t.Fatalf("copy of an unknown name: %v", err)
	}
}

func TestCopyBetweenRegistries(t *testing.T) {
	regA := startRegistry(t, registrytest.Options{})
	regB := startRegistry(t, registrytest.Options{})
	src, idx, amd, _ := multiPlatform(t)
	c := newClient(registry.Options{})
	a := mustRef(t, regA.Host+"/from/app:v1")
	if _, err := registry.Copy(ctx, registry.Local(src, "multi"), registry.Remote(c, a), registry.CopyOptions{All: true}); err != nil {
		t.Fatal(err)
	}

	// To another registry, streamed; a connection dropped halfway through a
	// source layer is picked up with a Range request.
	p := registrytest.NewProxy(t, regA.Host)
	p.DropAfter(layerGET(amd), 1, 20<<10)
	b := mustRef(t, regB.Host+"/to/app:v1")
	got, err := registry.Copy(ctx, registry.Remote(c, mustRef(t, p.Host+"/from/app:v1")), registry.Remote(c, b), registry.CopyOptions{All: true})
	if err != nil {
		t.Fatal(err)
	}
	if got.Root.Digest != idx.Digest {
		t.Fatalf("copied %s, want %s", got.Root.Digest, idx.Digest)
	}
	gets := requestsFor(p, http.MethodGet, amd.Layers[0].Digest.String())
	if len(gets) != 2 || gets[1].Range != "bytes=20480-" {
		t.Errorf("source layer requests %+v: want one dropped at 20 KiB and one resumed from there", gets)
	}
	dst := newStore(t)
	if _, err := c.Pull(ctx, b, dst, registry.PullOptions{AllPlatforms: true}); err != nil {
		t.Fatal(err)
	}
	if n := len(verifyStore(t, dst)); n != 9 {
		t.Fatalf("pulled %d blobs from the copy, want 9", n)
	}

	// Within one registry the blobs are mounted, not moved.
	rec := recorder()
	cm := newClient(registry.Options{Progress: rec})
	if _, err := registry.Copy(ctx, registry.Remote(cm, a), registry.Remote(cm, mustRef(t, regA.Host+"/other/app:v1")), registry.CopyOptions{All: true}); err != nil {
		t.Fatal(err)
	}
	if n := rec.Count(progress.Mounted); n != 6 {
		t.Fatalf("mounted %d blobs, want 6: %+v", n, rec.Events())
	}
}
