package local

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-oci/berth/content"
	"github.com/berth-oci/berth/content/testsuite"
	"github.com/berth-oci/berth/errdefs"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func newStore(t *testing.T) *Store {
	t.Helper()
	s, err := New(filepath.Join(t.TempDir(), "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSuite(t *testing.T) {
	testsuite.Run(t, func(t *testing.T) content.Store { return newStore(t) })
}

func TestSuiteWithIngestDir(t *testing.T) {
	testsuite.Run(t, func(t *testing.T) content.Store {
		dir := t.TempDir()
		s, err := New(filepath.Join(dir, "content"), WithIngestDir(filepath.Join(dir, "tmp", "ingest")))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func write(t *testing.T, s *Store, data []byte) ocispec.Descriptor {
	t.Helper()
	desc := ocispec.Descriptor{Digest: digest.FromBytes(data), Size: int64(len(data))}
	if err := content.WriteBlob(context.Background(), s, desc, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	return desc
}

// Blobs sit where the image layout puts them, readable by all, and the ingest
// directory is beside the root, never inside it.
func TestOnDiskLayout(t *testing.T) {
	dir := t.TempDir()
	s, err := New(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("layout")
	desc := write(t, s, data)
	p := filepath.Join(dir, "blobs", "sha256", desc.Digest.Encoded())
	got, err := os.ReadFile(p)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read %s: %q, %v", p, got, err)
	}
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	// skopeo rewrites manifest blobs in place: a read-only blob breaks
	// "skopeo copy" into the layout for a non-root owner.
	if st.Mode().Perm() != 0o644 {
		t.Errorf("blob mode %o, want 644", st.Mode().Perm())
	}
	if s.IngestDir() != filepath.Join(dir, DefaultIngestName) {
		t.Errorf("ingest dir %s, want beside the root", s.IngestDir())
	}
	ents, err := os.ReadDir(filepath.Join(dir, "blobs"))
	if err != nil || len(ents) != 1 || ents[0].Name() != "sha256" {
		t.Errorf("blobs/ holds %v (%v), want only sha256", ents, err)
	}
}

// New on a store nobody may write still reads: it creates nothing.
func TestNewCreatesNothingButRoot(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "blobs")
	if _, err := New(root); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("New created %v, want only the root", ents)
	}
}

// Files a store did not write, in its root, are not blobs.
func TestWalkIgnoresStrangers(t *testing.T) {
	s := newStore(t)
	desc := write(t, s, []byte("real"))
	root := s.Root()
	for _, p := range []string{
		"sha256/not-a-digest",
		"sha256/" + strings.ToUpper(digest.FromString("x").Encoded()),
		"sha384/" + digest.SHA384.FromString("x").Encoded(),
		"blake3/" + digest.FromString("x").Encoded(),
		"stray-file",
	} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, p), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(root, "sha256", digest.FromString("dir").Encoded()), 0o755); err != nil {
		t.Fatal(err)
	}
	var seen []digest.Digest
	err := s.Walk(context.Background(), func(i content.Info) error { seen = append(seen, i.Digest); return nil })
	if err != nil || len(seen) != 1 || seen[0] != desc.Digest {
		t.Errorf("walk saw %v (%v), want only %s", seen, err, desc.Digest)
	}
}

// A symbolic link planted at a blob's name is refused, not followed.
func TestSymlinkBlobRefused(t *testing.T) {
	s := newStore(t)
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	d := digest.FromString("secret")
	if err := os.MkdirAll(filepath.Join(s.Root(), "sha256"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, filepath.Join(s.Root(), "sha256", d.Encoded())); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if ra, err := s.ReaderAt(ctx, ocispec.Descriptor{Digest: d}); !errors.Is(err, errdefs.ErrFailedPrecondition) {
		t.Errorf("open a symlinked blob: %v, want failed precondition", err)
		if err == nil {
			ra.Close()
		}
	}
	if _, err := s.Info(ctx, d); !errors.Is(err, errdefs.ErrFailedPrecondition) {
		t.Errorf("info of a symlinked blob: %v, want failed precondition", err)
	}
	if err := s.Delete(ctx, d); !errors.Is(err, errdefs.ErrFailedPrecondition) {
		t.Errorf("delete of a symlinked blob: %v, want failed precondition", err)
	}
	if got, _ := os.ReadFile(secret); string(got) != "secret" {
		t.Errorf("the link's target changed: %q", got)
	}
}

// A blob file of the wrong size (truncated by some accident) does not stop
// a rewrite: Writer does not claim it exists, and the commit replaces it.
func TestDamagedBlobIsReplaced(t *testing.T) {
	s := newStore(t)
	data := []byte("the whole blob")
	desc := write(t, s, data)
	p, _ := s.BlobPath(desc.Digest)
	if err := os.Chmod(p, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(p, 3); err != nil {
		t.Fatal(err)
	}
	if _, err := content.ReadBlob(context.Background(), s, desc); !errors.Is(err, errdefs.ErrDigestMismatch) {
		t.Fatalf("ReadBlob of a truncated blob: %v, want digest mismatch", err)
	}
	write(t, s, data)
	got, err := content.ReadBlob(context.Background(), s, desc)
	if err != nil || !bytes.Equal(got, data) {
		t.Errorf("after rewrite: %q, %v", got, err)
	}
}

func TestCloseLeavesIngestDirEmpty(t *testing.T) {
	s := newStore(t)
	data := []byte("abandoned")
	desc := ocispec.Descriptor{Digest: digest.FromBytes(data), Size: int64(len(data))}
	w, err := s.Writer(context.Background(), desc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data[:4]); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(s.IngestDir()); len(ents) != 1 {
		t.Fatalf("ingest dir holds %v during the write, want one file", ents)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(s.IngestDir()); len(ents) != 0 {
		t.Errorf("ingest dir holds %v after Close, want nothing", ents)
	}
}
