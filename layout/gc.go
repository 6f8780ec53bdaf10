package layout

import (
	"context"

	"github.com/berth-oci/berth/content"
	digest "github.com/opencontainers/go-digest"
)

// GC removes the blobs that no entry of index.json reaches (keeping the
// referrers of reachable manifests, see content.GC) and the leftovers of
// writers that died. It holds the layout lock, so a concurrent Tag cannot
// name a blob while it is being judged unreachable.
func (l *Layout) GC(ctx context.Context) ([]digest.Digest, error) {
	var removed []digest.Digest
	err := l.withLock(func() error {
		idx, err := l.Index(ctx)
		if err != nil {
			return err
		}
		removed, err = content.GC(ctx, l.store, idx.Manifests)
		return err
	})
	return removed, err
}
