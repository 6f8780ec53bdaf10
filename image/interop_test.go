package image_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-oci/berth/image"
	"github.com/berth-oci/berth/internal/fixture"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// dockerImage builds a one-layer Docker schema 2 image in memory: its
// manifest, config and layer blob.
func dockerImage(t *testing.T) (manifest, config, layer []byte) {
	t.Helper()
	var tarBuf bytes.Buffer
	tw := tar.NewWriter(&tarBuf)
	body := []byte("hello from berth\n")
	if err := tw.WriteHeader(&tar.Header{Name: "etc/motd", Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write(body); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	if _, err := zw.Write(tarBuf.Bytes()); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	layer = gz.Bytes()
	config = []byte(`{"architecture":"amd64","os":"linux","created":"2024-05-01T10:00:00Z",` +
		`"container_config":{"Hostname":"abc","Cmd":["/bin/sh"]},"docker_version":"24.0.7",` +
		`"config":{"Env":["PATH=/bin"],"Cmd":["/bin/sh"],"Healthcheck":{"Test":["NONE"]},"OnBuild":null},` +
		`"rootfs":{"type":"layers","diff_ids":["` + digest.FromBytes(tarBuf.Bytes()).String() + `"]},` +
		`"history":[{"created":"2024-05-01T10:00:00Z","created_by":"ADD motd /etc/"}]}`)
	m := map[string]any{
		"schemaVersion": 2,
		"mediaType":     image.MediaTypeDockerManifest,
		"config":        image.Describe(image.MediaTypeDockerConfig, config),
		"layers":        []ocispec.Descriptor{image.Describe(image.MediaTypeDockerLayerGzip, layer)},
	}
	manifest, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return manifest, config, layer
}

// writeLayout writes blobs and an index.json tagging top as "t".
func writeLayout(t *testing.T, dir string, top ocispec.Descriptor, blobs ...[]byte) {
	t.Helper()
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "blobs", "sha256"), 0o755))
	for _, b := range blobs {
		must(os.WriteFile(filepath.Join(dir, "blobs", "sha256", digest.FromBytes(b).Encoded()), b, 0o644))
	}
	must(os.WriteFile(filepath.Join(dir, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644))
	top.Annotations = map[string]string{ocispec.AnnotationRefName: "t"}
	idx, err := json.Marshal(ocispec.Index{Versioned: ocispec.Index{}.Versioned, Manifests: []ocispec.Descriptor{top}})
	must(err)
	idx = bytes.Replace(idx, []byte(`"schemaVersion":0`), []byte(`"schemaVersion":2`), 1)
	must(image.Validate(ocispec.MediaTypeImageIndex, idx))
	must(os.WriteFile(filepath.Join(dir, "index.json"), idx, 0o644))
}

// TestConvertedImageInterop converts a Docker image and hands the result to
// the OCI tools of the machine: each must accept it as a valid OCI image.
func TestConvertedImageInterop(t *testing.T) {
	dm, dc, layer := dockerImage(t)
	cfg, cfgDesc, err := image.ConvertConfig(dc)
	if err != nil {
		t.Fatal(err)
	}
	man, _, err := image.ConvertManifest(dm, cfgDesc)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeLayout(t, dir, image.Describe(ocispec.MediaTypeImageManifest, man), man, cfg, layer)

	t.Run("oci-image-tool", func(t *testing.T) {
		tool := fixture.RequireTool(t, "oci-image-tool")
		run(t, tool, "validate", "--type", "image", "--ref", "name=t", dir)
	})
	t.Run("skopeo", func(t *testing.T) {
		tool := fixture.RequireTool(t, "skopeo")
		out := run(t, tool, "inspect", "--raw", "oci:"+dir+":t")
		if strings.TrimSpace(out) != string(man) {
			t.Errorf("skopeo reads another manifest: %s", out)
		}
		out = run(t, tool, "inspect", "--config", "oci:"+dir+":t")
		if !strings.Contains(out, `"PATH=/bin"`) {
			t.Errorf("skopeo config: %s", out)
		}
	})
	t.Run("umoci", func(t *testing.T) {
		tool := fixture.RequireTool(t, "umoci")
		out := run(t, tool, "stat", "--image", dir+":t")
		if !strings.Contains(out, "ADD motd /etc/") {
			t.Errorf("umoci stat: %s", out)
		}
	})
}

// TestSkopeoConversionsValidate has skopeo convert an OCI image to Docker
// schema 2 and back; berth must accept every document it writes.
func TestSkopeoConversionsValidate(t *testing.T) {
	skopeo := fixture.RequireTool(t, "skopeo")
	dm, dc, layer := dockerImage(t)
	cfg, cfgDesc, err := image.ConvertConfig(dc)
	if err != nil {
		t.Fatal(err)
	}
	man, _, err := image.ConvertManifest(dm, cfgDesc)
	if err != nil {
		t.Fatal(err)
	}
	src := t.TempDir()
	writeLayout(t, src, image.Describe(ocispec.MediaTypeImageManifest, man), man, cfg, layer)
	for _, format := range []string{"v2s2", "oci"} {
		dst := filepath.Join(t.TempDir(), format)
		run(t, skopeo, "copy", "--format", format, "oci:"+src+":t", "dir:"+dst)
		data, err := os.ReadFile(filepath.Join(dst, "manifest.json"))
		if err != nil {
			t.Fatal(err)
		}
		mt, err := image.Detect(data)
		if err != nil {
			t.Fatal(err)
		}
		if err := image.Validate(mt, data); err != nil {
			t.Errorf("%s: skopeo's manifest: %v", format, err)
		}
		m, err := image.ParseManifest(data)
		if err != nil {
			t.Fatal(err)
		}
		c, err := os.ReadFile(filepath.Join(dst, m.Config.Digest.Encoded()))
		if err != nil {
			t.Fatal(err)
		}
		if err := image.VerifyBlob(m.Config, c); err != nil {
			t.Error(err)
		}
		if err := image.Validate(m.Config.MediaType, c); err != nil {
			t.Errorf("%s: skopeo's config: %v", format, err)
		}
	}
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}
