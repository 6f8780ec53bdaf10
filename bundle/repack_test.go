package bundle

import (
	"archive/tar"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-oci/berth/content"
	"github.com/berth-oci/berth/content/local"
	"github.com/berth-oci/berth/internal/fixture"
	"github.com/berth-oci/berth/internal/testimage"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func testImage(t *testing.T) (content.Store, Image) {
	t.Helper()
	ctx := context.Background()
	store, err := local.New(filepath.Join(t.TempDir(), "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	layers := [][]testimage.File{
		{
			{Name: "etc/", Typeflag: tar.TypeDir, Mode: 0o755},
			{Name: "etc/passwd", Body: []byte("root:x:0:0::/root:/bin/sh\n"), Mode: 0o644},
			{Name: "etc/group", Body: []byte("root:x:0:\n"), Mode: 0o644},
			{Name: "data/", Typeflag: tar.TypeDir, Mode: 0o755},
			{Name: "data/keep", Body: []byte("keep"), Mode: 0o644},
			{Name: "data/change", Body: []byte("before"), Mode: 0o644},
			{Name: "data/remove", Body: []byte("bye"), Mode: 0o644},
			{Name: "gone/", Typeflag: tar.TypeDir, Mode: 0o755},
			{Name: "gone/x", Body: []byte("x"), Mode: 0o600},
			{Name: "link", Typeflag: tar.TypeSymlink, Linkname: "data/keep"},
		},
		{
			{Name: "data/second", Body: []byte("layer two"), Mode: 0o755},
		},
	}
	built, err := testimage.Build(ctx, store, testimage.Options{Layers: layers, Config: ocispec.ImageConfig{Cmd: []string{"/bin/sh"}}})
	if err != nil {
		t.Fatal(err)
	}
	img, err := ReadImage(ctx, store, built.Manifest)
	if err != nil {
		t.Fatal(err)
	}
	return store, img
}

func TestUnpackEditRepackUnpackRoundTrips(t *testing.T) {
	ctx := context.Background()
	store, img := testImage(t)
	b1 := filepath.Join(t.TempDir(), "b1")
	if err := Unpack(ctx, img, b1, UnpackOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(b1, ConfigFile)); err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(b1, RootfsDir)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(root, "data/change"), []byte("after, longer"), 0o644))
	must(os.Remove(filepath.Join(root, "data/remove")))
	must(os.RemoveAll(filepath.Join(root, "gone")))
	must(os.WriteFile(filepath.Join(root, "new"), []byte("new file"), 0o640))
	must(os.Chmod(filepath.Join(root, "data/keep"), 0o600))
	must(os.Symlink("/etc/passwd", filepath.Join(root, "data/pw")))
	must(os.Link(filepath.Join(root, "new"), filepath.Join(root, "data/hardlink")))
	want := fixture.Tree(t, root, fixture.TreeOptions{MTime: true})

	repacked, err := Repack(ctx, store, b1, RepackOptions{Comment: "edited"})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(repacked.Manifest.Layers); n != 3 || len(repacked.Config.RootFS.DiffIDs) != 3 {
		t.Fatalf("repacked image has %d layers", n)
	}
	if h := repacked.Config.History[len(repacked.Config.History)-1]; h.Comment != "edited" || h.EmptyLayer {
		t.Errorf("history entry %+v", h)
	}
	b2 := filepath.Join(t.TempDir(), "b2")
	if err := Unpack(ctx, repacked, b2, UnpackOptions{}); err != nil {
		t.Fatal(err)
	}
	got := fixture.Tree(t, filepath.Join(b2, RootfsDir), fixture.TreeOptions{MTime: true})
	if d := fixture.DiffTrees(want, got); len(d) > 0 {
		t.Fatalf("round trip changed the tree:\n%s", strings.Join(d, "\n"))
	}

	// Nothing changed since: a second repack adds an empty history entry only.
	again, err := Repack(ctx, store, b1, RepackOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Manifest.Layers) != 3 || !again.Config.History[len(again.Config.History)-1].EmptyLayer {
		t.Errorf("repack without changes: %d layers, history %+v", len(again.Manifest.Layers), again.Config.History)
	}
}

func TestUnpackRefusesNonEmptyDirAndBadBlobs(t *testing.T) {
	ctx := context.Background()
	store, img := testImage(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "x"), nil, 0o644)
	if err := Unpack(ctx, img, dir, UnpackOptions{}); err == nil {
		t.Fatal("unpacked into a non-empty directory")
	}
	// A layer whose stored bytes were damaged: the error names it and no rootfs appears.
	path, _ := store.(*local.Store).BlobPath(img.Manifest.Layers[1].Digest)
	data, _ := os.ReadFile(path)
	data[len(data)-5] ^= 0xff
	os.WriteFile(path, data, 0o644)
	b := filepath.Join(t.TempDir(), "b")
	err := Unpack(ctx, img, b, UnpackOptions{})
	if err == nil || !strings.Contains(err.Error(), img.Manifest.Layers[1].Digest.String()) {
		t.Fatalf("unpack of a damaged layer: %v", err)
	}
	entries, _ := os.ReadDir(b)
	if len(entries) != 0 {
		t.Errorf("a failed unpack left %v", entries)
	}
}
