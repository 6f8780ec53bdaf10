package content_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-oci/berth/content"
	"github.com/berth-oci/berth/content/local"
	"github.com/berth-oci/berth/errdefs"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func FuzzValidateDigest(f *testing.F) {
	for _, seed := range []string{
		string(digest.FromString("x")), string(digest.SHA512.FromString("x")),
		string(digest.SHA384.FromString("x")), "sha256:../../x", "", ":", "sha256:",
		"sha256:" + strings.Repeat("F", 64), "blake3:" + strings.Repeat("a", 64),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		err := content.ValidateDigest(digest.Digest(in))
		if err != nil {
			if !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Fatalf("ValidateDigest(%q): %v, want invalid argument", in, err)
			}
			return
		}
		d := digest.Digest(in)
		if d.Validate() != nil || (d.Algorithm() != digest.SHA256 && d.Algorithm() != digest.SHA512) {
			t.Fatalf("accepted %q", in)
		}
		if strings.ContainsAny(d.Encoded(), "/.\x00") {
			t.Fatalf("accepted %q, which is no file name", in)
		}
	})
}

// failReader fails the test that reads it.
type failReader struct{ t *testing.T }

func (r failReader) Read([]byte) (int, error) {
	r.t.Error("WriteBlob read the stream of a blob the store holds")
	return 0, io.EOF
}

func newStore(t *testing.T) *local.Store {
	s, err := local.New(filepath.Join(t.TempDir(), "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestWriteBlobSkipsStoredBlob(t *testing.T) {
	s := newStore(t)
	data := []byte("stored")
	desc := ocispec.Descriptor{Digest: digest.FromBytes(data), Size: int64(len(data))}
	ctx := context.Background()
	if err := content.WriteBlob(ctx, s, desc, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if err := content.WriteBlob(ctx, s, desc, failReader{t}); err != nil {
		t.Fatal(err)
	}
}

// cancelReader cancels its context after the first read.
type cancelReader struct {
	r      io.Reader
	cancel context.CancelFunc
}

func (c cancelReader) Read(p []byte) (int, error) {
	defer c.cancel()
	return c.r.Read(p[:min(len(p), 10)])
}

func TestWriteBlobStopsWhenCancelled(t *testing.T) {
	s := newStore(t)
	data := bytes.Repeat([]byte("x"), 1000)
	desc := ocispec.Descriptor{Digest: digest.FromBytes(data), Size: int64(len(data))}
	ctx, cancel := context.WithCancel(context.Background())
	err := content.WriteBlob(ctx, s, desc, cancelReader{bytes.NewReader(data), cancel})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("WriteBlob after cancel: %v, want context.Canceled", err)
	}
	if _, err := s.Info(context.Background(), desc.Digest); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("a cancelled write left a blob: %v", err)
	}
	if n, err := s.PruneIngests(context.Background()); n != 0 || err != nil {
		t.Errorf("a cancelled write left %d ingest files (%v)", n, err)
	}
}

func TestWriteBlobShortStream(t *testing.T) {
	s := newStore(t)
	data := []byte("the full content")
	desc := ocispec.Descriptor{Digest: digest.FromBytes(data), Size: int64(len(data))}
	err := content.WriteBlob(context.Background(), s, desc, bytes.NewReader(data[:5]))
	if !errors.Is(err, errdefs.ErrDigestMismatch) {
		t.Fatalf("short stream: %v, want digest mismatch", err)
	}
	if !strings.Contains(err.Error(), desc.Digest.String()) {
		t.Errorf("error %q does not name the blob", err)
	}
}
