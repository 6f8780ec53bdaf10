package testsuite

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/berth-oci/berth/content"
	"github.com/berth-oci/berth/errdefs"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func testWriteReadInfo(t *testing.T, s content.Store) {
	b := randomBlob(t, 300<<10)
	put(t, s, b)
	mustHave(t, s, b)
	noLeftovers(t, s)
}

func testEmptyBlob(t *testing.T, s content.Store) {
	b := newBlob(digest.SHA256, ocispec.MediaTypeEmptyJSON, []byte{})
	put(t, s, b)
	mustHave(t, s, b)
}

func testSHA512(t *testing.T, s content.Store) {
	b := newBlob(digest.SHA512, ocispec.MediaTypeImageLayer, []byte("hashed with sha512"))
	put(t, s, b)
	mustHave(t, s, b)
	if got := walkAll(t, s); len(got) != 1 || got[0] != b.desc.Digest {
		t.Errorf("walk = %v, want [%s]", got, b.desc.Digest)
	}
	bad := b
	bad.desc.Digest = digest.SHA512.FromString("other")
	if err := content.WriteBlob(context.Background(), s, bad.desc, bytes.NewReader(b.data)); !errors.Is(err, errdefs.ErrDigestMismatch) {
		t.Errorf("sha512 mismatch: %v, want digest mismatch", err)
	}
	mustLack(t, s, bad.desc.Digest)
}

// Size -1 means unknown: only the digest is checked.
func testUnknownSize(t *testing.T, s content.Store) {
	b := randomBlob(t, 1000)
	unknown := b.desc
	unknown.Size = -1
	if err := content.WriteBlob(context.Background(), s, unknown, bytes.NewReader(b.data)); err != nil {
		t.Fatal(err)
	}
	mustHave(t, s, b)
	other := randomBlob(t, 10)
	unknown.Digest = other.desc.Digest
	if err := content.WriteBlob(context.Background(), s, unknown, bytes.NewReader(b.data)); !errors.Is(err, errdefs.ErrDigestMismatch) {
		t.Errorf("unknown size, wrong content: %v, want digest mismatch", err)
	}
	mustLack(t, s, other.desc.Digest)
}

func testIdempotentRewrite(t *testing.T, s content.Store) {
	b := randomBlob(t, 4096)
	put(t, s, b)
	put(t, s, b)
	if w, err := s.Writer(context.Background(), b.desc); !errors.Is(err, errdefs.ErrAlreadyExists) {
		t.Errorf("Writer of a stored blob: %v, want already exists", err)
		if err == nil {
			closeOK(t, w)
		}
	}
	mustHave(t, s, b)
	if got := walkAll(t, s); len(got) != 1 {
		t.Errorf("walk = %v, want one blob", got)
	}
}

// failedWrite writes data against desc and expects a digest mismatch from
// Write or Commit, then checks nothing of it remains.
func failedWrite(t *testing.T, s content.Store, desc ocispec.Descriptor, data []byte) {
	t.Helper()
	ctx := context.Background()
	w, err := s.Writer(ctx, desc)
	if err != nil {
		t.Fatal(err)
	}
	_, werr := w.Write(data)
	cerr := w.Commit(ctx)
	if !errors.Is(cerr, errdefs.ErrDigestMismatch) {
		t.Errorf("commit: %v, want digest mismatch", cerr)
	}
	if werr != nil && !errors.Is(werr, errdefs.ErrDigestMismatch) {
		t.Errorf("write: %v, want nil or digest mismatch", werr)
	}
	closeOK(t, w)
	mustLack(t, s, desc.Digest)
	noLeftovers(t, s)
	if got := walkAll(t, s); len(got) != 0 {
		t.Errorf("walk after a failed write = %v, want empty", got)
	}
}

func testDigestMismatch(t *testing.T, s content.Store) {
	b := randomBlob(t, 2048)
	desc := b.desc
	desc.Digest = digest.FromString("something else")
	failedWrite(t, s, desc, b.data)
}

func testSizeShorter(t *testing.T, s content.Store) {
	b := randomBlob(t, 2048)
	failedWrite(t, s, b.desc, b.data[:1000])
	// Content that hashes right but is declared longer than it is.
	part := newBlob(digest.SHA256, "", b.data[:1000])
	part.desc.Size = 2048
	failedWrite(t, s, part.desc, part.data)
}

func testSizeLonger(t *testing.T, s content.Store) {
	b := randomBlob(t, 2048)
	failedWrite(t, s, b.desc, append(b.data, 'x'))
	// Content that hashes right but is declared shorter than it is.
	short := b.desc
	short.Size--
	failedWrite(t, s, short, b.data)
}

func testCloseWithoutCommit(t *testing.T, s content.Store) {
	b := randomBlob(t, 8192)
	w, err := s.Writer(context.Background(), b.desc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(b.data); err != nil {
		t.Fatal(err)
	}
	closeOK(t, w)
	closeOK(t, w) // a second Close does nothing
	mustLack(t, s, b.desc.Digest)
	noLeftovers(t, s)
	put(t, s, b) // and the blob can still be written
	mustHave(t, s, b)
}

func testCancelledCommit(t *testing.T, s content.Store) {
	b := randomBlob(t, 100)
	w, err := s.Writer(context.Background(), b.desc)
	if err != nil {
		t.Fatal(err)
	}
	defer closeOK(t, w)
	if _, err := w.Write(b.data); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := w.Commit(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("commit with a cancelled context: %v, want context.Canceled", err)
	}
	mustLack(t, s, b.desc.Digest)
	if _, err := s.Writer(ctx, b.desc); err == nil {
		t.Error("Writer with a cancelled context succeeded")
	}
}

func testOffset(t *testing.T, s content.Store) {
	b := randomBlob(t, 10000)
	ctx := context.Background()
	w, err := s.Writer(ctx, b.desc)
	if err != nil {
		t.Fatal(err)
	}
	defer closeOK(t, w)
	if w.Offset() != 0 {
		t.Fatalf("new writer at offset %d", w.Offset())
	}
	for off := 0; off < len(b.data); off += 3333 {
		end := min(off+3333, len(b.data))
		if n, err := w.Write(b.data[off:end]); err != nil || n != end-off {
			t.Fatalf("write [%d:%d]: %d, %v", off, end, n, err)
		}
		if w.Offset() != int64(end) {
			t.Fatalf("offset %d after writing %d bytes", w.Offset(), end)
		}
	}
	if err := w.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	mustHave(t, s, b)
}

func testUseAfterCommit(t *testing.T, s content.Store) {
	b := randomBlob(t, 10)
	ctx := context.Background()
	w, err := s.Writer(ctx, b.desc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(b.data); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("x")); !errors.Is(err, errdefs.ErrFailedPrecondition) {
		t.Errorf("write after commit: %v, want failed precondition", err)
	}
	if err := w.Commit(ctx); !errors.Is(err, errdefs.ErrFailedPrecondition) {
		t.Errorf("second commit: %v, want failed precondition", err)
	}
	closeOK(t, w)
	mustHave(t, s, b)
}
