package testsuite

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/berth-oci/berth/content"
	"github.com/berth-oci/berth/errdefs"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func testReadBlob(t *testing.T, s content.Store) {
	ctx := context.Background()
	b := randomBlob(t, 3000)
	put(t, s, b)
	got, err := content.ReadBlob(ctx, s, b.desc)
	if err != nil || !bytes.Equal(got, b.data) {
		t.Fatalf("ReadBlob: %d bytes, %v", len(got), err)
	}
	wrongSize := b.desc
	wrongSize.Size++
	if _, err := content.ReadBlob(ctx, s, wrongSize); !errors.Is(err, errdefs.ErrDigestMismatch) {
		t.Errorf("ReadBlob with a wrong size: %v, want digest mismatch", err)
	}
	if _, err := content.ReadBlobLimit(ctx, s, b.desc, 2999); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("ReadBlobLimit under the size: %v, want invalid argument", err)
	}
	unknown := b.desc
	unknown.Size = -1
	if _, err := content.ReadBlobLimit(ctx, s, unknown, 2999); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("ReadBlobLimit, unknown size over the limit: %v, want invalid argument", err)
	}
	absent := randomBlob(t, 10)
	if _, err := content.ReadBlob(ctx, s, absent.desc); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("ReadBlob of an absent blob: %v, want not found", err)
	}
	embedded := absent.desc
	embedded.Data = absent.data
	if got, err := content.ReadBlob(ctx, s, embedded); err != nil || !bytes.Equal(got, absent.data) {
		t.Errorf("ReadBlob of embedded data: %q, %v", got, err)
	}
	embedded.Data = []byte("not the content")
	if _, err := content.ReadBlob(ctx, s, embedded); !errors.Is(err, errdefs.ErrDigestMismatch) {
		t.Errorf("ReadBlob of wrong embedded data: %v, want digest mismatch", err)
	}
	var empty ocispec.Descriptor
	if _, err := content.ReadBlob(ctx, s, empty); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("ReadBlob of an empty descriptor: %v, want invalid argument", err)
	}
}
