package layout

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/berth-oci/berth/content"
	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/internal/testimage"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func newLayoutWithImage(t *testing.T, name string) (*Layout, *testimage.Image) {
	t.Helper()
	ctx := context.Background()
	l, err := Create(filepath.Join(t.TempDir(), "layout"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := testimage.Build(ctx, l.Store(), testimage.Options{NumLayers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Tag(ctx, img.Manifest, name); err != nil {
		t.Fatal(err)
	}
	return l, img
}

func TestCreateWritesAnEmptyValidLayout(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "l")
	if _, err := Create(dir); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "oci-layout"))
	if err != nil || string(data) != `{"imageLayoutVersion":"1.0.0"}` {
		t.Fatalf("oci-layout = %q, %v", data, err)
	}
	l, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := l.Index(context.Background())
	if err != nil || len(idx.Manifests) != 0 || idx.SchemaVersion != 2 {
		t.Fatalf("index = %+v, %v", idx, err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "blobs")); err != nil || !fi.IsDir() {
		t.Fatalf("blobs/: %v", err)
	}
}

func TestTagResolveUntag(t *testing.T) {
	ctx := context.Background()
	l, img := newLayoutWithImage(t, "v1")
	if err := l.Tag(ctx, img.Manifest, "docker.io/library/app:v2"); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"v1", "docker.io/library/app:v2"} {
		d, err := l.Resolve(ctx, name)
		if err != nil || d.Digest != img.Manifest.Digest {
			t.Fatalf("Resolve(%q) = %v, %v", name, d.Digest, err)
		}
	}
	if _, err := l.Resolve(ctx, ""); !errdefs.IsInvalidArgument(err) {
		t.Fatalf("Resolve(\"\") with two images: %v, want InvalidArgument", err)
	}
	if err := l.Untag(ctx, "v1"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Resolve(ctx, "v1"); !errdefs.IsNotFound(err) {
		t.Fatalf("Resolve after Untag: %v", err)
	}
	if d, err := l.Resolve(ctx, ""); err != nil || d.Digest != img.Manifest.Digest {
		t.Fatalf("Resolve(\"\") with one image: %v, %v", d.Digest, err)
	}
	if err := l.Untag(ctx, "v1"); !errdefs.IsNotFound(err) {
		t.Fatalf("second Untag: %v", err)
	}
}

func TestRetagMovesTheName(t *testing.T) {
	ctx := context.Background()
	l, _ := newLayoutWithImage(t, "latest")
	other, err := testimage.Build(ctx, l.Store(), testimage.Options{Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Tag(ctx, other.Manifest, "latest"); err != nil {
		t.Fatal(err)
	}
	imgs, err := l.Images(ctx)
	if err != nil || len(imgs) != 1 || imgs[0].Descriptor.Digest != other.Manifest.Digest {
		t.Fatalf("images after retag = %+v, %v", imgs, err)
	}
}

func TestTagRefusesMissingBlobAndBadName(t *testing.T) {
	ctx := context.Background()
	l, img := newLayoutWithImage(t, "a")
	missing := img.Manifest
	missing.Digest = digest.Digest("sha256:" + strings.Repeat("0", 64))
	if err := l.Tag(ctx, missing, "b"); !errdefs.IsNotFound(err) {
		t.Fatalf("tag of a missing blob: %v", err)
	}
	for _, bad := range []string{"", "-x", "a//b", "a b", "../x"} {
		if err := l.Tag(ctx, img.Manifest, bad); !errdefs.IsInvalidArgument(err) {
			t.Errorf("Tag(%q) = %v, want InvalidArgument", bad, err)
		}
	}
}

func TestResolveImageThroughIndex(t *testing.T) {
	ctx := context.Background()
	l, err := Create(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	plats := []ocispec.Platform{{OS: "linux", Architecture: "arm64", Variant: "v8"}, {OS: "linux", Architecture: "amd64"}}
	idx, imgs, err := testimage.BuildIndex(ctx, l.Store(), plats, testimage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Tag(ctx, idx, "multi"); err != nil {
		t.Fatal(err)
	}
	for i, p := range plats {
		r, err := l.ResolveImage(ctx, "multi", &p)
		if err != nil {
			t.Fatal(err)
		}
		if r.Descriptor.Digest != imgs[i].Manifest.Digest || r.Index == nil || r.Config.Architecture != p.Architecture {
			t.Errorf("platform %v resolved to %s (%s)", p, r.Descriptor.Digest, r.Config.Architecture)
		}
	}
	if _, err := l.ResolveImage(ctx, "multi", &ocispec.Platform{OS: "linux", Architecture: "s390x"}); !errdefs.IsNotFound(err) {
		t.Fatalf("absent platform: %v", err)
	}
}

func TestNestedIndexNamesResolve(t *testing.T) {
	ctx := context.Background()
	l, img := newLayoutWithImage(t, "top")
	inner := img.Manifest
	inner.Annotations = map[string]string{ocispec.AnnotationRefName: "inner"}
	idx := ocispec.Index{MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{inner}}
	idx.SchemaVersion = 2
	data, _ := json.Marshal(idx)
	idxDesc := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageIndex, Digest: digest.FromBytes(data), Size: int64(len(data))}
	if err := content.WriteBlob(ctx, l.Store(), idxDesc, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if err := l.Tag(ctx, idxDesc, "outer"); err != nil {
		t.Fatal(err)
	}
	d, err := l.Resolve(ctx, "inner")
	if err != nil || d.Digest != img.Manifest.Digest {
		t.Fatalf("Resolve(inner) = %v, %v", d.Digest, err)
	}
	if err := l.Validate(ctx, "outer"); err != nil {
		t.Fatal(err)
	}
}

func TestGCKeepsTaggedImagesOnly(t *testing.T) {
	ctx := context.Background()
	l, img := newLayoutWithImage(t, "keep")
	gone, err := testimage.Build(ctx, l.Store(), testimage.Options{Seed: 99})
	if err != nil {
		t.Fatal(err)
	}
	removed, err := l.GC(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 2+len(gone.Layers) {
		t.Errorf("GC removed %d blobs, want the other image's %d", len(removed), 2+len(gone.Layers))
	}
	if err := l.Validate(ctx, ""); err != nil {
		t.Fatalf("layout invalid after GC: %v", err)
	}
	if _, err := l.Store().Info(ctx, img.Layers[0].Digest); err != nil {
		t.Fatalf("kept layer gone: %v", err)
	}
}

func TestConcurrentTagsAreAllKept(t *testing.T) {
	ctx := context.Background()
	l, img := newLayoutWithImage(t, "base")
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for i := 0; i < 32; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			// A separate Layout value per goroutine: the lock must hold across
			// handles, as it does across processes.
			l2, err := Open(l.Path())
			if err == nil {
				err = l2.Tag(ctx, img.Manifest, fmt.Sprintf("t%d", i))
			}
			errs <- err
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	imgs, err := l.Images(ctx)
	if err != nil || len(imgs) != 33 {
		t.Fatalf("%d images after 32 concurrent tags (want 33): %v", len(imgs), err)
	}
}

func TestOpenRefusesWhatIsNotALayout(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(dir); !errdefs.IsNotFound(err) {
		t.Fatalf("Open of an empty dir: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "oci-layout"), []byte(`{"imageLayoutVersion":"2.0.0"}`), 0o644)
	if _, err := Open(dir); !errdefs.IsInvalidArgument(err) || !strings.Contains(err.Error(), "oci-layout") {
		t.Fatalf("Open of a v2 layout: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "oci-layout"), []byte(`[`), 0o644)
	if _, err := Open(dir); !errdefs.IsInvalidArgument(err) {
		t.Fatalf("Open of a broken oci-layout: %v", err)
	}
}

func TestParseReference(t *testing.T) {
	good := map[string]Reference{
		"oci:/a/b":                           {Path: "/a/b"},
		"oci:rel:tag":                        {Path: "rel", Name: "tag"},
		"oci:/x:docker.io/library/busybox:1": {Path: "/x", Name: "docker.io/library/busybox:1"},
	}
	for in, want := range good {
		got, err := ParseReference(in)
		if err != nil || got != want {
			t.Errorf("ParseReference(%q) = %+v, %v", in, got, err)
		}
		if got.String() != in {
			t.Errorf("String() = %q, want %q", got.String(), in)
		}
	}
	for _, bad := range []string{"/a/b", "docker://x", "oci:", "oci::tag", "oci:/a:bad name"} {
		if _, err := ParseReference(bad); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("ParseReference(%q) = %v, want InvalidArgument", bad, err)
		}
	}
}
