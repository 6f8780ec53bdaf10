package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-oci/berth/internal/testimage"
	"github.com/berth-oci/berth/layout"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// berth runs the command line in-process.
func berth(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var o, e bytes.Buffer
	code = Run(args, &o, &e)
	return o.String(), e.String(), code
}

func mustBerth(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, code := berth(t, args...)
	if code != 0 {
		t.Fatalf("berth %s: exit %d\n%s", strings.Join(args, " "), code, errOut)
	}
	return out
}

func testLayout(t *testing.T) (string, *testimage.Image) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "lay")
	l, err := layout.Create(dir)
	if err != nil {
		t.Fatal(err)
	}
	img, err := testimage.Build(context.Background(), l.Store(), testimage.Options{NumLayers: 2, Config: ocispec.ImageConfig{Cmd: []string{"/bin/sh", "-c", "echo hi"}, Env: []string{"A=1"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Tag(context.Background(), img.Manifest, "v1"); err != nil {
		t.Fatal(err)
	}
	return dir, img
}

func TestImageLsInspectValidate(t *testing.T) {
	dir, img := testLayout(t)
	out := mustBerth(t, "image", "ls", "oci:"+dir)
	if !strings.Contains(out, "v1") || !strings.Contains(out, shortDigest(img.Manifest.Digest)) || !strings.Contains(out, "linux/amd64") {
		t.Errorf("image ls:\n%s", out)
	}
	var entries []lsEntry
	if err := json.Unmarshal([]byte(mustBerth(t, "image", "ls", "--format", "json", "oci:"+dir)), &entries); err != nil || len(entries) != 1 || entries[0].Digest != img.Manifest.Digest.String() {
		t.Errorf("image ls --format json: %+v, %v", entries, err)
	}
	out = mustBerth(t, "image", "inspect", "oci:"+dir+":v1")
	for _, want := range []string{img.Manifest.Digest.String(), "linux/amd64", `Cmd:          ["/bin/sh", "-c", "echo hi"]`, "A=1", img.Layers[1].Digest.String()} {
		if !strings.Contains(out, want) {
			t.Errorf("image inspect lacks %q:\n%s", want, out)
		}
	}
	var io inspectOutput
	if err := json.Unmarshal([]byte(mustBerth(t, "image", "inspect", "--format", "json", "oci:"+dir)), &io); err != nil ||
		io.Manifest == nil || len(io.Manifest.Layers) != 2 || io.Config.Config.Env[0] != "A=1" || io.Platform.Architecture != "amd64" {
		t.Errorf("image inspect --format json: %+v, %v", io, err)
	}
	if out := mustBerth(t, "image", "validate", "oci:"+dir); !strings.Contains(out, "valid") {
		t.Errorf("validate: %s", out)
	}
}

func TestTagRmGC(t *testing.T) {
	dir, img := testLayout(t)
	mustBerth(t, "image", "tag", "oci:"+dir+":v1", "v2", "example.com/app:v3")
	out := mustBerth(t, "image", "ls", "oci:"+dir)
	for _, n := range []string{"v1", "v2", "example.com/app:v3"} {
		if !strings.Contains(out, n) {
			t.Errorf("ls after tag lacks %s:\n%s", n, out)
		}
	}
	mustBerth(t, "image", "rm", "oci:"+dir+":v1", "oci:"+dir+":v2")
	blob := filepath.Join(dir, "blobs/sha256", img.Layers[0].Digest.Encoded())
	if _, err := os.Stat(blob); err != nil {
		t.Fatalf("rm deleted a layer still named by v3: %v", err)
	}
	out = mustBerth(t, "image", "rm", "oci:"+dir+":example.com/app:v3")
	if !strings.Contains(out, "deleted: "+img.Layers[0].Digest.String()) {
		t.Errorf("rm of the last name did not delete the layers:\n%s", out)
	}
	if _, err := os.Stat(blob); !os.IsNotExist(err) {
		t.Fatalf("layer still there: %v", err)
	}
	if _, errOut, code := berth(t, "image", "rm", "oci:"+dir+":v1"); code == 0 || !strings.Contains(errOut, `no image named "v1"`) {
		t.Errorf("rm of a missing name: %d %s", code, errOut)
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	dir, img := testLayout(t)
	for _, format := range []string{"docker-archive", "docker-oci-archive"} {
		archive := filepath.Join(t.TempDir(), "a.tar")
		mustBerth(t, "save", "--format", format, "-o", archive, "oci:"+dir+":v1")
		dst := filepath.Join(t.TempDir(), "dst")
		out := mustBerth(t, "load", "-i", archive, "oci:"+dst)
		if !strings.Contains(out, "Loaded image: localhost/lay:v1") {
			t.Errorf("%s: load said %q", format, out)
		}
		mustBerth(t, "image", "validate", "oci:"+dst)
		var io inspectOutput
		json.Unmarshal([]byte(mustBerth(t, "image", "inspect", "--format", "json", "oci:"+dst+":localhost/lay:v1")), &io)
		if io.Config == nil || io.Manifest.Config.Digest != img.Config.Digest {
			t.Errorf("%s: loaded config %+v, want %s", format, io.Manifest, img.Config.Digest)
		}
	}
}

func TestBadInputIsOneLineAndChangesNothing(t *testing.T) {
	dir, img := testLayout(t)
	layer := filepath.Join(dir, "blobs/sha256", img.Layers[0].Digest.Encoded())
	data, _ := os.ReadFile(layer)
	data[0] ^= 0xff
	os.WriteFile(layer, data, 0o644)
	_, errOut, code := berth(t, "image", "validate", "oci:"+dir)
	if code == 0 || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "lay/blobs/sha256/"+img.Layers[0].Digest.Encoded()) {
		t.Errorf("validate of a corrupt layer: exit %d, %q", code, errOut)
	}
	for _, args := range [][]string{
		{"image", "ls", "oci:" + t.TempDir()},
		{"image", "inspect", "--format", "yaml", "oci:" + dir},
		{"image", "inspect", "--platform", "linux/", "oci:" + dir},
		{"image", "tag", "oci:" + dir + ":v1", "bad name"},
		{"load", "-i", "/nonexistent.tar", "oci:" + dir},
	} {
		_, errOut, code := berth(t, args...)
		if code == 0 || strings.Count(errOut, "\n") != 1 || !strings.HasPrefix(errOut, "berth: ") {
			t.Errorf("berth %v: exit %d, stderr %q", args, code, errOut)
		}
	}
}
