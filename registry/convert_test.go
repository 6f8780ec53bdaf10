package registry_test

import (
	"testing"

	"github.com/berth-oci/berth/content"
	"github.com/berth-oci/berth/image"
	"github.com/berth-oci/berth/registry"
	"github.com/berth-oci/berth/registry/internal/registrytest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Docker images pulled with OCI set arrive as OCI: the list becomes an
// index, manifests and configs are rewritten, layers keep their digests,
// and nothing Docker-typed is stored.
func TestCopyConvertsDockerToOCI(t *testing.T) {
	reg := startRegistry(t, registrytest.Options{})
	src := registrytest.NewNamedStore(t)
	amd := registrytest.NewDockerImage(t, src, 2, 32<<10, linuxAMD64)
	arm := registrytest.NewDockerImage(t, src, 1, 32<<10, arm64)
	list, _ := registrytest.NewDockerList(t, src, amd, arm)
	if err := src.Tag(ctx, list, "docker"); err != nil {
		t.Fatal(err)
	}
	c := newClient(registry.Options{})
	ref := mustRef(t, reg.Host+"/docker/app:v1")
	if _, err := registry.Copy(ctx, registry.Local(src, "docker"), registry.Remote(c, ref), registry.CopyOptions{All: true}); err != nil {
		t.Fatal(err)
	}
	pulled, err := c.Pull(ctx, ref, newStore(t), registry.PullOptions{Platform: &linuxAMD64})
	if err != nil || pulled.Root.MediaType != image.MediaTypeDockerManifestList || pulled.Root.Digest != list.Digest {
		t.Fatalf("pushed Docker list pulls back as %+v, %v", pulled.Root, err)
	}

	for name, opts := range map[string]registry.CopyOptions{
		"all":      {All: true, OCI: true},
		"platform": {Platform: &linuxAMD64, OCI: true},
	} {
		t.Run(name, func(t *testing.T) {
			dst := registrytest.NewNamedStore(t)
			got, err := registry.Copy(ctx, registry.Remote(c, ref), registry.Local(dst, "oci"), opts)
			if err != nil {
				t.Fatal(err)
			}
			found := verifyStore(t, dst)
			for d := range found {
				info, _ := dst.Info(ctx, d)
				data, err := content.ReadBlob(ctx, dst, ocispec.Descriptor{Digest: d, Size: info.Size})
				if err != nil || info.Size > 4096 {
					continue // a layer
				}
				if mt, err := image.Detect(data); err == nil && (mt == image.MediaTypeDockerManifest || mt == image.MediaTypeDockerManifestList) {
					t.Errorf("store holds Docker %s %s", mt, d)
				}
			}
			want := ocispec.MediaTypeImageManifest
			if opts.All {
				want = ocispec.MediaTypeImageIndex
			}
			if got.Root.MediaType != want || dst.Names["oci"].Digest != got.Root.Digest {
				t.Fatalf("root %+v, want %s", got.Root, want)
			}
			validate(t, dst, got.Root)
			m := got.Root
			if opts.All {
				data, _ := content.ReadBlob(ctx, dst, got.Root)
				idx, err := image.ParseIndex(data)
				if err != nil || len(idx.Manifests) != 2 || idx.Manifests[1].Platform.Architecture != "arm64" {
					t.Fatalf("converted index %+v, %v", idx, err)
				}
				m = idx.Manifests[0]
			}
			data, _ := content.ReadBlob(ctx, dst, m)
			man, err := image.ParseManifest(data)
			if err != nil || man.Config.MediaType != ocispec.MediaTypeImageConfig || len(man.Layers) != 2 ||
				man.Layers[1].Digest != amd.Layers[1].Digest || man.Layers[1].MediaType != ocispec.MediaTypeImageLayerGzip {
				t.Fatalf("converted manifest %+v, %v", man, err)
			}
			if !found[man.Layers[0].Digest] || !found[man.Config.Digest] {
				t.Fatal("converted image lacks its layer or config")
			}
		})
	}
}
