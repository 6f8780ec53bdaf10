package engine

import (
	"archive/tar"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/berth-oci/berth/content"
	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/internal/testimage"
	"github.com/berth-oci/berth/layout"
	"github.com/berth-oci/berth/layout/dockerarchive"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func snapshotDirs(t *testing.T, e *Engine) int {
	t.Helper()
	list, err := e.snaps.List()
	if err != nil {
		t.Fatal(err)
	}
	return len(list)
}

// TestImagesShareSnapshots pulls two images with a common base from a
// layout and one from a docker archive, and follows them through tag,
// rmi and prune.
func TestImagesShareSnapshots(t *testing.T) {
	ctx := context.Background()
	e := openTest(t)
	dir := testLayout(t, map[string][]testimage.File{
		"a": {{Name: "a.txt", Body: []byte("a"), Mode: 0o644}},
		"b": {{Name: "b.txt", Body: []byte("b"), Mode: 0o644}},
	})
	a, err := e.Pull(ctx, "oci:"+dir+":a", PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.Pull(ctx, "oci:"+dir+":b", PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if a[0].ChainIDs[0] != b[0].ChainIDs[0] {
		t.Fatal("the images do not share their base snapshot")
	}
	if n := snapshotDirs(t, e); n != 3 {
		t.Fatalf("%d snapshot directories, want 3 (one shared base, one each)", n)
	}
	if got := a[0].Names; len(got) != 1 || got[0] != "localhost/layout:a" {
		t.Fatalf("names of a = %v", got)
	}
	// A docker archive of image a, under another name: same ID, one more name.
	l, err := layout.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(t.TempDir(), "a.tar")
	f, _ := os.Create(archive)
	if err := dockerarchive.Write(ctx, f, l.Store(), []dockerarchive.Image{{Manifest: a[0].Manifest, RepoTags: []string{"example.com/app:v1"}}}, dockerarchive.Legacy); err != nil {
		t.Fatal(err)
	}
	f.Close()
	c, err := e.Pull(ctx, "docker-archive:"+archive, PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if c[0].ID != a[0].ID {
		t.Fatalf("the archive's image has ID %s, the layout's %s", c[0].ID, a[0].ID)
	}
	img, err := e.LookupImage(ctx, "example.com/app:v1")
	if err != nil || len(img.Names) != 2 {
		t.Fatalf("lookup example.com/app:v1: %v, names %v", err, img)
	}
	for _, name := range []string{"layout:a", a[0].ID.Encoded()[:8], a[0].ID.String(), "example.com/app@" + c[0].Manifest.Digest.String()} {
		if got, err := e.LookupImage(ctx, name); err != nil || got.ID != a[0].ID {
			t.Errorf("lookup %s: %v", name, err)
		}
	}
	if _, err := e.Tag(ctx, "layout:b", "mine:latest"); err != nil {
		t.Fatal(err)
	}
	if got, err := e.LookupImage(ctx, "mine"); err != nil || got.ID != b[0].ID {
		t.Fatalf("lookup mine: %v", err)
	}
	// Removing one name of two only untags.
	res, err := e.RemoveImage(ctx, "example.com/app:v1", false)
	if err != nil || len(res.Deleted) != 0 {
		t.Fatalf("rmi a name: %+v, %v", res, err)
	}
	res, err = e.RemoveImage(ctx, "localhost/layout:a", false)
	if err != nil || len(res.Deleted) != 1 {
		t.Fatalf("rmi a: %+v, %v", res, err)
	}
	if n := snapshotDirs(t, e); n != 2 {
		t.Fatalf("%d snapshot directories after rmi, want 2", n)
	}
	if _, err := e.content.Info(ctx, c[0].Manifest.Digest); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("the manifest of a is still stored: %v", err)
	}
	// Untag b twice over: it becomes dangling and prune takes it.
	if err := e.Untag(ctx, "mine"); err != nil {
		t.Fatal(err)
	}
	if err := e.Untag(ctx, "localhost/layout:b"); err != nil {
		t.Fatal(err)
	}
	pr, err := e.PruneImages(ctx, false)
	if err != nil || len(pr.Deleted) != 1 {
		t.Fatalf("prune: %+v, %v", pr, err)
	}
	imgs, _ := e.Images(ctx)
	if len(imgs) != 0 || snapshotDirs(t, e) != 0 {
		t.Fatalf("after prune: %d images, %d snapshots", len(imgs), snapshotDirs(t, e))
	}
	var blobs int
	e.content.Walk(ctx, func(i content.Info) error { blobs++; return nil })
	if blobs != 0 {
		t.Fatalf("%d blobs left after prune", blobs)
	}
}

func TestParseImageRef(t *testing.T) {
	for in, want := range map[string]ImageRef{
		"busybox":                   {TransportRegistry, "busybox"},
		"docker://busybox:1":        {TransportRegistry, "busybox:1"},
		"localhost:5000/x":          {TransportRegistry, "localhost:5000/x"},
		"oci:/tmp/l:name":           {TransportLayout, "/tmp/l:name"},
		"docker-archive:/tmp/a.tar": {TransportDockerArchive, "/tmp/a.tar"},
	} {
		got, err := ParseImageRef(in)
		if err != nil || got != want {
			t.Errorf("ParseImageRef(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "oci:", "oci-archive:/x.tar"} {
		if _, err := ParseImageRef(bad); err == nil {
			t.Errorf("ParseImageRef(%q) accepted", bad)
		}
	}
}

// TestPullPlatform pulls one platform of a multi-platform image from a
// layout, keeping the index, and another platform beside it.
func TestPullPlatform(t *testing.T) {
	ctx := context.Background()
	e := openTest(t)
	dir := filepath.Join(t.TempDir(), "multi")
	l, err := layout.Create(dir)
	if err != nil {
		t.Fatal(err)
	}
	idx, _, err := testimage.BuildIndex(ctx, l.Store(), []ocispec.Platform{
		{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64"},
	}, testimage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Tag(ctx, idx, "multi"); err != nil {
		t.Fatal(err)
	}
	arm, err := e.Pull(ctx, "oci:"+dir+":multi", PullOptions{Platform: &ocispec.Platform{OS: "linux", Architecture: "arm64"}})
	if err != nil {
		t.Fatal(err)
	}
	if arm[0].Platform.Architecture != "arm64" || arm[0].Index == nil || arm[0].Index.Digest != idx.Digest {
		t.Fatalf("arm64 pull: %+v", arm[0])
	}
	if _, err := e.content.Info(ctx, idx.Digest); err != nil {
		t.Fatalf("the index is not kept: %v", err)
	}
	amd, err := e.Pull(ctx, "oci:"+dir+":multi", PullOptions{Platform: &ocispec.Platform{OS: "linux", Architecture: "amd64"}})
	if err != nil || amd[0].ID == arm[0].ID || amd[0].Platform.Architecture != "amd64" {
		t.Fatalf("amd64 pull: %+v, %v", amd, err)
	}
	// The name moved to the newest pull; both images stay.
	if got, err := e.LookupImage(ctx, "localhost/multi:multi"); err != nil || got.ID != amd[0].ID {
		t.Fatalf("lookup after the second pull: %v", err)
	}
	if imgs, _ := e.Images(ctx); len(imgs) != 2 {
		t.Fatalf("%d images, want 2", len(imgs))
	}
	if got, err := e.EnsureImage(ctx, "localhost/multi:multi", PullNever, &ocispec.Platform{OS: "linux", Architecture: "amd64"}); err != nil || got.ID != amd[0].ID {
		t.Fatalf("EnsureImage of the stored platform: %v", err)
	}
}

// TestSnapshotParentsAsBelow pulls an image whose upper layer carries a
// file but not its directory: the layers unpack side by side, and that
// directory in the upper snapshot copies the lower layer's (overlayfs
// shows the upper directory's mode), not a guessed 0755.
func TestSnapshotParentsAsBelow(t *testing.T) {
	ctx := context.Background()
	e := openTest(t)
	dir := filepath.Join(t.TempDir(), "layout")
	l, err := layout.Create(dir)
	if err != nil {
		t.Fatal(err)
	}
	img, err := testimage.Build(ctx, l.Store(), testimage.Options{Layers: [][]testimage.File{
		{{Name: "d/", Mode: 0o700, Typeflag: tar.TypeDir}},
		{{Name: "d/f", Body: []byte("f"), Mode: 0o644}},
		{{Name: "d/g", Body: []byte("g"), Mode: 0o644}, {Name: "n/h", Body: []byte("h"), Mode: 0o644}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Tag(ctx, img.Manifest, "parents"); err != nil {
		t.Fatal(err)
	}
	imgs, err := e.Pull(ctx, "oci:"+dir+":parents", PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	chain := imgs[0].ChainIDs
	for _, c := range []struct {
		chain int
		path  string
		mode  os.FileMode
	}{{1, "d", 0o700}, {2, "d", 0o700}, {2, "n", 0o755}} {
		fi, err := os.Stat(filepath.Join(e.snaps.Path(chain[c.chain]), c.path))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != c.mode {
			t.Errorf("layer %d: %s has mode %o, want %o", c.chain+1, c.path, fi.Mode().Perm(), c.mode)
		}
	}
}
