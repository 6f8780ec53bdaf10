package local

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-oci/berth/errdefs"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// FuzzBlobPath checks the digest → path mapping: a digest is either refused
// as invalid, or maps to a file exactly two levels below the root whose
// name is the digest's own, so no input reaches outside the store.
func FuzzBlobPath(f *testing.F) {
	for _, seed := range []string{
		string(digest.FromString("x")),
		string(digest.SHA512.FromString("x")),
		"sha256:../../../etc/passwd",
		"sha256:" + strings.Repeat("a", 64) + "/../../x",
		"sha256/../..:" + strings.Repeat("a", 64),
		"", ":", "sha256:", "SHA256:" + strings.Repeat("A", 64),
		"sha256:" + strings.Repeat("a", 63) + "\x00",
	} {
		f.Add(seed)
	}
	s, err := New(filepath.Join(f.TempDir(), "blobs"))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in string) {
		d := digest.Digest(in)
		p, err := s.BlobPath(d)
		if err != nil {
			if !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Fatalf("BlobPath(%q): %v, want invalid argument", in, err)
			}
			if _, err := s.Info(context.Background(), d); !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Fatalf("Info(%q): %v, want invalid argument", in, err)
			}
			return
		}
		rel, err := filepath.Rel(s.Root(), p)
		if err != nil {
			t.Fatal(err)
		}
		alg, enc, ok := strings.Cut(in, ":")
		if !ok || rel != filepath.Join(alg, enc) || strings.Count(rel, "/") != 1 || strings.Contains(rel, "..") {
			t.Fatalf("digest %q maps to %q below the root", in, rel)
		}
		if d.Validate() != nil {
			t.Fatalf("accepted %q, which go-digest rejects", in)
		}
		if _, err := s.ReaderAt(context.Background(), ocispec.Descriptor{Digest: d}); !errors.Is(err, errdefs.ErrNotFound) {
			t.Fatalf("open %q in an empty store: %v, want not found", in, err)
		}
	})
}
