package registry_test

import (
	"path/filepath"
	"testing"

	"github.com/berth-oci/berth/content/local"
	"github.com/berth-oci/berth/internal/fixture"
	"github.com/berth-oci/berth/internal/progress"
	"github.com/berth-oci/berth/registry"
	"github.com/berth-oci/berth/registry/internal/registrytest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestPushThenPull(t *testing.T) {
	reg := startRegistry(t, registrytest.Options{})
	src := newStore(t)
	img := registrytest.NewImage(t, src, 3, 200<<10, linuxAMD64)
	rec := recorder()
	c := newClient(registry.Options{Progress: rec})
	ref := mustRef(t, reg.Host+"/berth/roundtrip:v1")
	if err := c.Push(ctx, ref, src, img.Manifest, registry.PushOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := rec.Count(progress.Done); n < 5 {
		t.Errorf("push reported %d done events, want 4 blobs and the manifest", n)
	}
	// A second push uploads nothing.
	rec2 := recorder()
	c2 := newClient(registry.Options{Progress: rec2})
	if err := c2.Push(ctx, ref, src, img.Manifest, registry.PushOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := rec2.Count(progress.Skipped); n != 4 {
		t.Errorf("second push skipped %d blobs, want 4", n)
	}

	dst := newStore(t)
	pulled, err := c.Pull(ctx, ref, dst, registry.PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if pulled.Root.Digest != img.Manifest.Digest || pulled.Manifest.Digest != img.Manifest.Digest {
		t.Fatalf("pulled %v, pushed %s", pulled, img.Manifest.Digest)
	}
	found := verifyStore(t, dst)
	for _, d := range append(img.Layers, img.Config, img.Manifest) {
		if !found[d.Digest] {
			t.Errorf("pulled store lacks %s", d.Digest)
		}
	}
	validate(t, dst, pulled.Root)
}

func TestPushedImageReadBySkopeo(t *testing.T) {
	skopeo := fixture.RequireTool(t, "skopeo")
	reg := startRegistry(t, registrytest.Options{})
	src := newStore(t)
	img := registrytest.NewImage(t, src, 2, 100<<10, linuxAMD64)
	c := newClient(registry.Options{})
	ref := mustRef(t, reg.Host+"/berth/toskopeo:v1")
	if err := c.Push(ctx, ref, src, img.Manifest, registry.PushOptions{}); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	run(t, skopeo, "copy", "--src-tls-verify=false", "docker://"+ref.String(), "oci:"+out+":v1")
	got := registrytest.ReadLayoutIndex(t, out)
	if len(got) != 1 || got[0].Digest != img.Manifest.Digest {
		t.Fatalf("skopeo's layout holds %v, berth pushed %s", got, img.Manifest.Digest)
	}
	store, err := local.New(filepath.Join(out, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	found := verifyStore(t, store)
	for _, d := range append(img.Layers, img.Config) {
		if !found[d.Digest] {
			t.Errorf("skopeo did not copy %s", d.Digest)
		}
	}
}

func TestPullWhatSkopeoPushed(t *testing.T) {
	skopeo := fixture.RequireTool(t, "skopeo")
	reg := startRegistry(t, registrytest.Options{})
	dir := t.TempDir()
	src, err := local.New(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	amd := registrytest.NewImage(t, src, 2, 100<<10, linuxAMD64)
	arm := registrytest.NewImage(t, src, 2, 100<<10, ocispec.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"})
	idx, _ := registrytest.NewIndex(t, src, amd, arm)
	registrytest.WriteLayout(t, dir, "multi", idx)
	ref := mustRef(t, reg.Host+"/berth/fromskopeo:multi")
	run(t, skopeo, "copy", "--all", "--dest-tls-verify=false", "oci:"+dir+":multi", "docker://"+ref.String())

	c := newClient(registry.Options{})
	arm64 := ocispec.Platform{OS: "linux", Architecture: "arm64"}
	dst := newStore(t)
	pulled, err := c.Pull(ctx, ref, dst, registry.PullOptions{Platform: &arm64})
	if err != nil {
		t.Fatal(err)
	}
	if pulled.Root.Digest != idx.Digest || pulled.Manifest.Digest != arm.Manifest.Digest {
		t.Fatalf("pulled root %s manifest %s; want index %s and arm64 manifest %s", pulled.Root.Digest, pulled.Manifest.Digest, idx.Digest, arm.Manifest.Digest)
	}
	found := verifyStore(t, dst)
	for _, d := range append(arm.Layers, arm.Config, arm.Manifest, idx) {
		if !found[d.Digest] {
			t.Errorf("pulled store lacks %s", d.Digest)
		}
	}
	for _, d := range amd.Layers {
		if found[d.Digest] {
			t.Errorf("pulled amd64 layer %s for arm64", d.Digest)
		}
	}
	validate(t, dst, pulled.Root)
	validate(t, dst, pulled.Manifest)

	all := newStore(t)
	if _, err := c.Pull(ctx, ref, all, registry.PullOptions{AllPlatforms: true}); err != nil {
		t.Fatal(err)
	}
	if found := verifyStore(t, all); len(found) != 2*4+1 {
		t.Errorf("pull of all platforms stored %d blobs, want 9", len(found))
	}
}
