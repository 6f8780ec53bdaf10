package testsuite

import (
	"context"
	"errors"
	"io"
	"slices"
	"testing"

	"github.com/berth-oci/berth/content"
	"github.com/berth-oci/berth/errdefs"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func testNotFound(t *testing.T, s content.Store) {
	for _, d := range []digest.Digest{digest.FromString("absent"), digest.SHA512.FromString("absent")} {
		mustLack(t, s, d)
		if err := s.Delete(context.Background(), d); !errors.Is(err, errdefs.ErrNotFound) {
			t.Errorf("delete %s: %v, want not found", d, err)
		}
	}
}

// invalidDigests must be refused before they reach storage: each would be
// a path traversal, an unverifiable algorithm, or a name the layout forbids.
var invalidDigests = func() []digest.Digest {
	x := digest.FromString("x").Encoded()
	return []digest.Digest{
		"",
		"sha256",
		"sha256:",
		digest.Digest(":" + x),
		"sha256:../../../../etc/passwd",
		digest.Digest("sha256:../" + x[3:]),
		digest.Digest("sha256:" + x + "/.."),
		digest.Digest("sha256:" + x[:63]),
		digest.Digest("sha256:" + x + "0"),
		digest.Digest("SHA256:" + x),
		digest.Digest("sha256:ABCDEF" + x[6:]),
		digest.Digest("sha384:" + digest.SHA384.FromString("x").Encoded()),
		digest.Digest("blake3:" + x),
		"md5:d41d8cd98f00b204e9800998ecf8427e",
		digest.Digest("sha512:" + x),
		digest.Digest("../sha256:" + x),
		digest.Digest("sha256:" + x[:32] + "\x00" + x[33:]),
		digest.Digest("sha256:" + x[:32] + "/" + x[33:]),
	}
}()

func testInvalidDigest(t *testing.T, s content.Store) {
	ctx := context.Background()
	for _, d := range invalidDigests {
		desc := ocispec.Descriptor{Digest: d, Size: 1}
		if _, err := s.Info(ctx, d); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("info %q: %v, want invalid argument", d, err)
		}
		if ra, err := s.ReaderAt(ctx, desc); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("open %q: %v, want invalid argument", d, err)
			if err == nil {
				closeOK(t, ra)
			}
		}
		if err := s.Delete(ctx, d); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("delete %q: %v, want invalid argument", d, err)
		}
		if w, err := s.Writer(ctx, desc); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("writer %q: %v, want invalid argument", d, err)
			if err == nil {
				closeOK(t, w)
			}
		}
	}
	noLeftovers(t, s)
}

func testInvalidSize(t *testing.T, s content.Store) {
	b := randomBlob(t, 10)
	b.desc.Size = -2
	if w, err := s.Writer(context.Background(), b.desc); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("writer with size -2: %v, want invalid argument", err)
		if err == nil {
			closeOK(t, w)
		}
	}
}

func testDelete(t *testing.T, s content.Store) {
	keep, gone := randomBlob(t, 100), randomBlob(t, 200)
	put(t, s, keep)
	put(t, s, gone)
	if err := s.Delete(context.Background(), gone.desc.Digest); err != nil {
		t.Fatal(err)
	}
	mustLack(t, s, gone.desc.Digest)
	mustHave(t, s, keep)
	if err := s.Delete(context.Background(), gone.desc.Digest); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("second delete: %v, want not found", err)
	}
	put(t, s, gone) // a deleted blob can be written again
	mustHave(t, s, gone)
}

func testReaderOutlivesDelete(t *testing.T, s content.Store) {
	b := randomBlob(t, 5000)
	put(t, s, b)
	ra, err := s.ReaderAt(context.Background(), b.desc)
	if err != nil {
		t.Fatal(err)
	}
	defer closeOK(t, ra)
	if err := s.Delete(context.Background(), b.desc.Digest); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(content.NewReader(ra))
	if err != nil || len(got) != len(b.data) {
		t.Errorf("read after delete: %d bytes, %v", len(got), err)
	}
}

// Walk lists committed blobs only: not writes in progress, failed or
// abandoned ones, nor deleted blobs.
func testWalk(t *testing.T, s content.Store) {
	ctx := context.Background()
	var want []digest.Digest
	for i := range 5 {
		b := randomBlob(t, 100+i)
		put(t, s, b)
		want = append(want, b.desc.Digest)
	}
	s512 := newBlob(digest.SHA512, "", []byte("five hundred twelve"))
	put(t, s, s512)
	want = append(want, s512.desc.Digest)

	pending := randomBlob(t, 100)
	w, err := s.Writer(ctx, pending.desc)
	if err != nil {
		t.Fatal(err)
	}
	defer closeOK(t, w)
	if _, err := w.Write(pending.data[:50]); err != nil {
		t.Fatal(err)
	}
	deleted := randomBlob(t, 10)
	put(t, s, deleted)
	if err := s.Delete(ctx, deleted.desc.Digest); err != nil {
		t.Fatal(err)
	}
	slices.Sort(want)
	if got := walkAll(t, s); !slices.Equal(got, want) {
		t.Errorf("walk = %v\nwant %v", got, want)
	}
}

func testWalkStops(t *testing.T, s content.Store) {
	for i := range 3 {
		put(t, s, randomBlob(t, 10+i))
	}
	stop := errors.New("stop")
	calls := 0
	err := s.Walk(context.Background(), func(content.Info) error { calls++; return stop })
	if err != stop || calls != 1 {
		t.Errorf("walk returned %v after %d calls, want the callback's error after 1", err, calls)
	}
}

// Pruning abandoned writes never touches a write in progress.
func testPruneSparesLiveWriters(t *testing.T, s content.Store) {
	p, ok := s.(content.IngestPruner)
	if !ok {
		t.Skip("store keeps no ingests")
	}
	ctx := context.Background()
	b := randomBlob(t, 1000)
	w, err := s.Writer(ctx, b.desc)
	if err != nil {
		t.Fatal(err)
	}
	defer closeOK(t, w)
	if _, err := w.Write(b.data[:500]); err != nil {
		t.Fatal(err)
	}
	if n, err := p.PruneIngests(ctx); err != nil || n != 0 {
		t.Fatalf("prune removed %d (%v) with a writer live", n, err)
	}
	if _, err := w.Write(b.data[500:]); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(ctx); err != nil {
		t.Fatalf("commit after prune: %v", err)
	}
	mustHave(t, s, b)
}
