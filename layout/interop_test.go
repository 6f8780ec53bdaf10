package layout_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-oci/berth/internal/fixture"
	"github.com/berth-oci/berth/internal/testimage"
	"github.com/berth-oci/berth/layout"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// berthLayout writes a two-layer image tagged "v1" with a layout of berth's.
func berthLayout(t *testing.T) (*layout.Layout, *testimage.Image) {
	t.Helper()
	ctx := context.Background()
	l, err := layout.Create(filepath.Join(t.TempDir(), "berth"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := testimage.Build(ctx, l.Store(), testimage.Options{NumLayers: 2, Config: ocispec.ImageConfig{Cmd: []string{"/bin/sh"}, Env: []string{"PATH=/bin"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Tag(ctx, img.Manifest, "v1"); err != nil {
		t.Fatal(err)
	}
	return l, img
}

func TestSkopeoReadsBerthLayout(t *testing.T) {
	skopeo := fixture.RequireTool(t, "skopeo")
	l, img := berthLayout(t)
	var info struct {
		Digest string
		Layers []string
	}
	if err := json.Unmarshal([]byte(run(t, skopeo, "inspect", "oci:"+l.Path()+":v1")), &info); err != nil {
		t.Fatal(err)
	}
	if info.Digest != img.Manifest.Digest.String() || len(info.Layers) != 2 {
		t.Fatalf("skopeo sees %+v, berth wrote %s", info, img.Manifest.Digest)
	}
}

func TestUmociReadsBerthLayout(t *testing.T) {
	fixture.RequireRoot(t)
	umoci := fixture.RequireTool(t, "umoci")
	l, _ := berthLayout(t)
	if tags := strings.TrimSpace(run(t, umoci, "ls", "--layout", l.Path())); tags != "v1" {
		t.Fatalf("umoci ls = %q", tags)
	}
	bundle := filepath.Join(t.TempDir(), "bundle")
	run(t, umoci, "unpack", "--image", l.Path()+":v1", bundle)
	data, err := os.ReadFile(filepath.Join(bundle, "rootfs/layer1/hello.txt"))
	if err != nil || string(data) != "hello from layer 1\n" {
		t.Fatalf("unpacked file = %q, %v", data, err)
	}
}

func TestOCIImageToolAcceptsBerthLayout(t *testing.T) {
	tool := fixture.RequireTool(t, "oci-image-tool")
	l, _ := berthLayout(t)
	out := run(t, tool, "validate", "--type", "image", "--ref", "name=v1", l.Path())
	if !strings.Contains(out, "imageLayout") || !strings.Contains(out, "Validation succeeded") {
		t.Fatalf("oci-image-tool did not take it for a layout: %s", out)
	}
}

func TestBerthReadsUmociLayout(t *testing.T) {
	fixture.RequireRoot(t)
	umoci := fixture.RequireTool(t, "umoci")
	dir := filepath.Join(t.TempDir(), "umoci")
	run(t, umoci, "init", "--layout", dir)
	run(t, umoci, "new", "--image", dir+":base")
	rootfs := fixture.Busybox(t)
	run(t, umoci, "insert", "--image", dir+":base", rootfs, "/")
	run(t, umoci, "config", "--image", dir+":base", "--config.cmd", "/bin/sh", "--tag", "withcmd")
	checkForeignLayout(t, dir, "withcmd", 1)
}

func TestBerthReadsSkopeoLayout(t *testing.T) {
	skopeo := fixture.RequireTool(t, "skopeo")
	src, img := berthLayout(t)
	dir := filepath.Join(t.TempDir(), "skopeo")
	// Docker schema 2 on the way, so skopeo writes its own manifest and config.
	run(t, skopeo, "copy", "--format", "v2s2", "oci:"+src.Path()+":v1", "dir:"+dir+".dir")
	run(t, skopeo, "copy", "dir:"+dir+".dir", "oci:"+dir+":copied")
	r := checkForeignLayout(t, dir, "copied", len(img.Layers))
	if r.Config.Config.Cmd[0] != "/bin/sh" {
		t.Errorf("config lost its Cmd: %+v", r.Config.Config)
	}
}

func checkForeignLayout(t *testing.T, dir, name string, layers int) *layout.Resolved {
	t.Helper()
	ctx := context.Background()
	l, err := layout.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Validate(ctx, ""); err != nil {
		t.Fatalf("berth rejects the layout: %v", err)
	}
	r, err := l.ResolveImage(ctx, name, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Manifest.Layers) != layers || len(r.Config.RootFS.DiffIDs) != layers {
		t.Fatalf("%d layers, %d diff_ids, want %d", len(r.Manifest.Layers), len(r.Config.RootFS.DiffIDs), layers)
	}
	return r
}
