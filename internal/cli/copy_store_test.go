package cli

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-oci/berth/internal/fixture"
	"github.com/berth-oci/berth/internal/testimage"
	"github.com/berth-oci/berth/layout"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// berth copy in and out of the engine's store (berth-storage:): the image
// arrives with its digests unchanged, is listed and unpacked as a pulled
// one is, and leaves the store byte for byte again.
func TestCopyThroughEngineStore(t *testing.T) {
	fixture.RequireRoot(t) // unpacking into overlay snapshots makes whiteout devices
	host := startRegistry(t, nil)
	dir, img := testLayout(t)
	tmp := t.TempDir()
	store := []string{"--root", filepath.Join(tmp, "root"), "--runroot", filepath.Join(tmp, "run")}
	sb := func(args ...string) string { t.Helper(); return mustBerth(t, append(store, args...)...) }
	digestOf := func(args ...string) string {
		t.Helper()
		file := filepath.Join(tmp, "digest")
		sb(append([]string{"copy", "-q", "--digestfile", file}, args...)...)
		return readFile(t, file)
	}

	if got := digestOf("oci:"+dir+":v1", "berth-storage:example.com/app:v1"); got != img.Manifest.Digest.String() {
		t.Fatalf("copied %s into the store, want %s", got, img.Manifest.Digest)
	}
	var imgs []struct {
		ID     string
		Names  []string
		Digest string
	}
	if err := json.Unmarshal([]byte(sb("images", "--format", "json")), &imgs); err != nil || len(imgs) != 1 {
		t.Fatalf("images after copy: %v %+v", err, imgs)
	}
	if imgs[0].Digest != img.Manifest.Digest.String() || !strings.Contains(strings.Join(imgs[0].Names, " "), "example.com/app:v1") {
		t.Fatalf("stored image %+v, want %s named example.com/app:v1", imgs[0], img.Manifest.Digest)
	}

	// Out again: to a registry and a layout.
	remote := "docker://" + host + "/store/app:v1"
	if got := digestOf("berth-storage:example.com/app:v1", remote); got != img.Manifest.Digest.String() {
		t.Fatalf("pushed %s from the store, want %s", got, img.Manifest.Digest)
	}
	out := filepath.Join(tmp, "out")
	if got := digestOf(remote, "oci:"+out+":back"); got != img.Manifest.Digest.String() {
		t.Fatalf("round trip gave %s, want %s", got, img.Manifest.Digest)
	}
	mustBerth(t, "image", "validate", "oci:"+out+":back")

	// An index with --all: the host's manifest becomes the image, the
	// index is kept with it and can be copied out whole.
	idxDir := filepath.Join(tmp, "idx")
	l, err := layout.Create(idxDir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	idx, _, err := testimage.BuildIndex(ctx, l.Store(), []ocispec.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64"}}, testimage.Options{Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Tag(ctx, idx, "multi"); err != nil {
		t.Fatal(err)
	}
	sb("copy", "-q", "--all", "oci:"+idxDir+":multi", "berth-storage:example.com/multi:1")
	if ls := sb("images"); !strings.Contains(ls, "example.com/multi") {
		t.Fatalf("images after copying an index:\n%s", ls)
	}

	// Errors: an unknown name, a source with no name.
	for _, args := range [][]string{
		{"copy", "-q", "berth-storage:example.com/none:1", "oci:" + out + ":x"},
		{"copy", "-q", "berth-storage:", "oci:" + out + ":x"},
	} {
		_, errOut, code := berth(t, append(store, args...)...)
		if code == 0 || strings.Count(strings.TrimSpace(errOut), "\n") != 0 || errOut == "" {
			t.Errorf("berth %s: exit %d, stderr %q; want one line and a failure", strings.Join(args, " "), code, errOut)
		}
	}
}
