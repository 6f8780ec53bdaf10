package dockerarchive

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-oci/berth/content"
	"github.com/berth-oci/berth/content/local"
	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/internal/fixture"
	"github.com/berth-oci/berth/internal/testimage"
	"github.com/berth-oci/berth/layout"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func newStore(t *testing.T) content.Store {
	t.Helper()
	s, err := local.New(filepath.Join(t.TempDir(), "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func writeArchive(t *testing.T, store content.Provider, imgs []Image, f Format) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "archive.tar")
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := Write(context.Background(), out, store, imgs, f); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func built(t *testing.T, store content.Store, seed int64) *testimage.Image {
	t.Helper()
	img, err := testimage.Build(context.Background(), store, testimage.Options{NumLayers: 3, Seed: seed, Config: ocispec.ImageConfig{Cmd: []string{"/bin/sh"}}})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestRoundTripBothFormats(t *testing.T) {
	ctx := context.Background()
	for _, f := range []Format{Legacy, OCI} {
		src := newStore(t)
		a, b := built(t, src, 1), built(t, src, 2)
		path := writeArchive(t, src, []Image{{Manifest: a.Manifest, RepoTags: []string{"example.com/a:v1"}}, {Manifest: b.Manifest, RepoTags: []string{"b:latest"}}}, f)
		dst := newStore(t)
		got, err := Read(ctx, path, dst)
		if err != nil {
			t.Fatalf("format %d: %v", f, err)
		}
		if len(got) != 2 || got[0].RepoTags[0] != "example.com/a:v1" || got[1].RepoTags[0] != "b:latest" {
			t.Fatalf("format %d: read %+v", f, got)
		}
		for i, want := range []*testimage.Image{a, b} {
			m, err := content.ReadBlob(ctx, dst, got[i].Manifest)
			if err != nil {
				t.Fatal(err)
			}
			var man ocispec.Manifest
			json.Unmarshal(m, &man)
			if man.Config.Digest != want.Config.Digest {
				t.Errorf("format %d image %d: config %s, want %s", f, i, man.Config.Digest, want.Config.Digest)
			}
			if f == OCI && got[i].Manifest.Digest != want.Manifest.Digest {
				t.Errorf("OCI format changed the manifest digest")
			}
		}
	}
}

func TestWriteIsDeterministic(t *testing.T) {
	src := newStore(t)
	img := built(t, src, 3)
	imgs := []Image{{Manifest: img.Manifest, RepoTags: []string{"x:y"}}}
	a, _ := os.ReadFile(writeArchive(t, src, imgs, Legacy))
	b, _ := os.ReadFile(writeArchive(t, src, imgs, Legacy))
	if !bytes.Equal(a, b) {
		t.Fatal("two archives of the same image differ")
	}
}

func TestSkopeoReadsBerthArchive(t *testing.T) {
	skopeo := fixture.RequireTool(t, "skopeo")
	for _, f := range []Format{Legacy, OCI} {
		src := newStore(t)
		img := built(t, src, 4)
		path := writeArchive(t, src, []Image{{Manifest: img.Manifest, RepoTags: []string{"example.com/app:v1"}}}, f)
		out, err := exec.Command(skopeo, "inspect", "--config", "docker-archive:"+path).CombinedOutput()
		if err != nil {
			t.Fatalf("format %d: skopeo inspect: %v\n%s", f, err, out)
		}
		var cfg ocispec.Image
		if err := json.Unmarshal(out, &cfg); err != nil || len(cfg.RootFS.DiffIDs) != 3 {
			t.Fatalf("format %d: skopeo sees config %s (%v)", f, out, err)
		}
		for i, d := range cfg.RootFS.DiffIDs {
			if d != img.DiffIDs[i] {
				t.Errorf("format %d: diff_id %d = %s, want %s", f, i, d, img.DiffIDs[i])
			}
		}
	}
}

func TestBerthReadsSkopeoArchive(t *testing.T) {
	skopeo := fixture.RequireTool(t, "skopeo")
	ctx := context.Background()
	l, err := layout.Create(filepath.Join(t.TempDir(), "l"))
	if err != nil {
		t.Fatal(err)
	}
	img := built(t, l.Store().(content.Store), 5)
	l.Tag(ctx, img.Manifest, "v1")
	path := filepath.Join(t.TempDir(), "skopeo.tar")
	if out, err := exec.Command(skopeo, "copy", "oci:"+l.Path()+":v1", "docker-archive:"+path+":example.com/app:v1").CombinedOutput(); err != nil {
		t.Fatalf("skopeo copy: %v\n%s", err, out)
	}
	dst := newStore(t)
	got, err := Read(ctx, path, dst)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].RepoTags[0] != "example.com/app:v1" {
		t.Fatalf("read %+v", got)
	}
	m, _ := content.ReadBlob(ctx, dst, got[0].Manifest)
	var man ocispec.Manifest
	json.Unmarshal(m, &man)
	if len(man.Layers) != 3 {
		t.Fatalf("manifest %s", m)
	}
}

// tarOf builds an archive from name → body (a body starting with "->" is a symlink).
func tarOf(t *testing.T, members map[string][]byte, order []string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "in.tar")
	f, _ := os.Create(path)
	tw := tar.NewWriter(f)
	for _, name := range order {
		body := members[name]
		if target, ok := bytes.CutPrefix(body, []byte("->")); ok {
			tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeSymlink, Linkname: string(target)})
			continue
		}
		tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Size: int64(len(body)), Mode: 0o644})
		tw.Write(body)
	}
	tw.Close()
	f.Close()
	return path
}

func legacyMembers(t *testing.T) (map[string][]byte, []string) {
	layer, _, err := testimage.Layer([]testimage.File{{Name: "f", Body: []byte("x"), Mode: 0o644}})
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := json.Marshal(ocispec.Image{Platform: ocispec.Platform{OS: "linux", Architecture: "amd64"}, RootFS: ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{digest.FromBytes(layer), digest.FromBytes(layer)}}})
	cfgName := digest.FromBytes(cfg).Encoded() + ".json"
	man, _ := json.Marshal([]manifestEntry{{Config: cfgName, RepoTags: []string{"a:b"}, Layers: []string{"l1/layer.tar", "l2/layer.tar"}}})
	m := map[string][]byte{cfgName: cfg, "l1/layer.tar": layer, "l2/layer.tar": []byte("->../l1/layer.tar"), "manifest.json": man}
	return m, []string{"l1/layer.tar", "l2/layer.tar", cfgName, "manifest.json"}
}

func TestReadFollowsLayerSymlinks(t *testing.T) {
	m, order := legacyMembers(t)
	got, err := Read(context.Background(), tarOf(t, m, order), newStore(t))
	if err != nil || len(got) != 1 {
		t.Fatalf("Read = %+v, %v", got, err)
	}
}

func TestReadRejectsBadArchives(t *testing.T) {
	cases := map[string]struct {
		mutate func(m map[string][]byte, order []string) []string
		want   string
	}{
		"config not matching its name": {func(m map[string][]byte, order []string) []string {
			for k := range m {
				if strings.HasSuffix(k, ".json") && k != "manifest.json" {
					m[k] = append(m[k], ' ')
				}
			}
			return order
		}, "hashes to"},
		"layer not matching diff_id": {func(m map[string][]byte, order []string) []string {
			// The second layer is bad: the first, good one must not be stored either.
			m["l2/layer.tar"] = append([]byte{}, m["l1/layer.tar"]...)
			m["l2/layer.tar"][10] ^= 1
			return order
		}, "diff_id"},
		"missing layer": {func(m map[string][]byte, order []string) []string {
			return append([]string{}, order[1:]...)
		}, "no member"},
		"symlink loop": {func(m map[string][]byte, order []string) []string {
			m["l1/layer.tar"] = []byte("->../l2/layer.tar")
			return order
		}, "too many symbolic links"},
		"broken manifest.json": {func(m map[string][]byte, order []string) []string {
			m["manifest.json"] = []byte("[{")
			return order
		}, "manifest.json"},
		"not a tar": {nil, "not a readable tar"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			m, order := legacyMembers(t)
			var path string
			if c.mutate == nil {
				path = filepath.Join(t.TempDir(), "junk.tar")
				os.WriteFile(path, bytes.Repeat([]byte("junk"), 300), 0o644)
			} else {
				path = tarOf(t, m, c.mutate(m, order))
			}
			store := newStore(t)
			_, err := Read(context.Background(), path, store)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("Read = %v, want an error naming %s and saying %q", err, path, c.want)
			}
			if !errdefs.IsInvalidArgument(err) && !errdefs.IsDigestMismatch(err) && !errdefs.IsNotFound(err) {
				t.Errorf("error kind of %v", err)
			}
			n := 0
			store.Walk(context.Background(), func(content.Info) error { n++; return nil })
			if n != 0 {
				t.Errorf("%d blobs stored from a bad archive", n)
			}
		})
	}
}
