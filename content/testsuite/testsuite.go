// Package testsuite holds the tests every content.Store implementation
// must pass, so the directory store and the engine's store keep one
// contract. An implementation's test calls Run with a constructor of empty
// stores:
//
//	func TestSuite(t *testing.T) {
//		testsuite.Run(t, func(t *testing.T) content.Store { return newStore(t) })
//	}
//
// The suite is safe under the race detector and quick: it writes small
// blobs only.
package testsuite

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"slices"
	"testing"

	"github.com/berth-oci/berth/content"
	"github.com/berth-oci/berth/errdefs"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Run runs the suite; newStore returns a new, empty store for each test.
func Run(t *testing.T, newStore func(t *testing.T) content.Store) {
	tests := []struct {
		name string
		fn   func(*testing.T, content.Store)
	}{
		{"WriteReadInfo", testWriteReadInfo},
		{"EmptyBlob", testEmptyBlob},
		{"SHA512", testSHA512},
		{"UnknownSize", testUnknownSize},
		{"IdempotentRewrite", testIdempotentRewrite},
		{"DigestMismatch", testDigestMismatch},
		{"SizeShorter", testSizeShorter},
		{"SizeLonger", testSizeLonger},
		{"CloseWithoutCommit", testCloseWithoutCommit},
		{"CancelledCommit", testCancelledCommit},
		{"Offset", testOffset},
		{"UseAfterCommit", testUseAfterCommit},
		{"NotFound", testNotFound},
		{"InvalidDigest", testInvalidDigest},
		{"InvalidSize", testInvalidSize},
		{"Delete", testDelete},
		{"ReaderOutlivesDelete", testReaderOutlivesDelete},
		{"Walk", testWalk},
		{"WalkStops", testWalkStops},
		{"ConcurrentSameBlob", testConcurrentSameBlob},
		{"ConcurrentDifferentBlobs", testConcurrentDifferentBlobs},
		{"PruneSparesLiveWriters", testPruneSparesLiveWriters},
		{"ReadBlob", testReadBlob},
		{"GC", testGC},
		{"GCReferrerChain", testGCReferrerChain},
		{"GCMissingManifest", testGCMissingManifest},
		{"GCCorruptGraph", testGCCorruptGraph},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStore(t)) })
	}
}

// blob is test content with its descriptor.
type blob struct {
	desc ocispec.Descriptor
	data []byte
}

func newBlob(alg digest.Algorithm, mt string, data []byte) blob {
	return blob{desc: ocispec.Descriptor{MediaType: mt, Digest: alg.FromBytes(data), Size: int64(len(data))}, data: data}
}

// randomBlob returns n random bytes as a layer.
func randomBlob(t *testing.T, n int) blob {
	t.Helper()
	data := make([]byte, n)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	return newBlob(digest.SHA256, ocispec.MediaTypeImageLayerGzip, data)
}

func put(t *testing.T, s content.Store, b blob) {
	t.Helper()
	if err := content.WriteBlob(context.Background(), s, b.desc, bytes.NewReader(b.data)); err != nil {
		t.Fatalf("write %s: %v", b.desc.Digest, err)
	}
}

// mustHave checks that s holds exactly b.
func mustHave(t *testing.T, s content.Store, b blob) {
	t.Helper()
	ctx := context.Background()
	info, err := s.Info(ctx, b.desc.Digest)
	if err != nil {
		t.Fatalf("info %s: %v", b.desc.Digest, err)
	}
	if info.Digest != b.desc.Digest || info.Size != int64(len(b.data)) || info.CreatedAt.IsZero() {
		t.Errorf("info %s = %+v, want size %d and a creation time", b.desc.Digest, info, len(b.data))
	}
	ra, err := s.ReaderAt(ctx, b.desc)
	if err != nil {
		t.Fatalf("open %s: %v", b.desc.Digest, err)
	}
	defer closeOK(t, ra)
	if ra.Size() != int64(len(b.data)) {
		t.Errorf("reader size %d, want %d", ra.Size(), len(b.data))
	}
	got, err := io.ReadAll(content.NewReader(ra))
	if err != nil || !bytes.Equal(got, b.data) {
		t.Errorf("read %s: %d bytes, %v; want the %d written", b.desc.Digest, len(got), err, len(b.data))
	}
}

// mustLack checks that s does not hold d, by Info, ReaderAt and Walk.
func mustLack(t *testing.T, s content.Store, d digest.Digest) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.Info(ctx, d); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("info %s: %v, want not found", d, err)
	}
	if ra, err := s.ReaderAt(ctx, ocispec.Descriptor{Digest: d}); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("open %s: %v, want not found", d, err)
		if err == nil {
			closeOK(t, ra)
		}
	}
	if slices.Contains(walkAll(t, s), d) {
		t.Errorf("walk lists %s", d)
	}
}

func walkAll(t *testing.T, s content.Store) []digest.Digest {
	t.Helper()
	var out []digest.Digest
	err := s.Walk(context.Background(), func(i content.Info) error {
		out = append(out, i.Digest)
		return nil
	})
	if err != nil {
		t.Fatalf("walk: %v", err)
	}
	slices.Sort(out)
	return out
}

func closeOK(t *testing.T, c io.Closer) {
	t.Helper()
	if err := c.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
}

// noLeftovers checks that the store keeps no abandoned write.
func noLeftovers(t *testing.T, s content.Store) {
	t.Helper()
	if p, ok := s.(content.IngestPruner); ok {
		n, err := p.PruneIngests(context.Background())
		if err != nil || n != 0 {
			t.Errorf("prune found %d abandoned writes (%v), want none", n, err)
		}
	}
}
