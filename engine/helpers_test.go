package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/berth-oci/berth/content"
	"github.com/berth-oci/berth/internal/fixture"
	"github.com/berth-oci/berth/internal/testimage"
	"github.com/berth-oci/berth/layer"
	"github.com/berth-oci/berth/layout"
	digest "github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

var (
	busyboxOnce  sync.Once
	busyboxLayer []byte
	busyboxDiff  digest.Digest
	busyboxErr   error
)

// busyboxBlob is a gzip layer of the busybox rootfs, made once per test
// binary.
func busyboxBlob(t *testing.T) ([]byte, digest.Digest) {
	t.Helper()
	busyboxOnce.Do(func() {
		dir := fixture.Busybox(t)
		var buf bytes.Buffer
		res, err := layer.Diff(context.Background(), "", dir, &buf, layer.DiffOptions{Compression: layer.Gzip})
		busyboxLayer, busyboxDiff, busyboxErr = buf.Bytes(), res.DiffID, err
	})
	if busyboxErr != nil {
		t.Fatal(busyboxErr)
	}
	return busyboxLayer, busyboxDiff
}

// testImage writes into store an image of busybox plus a layer of files
// (none when nil) and returns its manifest descriptor.
func testImage(t *testing.T, store content.Store, files []testimage.File, cfg ocispec.ImageConfig) ocispec.Descriptor {
	t.Helper()
	ctx := context.Background()
	gz, diffID := busyboxBlob(t)
	layers := []ocispec.Descriptor{put(t, store, ocispec.MediaTypeImageLayerGzip, gz)}
	diffIDs := []digest.Digest{diffID}
	if files != nil {
		tb, lgz, err := testimage.Layer(files)
		if err != nil {
			t.Fatal(err)
		}
		layers = append(layers, put(t, store, ocispec.MediaTypeImageLayerGzip, lgz))
		diffIDs = append(diffIDs, digest.FromBytes(tb))
	}
	if cfg.Cmd == nil && cfg.Entrypoint == nil {
		cfg.Cmd = []string{"sh"}
	}
	created := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	c := ocispec.Image{Created: &created, Platform: ocispec.Platform{OS: "linux", Architecture: "amd64"}, Config: cfg,
		RootFS: ocispec.RootFS{Type: "layers", DiffIDs: diffIDs}}
	cdata, _ := json.Marshal(c)
	m := ocispec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest,
		Config: put(t, store, ocispec.MediaTypeImageConfig, cdata), Layers: layers}
	mdata, _ := json.Marshal(m)
	_ = ctx
	return put(t, store, ocispec.MediaTypeImageManifest, mdata)
}

func put(t *testing.T, store content.Store, mt string, data []byte) ocispec.Descriptor {
	t.Helper()
	d := ocispec.Descriptor{MediaType: mt, Digest: digest.FromBytes(data), Size: int64(len(data))}
	if err := content.WriteBlob(context.Background(), store, d, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	return d
}

// testLayout makes an OCI layout with the images name → extra files.
func testLayout(t *testing.T, images map[string][]testimage.File) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "layout")
	l, err := layout.Create(dir)
	if err != nil {
		t.Fatal(err)
	}
	for name, files := range images {
		d := testImage(t, l.Store(), files, ocispec.ImageConfig{})
		if err := l.Tag(context.Background(), d, name); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func openTest(t *testing.T) *Engine {
	t.Helper()
	fixture.RequireRoot(t)
	dir := t.TempDir()
	e, err := Open(Options{Root: filepath.Join(dir, "root"), RunRoot: filepath.Join(dir, "run"), Runtime: runtimeForTests(t)})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// runtimeForTests is the runtime engine tests use: $BERTH_TEST_RUNTIME, or
// runc.
func runtimeForTests(t *testing.T) string {
	if p := os.Getenv("BERTH_TEST_RUNTIME"); p != "" {
		return p
	}
	return fixture.RequireTool(t, "runc")
}
