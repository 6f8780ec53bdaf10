package testsuite

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/berth-oci/berth/content"
	"github.com/berth-oci/berth/errdefs"
	digest "github.com/opencontainers/go-digest"
)

// Many writers of one blob, interleaved: every one either learns the blob
// exists or commits successfully, and one whole blob results.
func testConcurrentSameBlob(t *testing.T, s content.Store) {
	b := randomBlob(t, 64<<10)
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w, err := s.Writer(ctx, b.desc)
			if errors.Is(err, errdefs.ErrAlreadyExists) {
				return
			}
			if err != nil {
				t.Error(err)
				return
			}
			defer func() {
				if err := w.Close(); err != nil {
					t.Error(err)
				}
			}()
			for off := 0; off < len(b.data); off += 4096 {
				if _, err := w.Write(b.data[off : off+4096]); err != nil {
					t.Error(err)
					return
				}
			}
			if err := w.Commit(ctx); err != nil {
				t.Errorf("concurrent commit: %v", err)
			}
		}()
	}
	wg.Wait()
	mustHave(t, s, b)
	if got := walkAll(t, s); len(got) != 1 {
		t.Errorf("walk = %v, want one blob", got)
	}
	noLeftovers(t, s)
}

// Writers of different blobs, readers and Walk at once.
func testConcurrentDifferentBlobs(t *testing.T, s content.Store) {
	blobs := make([]blob, 32)
	for i := range blobs {
		blobs[i] = randomBlob(t, 1000+i*100)
	}
	var wg sync.WaitGroup
	for _, b := range blobs {
		wg.Add(2)
		go func() {
			defer wg.Done()
			if err := content.WriteBlob(context.Background(), s, b.desc, bytes.NewReader(b.data)); err != nil {
				t.Error(err)
			}
		}()
		go func() {
			defer wg.Done()
			err := s.Walk(context.Background(), func(i content.Info) error {
				if i.Size <= 0 {
					t.Errorf("walk saw %s with size %d", i.Digest, i.Size)
				}
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	var want []digest.Digest
	for _, b := range blobs {
		mustHave(t, s, b)
		want = append(want, b.desc.Digest)
	}
	slices.Sort(want)
	if got := walkAll(t, s); !slices.Equal(got, want) {
		t.Errorf("walk = %d blobs, want the %d written", len(got), len(want))
	}
}
