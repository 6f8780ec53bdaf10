package layout

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-oci/berth/content"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// treeSum hashes every path, mode and content under dir, to prove an
// operation changed nothing.
func treeSum(t *testing.T, dir string) string {
	t.Helper()
	h := sha256.New()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s %v %d\n", p, fi.Mode(), fi.Size())
		if fi.Mode().IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			h.Write(data)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

// overwrite replaces a blob file's bytes (blobs are read-only).
func overwrite(t *testing.T, path string, data []byte) {
	t.Helper()
	os.Chmod(path, 0o644)
	if err := os.WriteFile(path, data, 0o444); err != nil {
		t.Fatal(err)
	}
}

// putIndexEntry writes raw bytes as a blob and makes index.json name it.
func putIndexEntry(t *testing.T, l *Layout, desc ocispec.Descriptor, data []byte) {
	t.Helper()
	ctx := context.Background()
	w := ocispec.Descriptor{Digest: digest.FromBytes(data), Size: int64(len(data))}
	if err := content.WriteBlob(ctx, l.Store(), w, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if err := l.updateIndex(ctx, func(idx *ocispec.Index) error {
		idx.Manifests = append(idx.Manifests, desc)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func TestValidateAcceptsAGoodLayout(t *testing.T) {
	l, _ := newLayoutWithImage(t, "good")
	if err := l.Validate(context.Background(), ""); err != nil {
		t.Fatal(err)
	}
}

func TestValidateReportsBadInput(t *testing.T) {
	schema1 := []byte(`{"schemaVersion":1,"name":"x","tag":"latest","architecture":"amd64","fsLayers":[],"history":[]}`)
	cases := []struct {
		name   string
		break_ func(t *testing.T, l *Layout, img imageFiles)
		want   []string // substrings of the error
	}{
		{"corrupted layer", func(t *testing.T, l *Layout, img imageFiles) {
			data, _ := os.ReadFile(img.layer)
			data[len(data)/2] ^= 0xff
			overwrite(t, img.layer, data)
		}, []string{"blobs/sha256/", "does not hash to"}},
		{"truncated layer", func(t *testing.T, l *Layout, img imageFiles) {
			data, _ := os.ReadFile(img.layer)
			overwrite(t, img.layer, data[:len(data)-10])
		}, []string{"blobs/sha256/", "bytes, descriptor says"}},
		{"manifest digest mismatch", func(t *testing.T, l *Layout, img imageFiles) {
			data, _ := os.ReadFile(img.manifest)
			overwrite(t, img.manifest, bytes.Replace(data, []byte(`"schemaVersion":2`), []byte(`"schemaVersion":2 `), 1))
		}, []string{img0Manifest, "mismatch"}},
		{"missing blob", func(t *testing.T, l *Layout, img imageFiles) {
			os.Remove(img.config)
		}, []string{"blobs/sha256/", "not found"}},
		{"descriptor with bad size", func(t *testing.T, l *Layout, img imageFiles) {
			l.updateIndex(context.Background(), func(idx *ocispec.Index) error {
				idx.Manifests[0].Size = 3
				return nil
			})
		}, []string{img0Manifest, "descriptor says 3"}},
		{"schema1 manifest", func(t *testing.T, l *Layout, img imageFiles) {
			putIndexEntry(t, l, ocispec.Descriptor{MediaType: "application/vnd.docker.distribution.manifest.v1+json", Digest: digest.FromBytes(schema1), Size: int64(len(schema1))}, schema1)
		}, []string{"schema1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l, img := newLayoutWithImage(t, "x")
			files := filesOf(l, img.Manifest, img.Config, img.Layers[1])
			c.break_(t, l, files)
			before := treeSum(t, l.Path())
			err := l.Validate(context.Background(), "")
			if err == nil {
				t.Fatal("Validate accepted a broken layout")
			}
			msg := strings.ReplaceAll(err.Error(), files.manifestRel, img0Manifest)
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if strings.Count(err.Error(), "\n") != 0 {
				t.Errorf("one problem gave several lines: %q", err)
			}
			if treeSum(t, l.Path()) != before {
				t.Error("Validate changed the layout")
			}
		})
	}
}

// img0Manifest stands for the manifest's path in expected messages.
const img0Manifest = "<manifest path>"

type imageFiles struct{ manifest, manifestRel, config, layer string }

func filesOf(l *Layout, m, c, layer ocispec.Descriptor) imageFiles {
	rel, _ := filepath.Rel(filepath.Dir(l.Path()), l.BlobPath(m))
	return imageFiles{manifest: l.BlobPath(m), manifestRel: rel, config: l.BlobPath(c), layer: l.BlobPath(layer)}
}

// The spec forbids failing on an unknown media type in an index: it is
// verified as opaque data. Asking for it as an image is a clear error.
func TestUnknownMediaType(t *testing.T) {
	ctx := context.Background()
	l, _ := newLayoutWithImage(t, "x")
	data := []byte(`{"hello":"world"}`)
	desc := ocispec.Descriptor{MediaType: "application/vnd.example.unknown+json", Digest: digest.FromBytes(data), Size: int64(len(data)),
		Annotations: map[string]string{ocispec.AnnotationRefName: "odd"}}
	putIndexEntry(t, l, desc, data)
	if err := l.Validate(ctx, ""); err != nil {
		t.Fatalf("Validate failed on an unknown media type: %v", err)
	}
	_, err := l.ResolveImage(ctx, "odd", nil)
	if err == nil || !strings.Contains(err.Error(), "application/vnd.example.unknown+json") || !strings.Contains(err.Error(), "blobs/sha256/") {
		t.Fatalf("ResolveImage of an unknown media type: %v", err)
	}
}

func TestTruncatedIndexJSONIsAClearError(t *testing.T) {
	l, _ := newLayoutWithImage(t, "x")
	path := filepath.Join(l.Path(), IndexFile)
	data, _ := os.ReadFile(path)
	os.WriteFile(path, data[:len(data)/2], 0o644)
	before := treeSum(t, l.Path())
	for name, op := range map[string]func() error{
		"Validate": func() error { return l.Validate(context.Background(), "") },
		"Resolve":  func() error { _, err := l.Resolve(context.Background(), "x"); return err },
		"Untag":    func() error { return l.Untag(context.Background(), "x") },
		"GC":       func() error { _, err := l.GC(context.Background()); return err },
	} {
		err := op()
		if err == nil || !strings.Contains(err.Error(), "index.json") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s on a truncated index.json: %v", name, err)
		}
	}
	if treeSum(t, l.Path()) != before {
		t.Error("a failed operation changed the layout")
	}
	var js map[string]any
	if json.Unmarshal(data[:len(data)/2], &js) == nil {
		t.Fatal("test bug: the truncated index still parses")
	}
}
