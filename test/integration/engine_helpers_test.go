package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-oci/berth/content"
	"github.com/berth-oci/berth/internal/fixture"
	"github.com/berth-oci/berth/internal/testimage"
	"github.com/berth-oci/berth/layer"
	"github.com/berth-oci/berth/layout"
	"github.com/berth-oci/berth/layout/dockerarchive"
	digest "github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

var (
	berthBuild struct {
		once sync.Once
		path string
		err  error
	}
	busyboxGz struct {
		once   sync.Once
		gz     []byte
		diffID digest.Digest
		err    error
	}
)

// berthBin is the berth binary under test: $BERTH_BIN/berth, or one built
// once for this test binary (static, as the Makefile builds it, since
// --init runs it inside containers).
func berthBin(t *testing.T) string {
	t.Helper()
	b := &berthBuild
	b.once.Do(func() {
		if dir := os.Getenv("BERTH_BIN"); dir != "" {
			if _, err := os.Stat(filepath.Join(dir, "berth")); err == nil {
				b.path = filepath.Join(dir, "berth")
				return
			}
		}
		out, err := exec.Command("go", "env", "GOMOD").Output()
		if err != nil {
			b.err = err
			return
		}
		// One fixed place, replaced by each run, so runs leave no binaries
		// behind; built beside it and renamed, so concurrent runs never see
		// half a binary.
		dir := filepath.Join(os.TempDir(), "berth-engine-it")
		if b.err = os.MkdirAll(dir, 0o755); b.err != nil {
			return
		}
		tmp, err := os.CreateTemp(dir, "berth-*")
		if err != nil {
			b.err = err
			return
		}
		tmp.Close()
		defer os.Remove(tmp.Name())
		build := exec.Command("go", "build", "-tags", "netgo osusergo", "-o", tmp.Name(), "./cmd/berth")
		build.Dir = filepath.Dir(strings.TrimSpace(string(out)))
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("build berth: %v\n%s", err, out)
			return
		}
		b.path = filepath.Join(dir, "berth")
		b.err = os.Rename(tmp.Name(), b.path)
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

// engStore is one berth store (root and run root) for a test.
type engStore struct {
	t       *testing.T
	bin     string
	root    string
	runRoot string
	runtime string
}

// newEngStore makes an empty store whose containers run with runc (the
// engine must work with any runc-compatible runtime; berth-runtime is
// tested by TestEngineRuntimes).
func newEngStore(t *testing.T) *engStore {
	t.Helper()
	fixture.RequireRoot(t)
	dir := t.TempDir()
	s := &engStore{t: t, bin: berthBin(t), root: filepath.Join(dir, "root"), runRoot: filepath.Join(dir, "run"),
		runtime: fixture.RequireTool(t, "runc")}
	t.Cleanup(s.cleanup)
	return s
}

// cleanup removes every container a failed test left, and any mount.
func (s *engStore) cleanup() {
	exec.Command(s.bin, s.global("rm", "--all", "--force")...).Run()
	unmountUnder(s.root)
	unmountUnder(s.runRoot)
}

func (s *engStore) global(args ...string) []string {
	return append([]string{"--root", s.root, "--runroot", s.runRoot, "--runtime", s.runtime}, args...)
}

func (s *engStore) cmd(args ...string) *exec.Cmd {
	return exec.Command(s.bin, s.global(args...)...)
}

// berth runs berth and returns its stdout, stderr and exit status.
func (s *engStore) berth(args ...string) (string, string, int) {
	s.t.Helper()
	cmd := s.cmd(args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil && cmd.ProcessState == nil {
		s.t.Fatalf("berth %s: %v", strings.Join(args, " "), err)
	}
	return stdout.String(), stderr.String(), cmd.ProcessState.ExitCode()
}

// ok runs berth, failing the test unless it exits 0, and returns stdout.
func (s *engStore) ok(args ...string) string {
	s.t.Helper()
	out, errOut, code := s.berth(args...)
	if code != 0 {
		s.t.Fatalf("berth %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// exits runs berth expecting exit status want; it returns stderr.
func (s *engStore) exits(want int, args ...string) string {
	s.t.Helper()
	out, errOut, code := s.berth(args...)
	if code != want {
		s.t.Fatalf("berth %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, want, out, errOut)
	}
	return errOut
}

// inspect returns `container inspect` of name, decoded.
func (s *engStore) inspect(name string) map[string]any {
	s.t.Helper()
	var out []map[string]any
	if err := json.Unmarshal([]byte(s.ok("container", "inspect", name)), &out); err != nil || len(out) != 1 {
		s.t.Fatalf("container inspect %s: %v", name, err)
	}
	return out[0]
}

// waitFor polls cond until it holds, failing the test after a generous
// while instead of hanging.
func engWaitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// busyboxLayer is a gzip layer of a busybox root filesystem, made once.
func busyboxLayer(t *testing.T) ([]byte, digest.Digest) {
	t.Helper()
	b := &busyboxGz
	b.once.Do(func() {
		dir := filepath.Join(t.TempDir(), "rootfs")
		if b.err = fixture.BusyboxRootfs(dir); b.err != nil {
			return
		}
		var buf bytes.Buffer
		res, err := layer.Diff(context.Background(), "", dir, &buf, layer.DiffOptions{Compression: layer.Gzip})
		b.gz, b.diffID, b.err = buf.Bytes(), res.DiffID, err
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.gz, b.diffID
}

// testImageSpec is an image of the test layout: busybox plus files.
type testImageSpec struct {
	files  []testimage.File
	config ocispec.ImageConfig
	// plain stores the files' layer uncompressed.
	plain bool
}

// engImages are the images every engine test pulls from a layout:
// busybox alone, and app (busybox plus a layer) whose config sets Env,
// a working directory and a stop signal.
var engImages = map[string]testImageSpec{
	"busybox": {config: ocispec.ImageConfig{Cmd: []string{"sh"}}},
	"app": {
		files: []testimage.File{
			{Name: "srv/", Mode: 0o755, Typeflag: '5'},
			{Name: "srv/hello.txt", Body: []byte("hello from app\n"), Mode: 0o644},
		},
		config: ocispec.ImageConfig{Cmd: []string{"cat", "hello.txt"}, Env: []string{"APP=1", "PATH=/usr/sbin:/usr/bin:/sbin:/bin"},
			WorkingDir: "/srv", StopSignal: "SIGUSR1", Labels: map[string]string{"org.example": "app"}},
	},
}

// engLayout writes the test images into a new OCI layout and returns its
// path; the manifests are returned by name.
func engLayout(t *testing.T) (string, map[string]ocispec.Descriptor) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "images")
	l, err := layout.Create(dir)
	if err != nil {
		t.Fatal(err)
	}
	descs := map[string]ocispec.Descriptor{}
	for name, spec := range engImages {
		d := writeTestImage(t, l.Store(), spec)
		if err := l.Tag(context.Background(), d, name); err != nil {
			t.Fatal(err)
		}
		descs[name] = d
	}
	return dir, descs
}

func writeTestImage(t *testing.T, store content.Store, spec testImageSpec) ocispec.Descriptor {
	t.Helper()
	gz, diffID := busyboxLayer(t)
	layers := []ocispec.Descriptor{engPut(t, store, ocispec.MediaTypeImageLayerGzip, gz)}
	diffIDs := []digest.Digest{diffID}
	if spec.files != nil {
		tb, lgz, err := testimage.Layer(spec.files)
		if err != nil {
			t.Fatal(err)
		}
		if spec.plain {
			layers = append(layers, engPut(t, store, ocispec.MediaTypeImageLayer, tb))
		} else {
			layers = append(layers, engPut(t, store, ocispec.MediaTypeImageLayerGzip, lgz))
		}
		diffIDs = append(diffIDs, digest.FromBytes(tb))
	}
	created := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	cfg := ocispec.Image{Created: &created, Platform: ocispec.Platform{OS: "linux", Architecture: "amd64"},
		Config: spec.config, RootFS: ocispec.RootFS{Type: "layers", DiffIDs: diffIDs}}
	cdata, _ := json.Marshal(cfg)
	m := ocispec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest,
		Config: engPut(t, store, ocispec.MediaTypeImageConfig, cdata), Layers: layers}
	mdata, _ := json.Marshal(m)
	return engPut(t, store, ocispec.MediaTypeImageManifest, mdata)
}

func engPut(t *testing.T, store content.Store, mt string, data []byte) ocispec.Descriptor {
	t.Helper()
	d := ocispec.Descriptor{MediaType: mt, Digest: digest.FromBytes(data), Size: int64(len(data))}
	if err := content.WriteBlob(context.Background(), store, d, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	return d
}

// engArchive writes the layout's image name as a docker archive tagged tag.
func engArchive(t *testing.T, dir, name, tag string) string {
	t.Helper()
	l, err := layout.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	d, err := l.Resolve(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), name+".tar")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := dockerarchive.Write(context.Background(), f, l.Store(), []dockerarchive.Image{{Manifest: d, RepoTags: []string{tag}}}, dockerarchive.Legacy); err != nil {
		t.Fatal(err)
	}
	return path
}

// withImages returns a store with busybox and app pulled from a layout.
func withImages(t *testing.T) (*engStore, string) {
	s := newEngStore(t)
	dir, _ := engLayout(t)
	s.ok("pull", "-q", "oci:"+dir+":busybox")
	s.ok("pull", "-q", "oci:"+dir+":app")
	return s, dir
}

// Short names of the test images in a store.
const (
	imgBusybox = "localhost/images:busybox"
	imgApp     = "localhost/images:app"
)

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
