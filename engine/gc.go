package engine

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/berth-oci/berth/content"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	bolt "go.etcd.io/bbolt"
)

// Collected is what a collection removed.
type Collected struct {
	Blobs     []digest.Digest
	Snapshots []digest.Digest
	// Reclaimed is the bytes freed (blob sizes plus snapshot sizes).
	Reclaimed int64
}

// liveSet is what the records keep alive: the roots of the blob graph and
// the snapshots images and containers need.
type liveSet struct {
	roots  []ocispec.Descriptor
	chains map[digest.Digest]bool
	snaps  map[digest.Digest]snapshotRecord
}

func readLive(tx *bolt.Tx) (*liveSet, error) {
	ls := &liveSet{chains: map[digest.Digest]bool{}, snaps: map[digest.Digest]snapshotRecord{}}
	imgs, err := allImages(tx)
	if err != nil {
		return nil, err
	}
	for _, img := range imgs {
		ls.roots = append(ls.roots, img.Manifest)
		if img.Index != nil {
			ls.roots = append(ls.roots, *img.Index)
		}
		for _, c := range img.ChainIDs {
			ls.chains[c] = true
		}
	}
	ctrs, err := allContainers(tx)
	if err != nil {
		return nil, err
	}
	for _, c := range ctrs {
		for _, ch := range c.ChainIDs {
			ls.chains[ch] = true
		}
	}
	err = forEachJSON(tx, bucketSnapshots, func(k string, data []byte) error {
		var rec snapshotRecord
		if err := json.Unmarshal(data, &rec); err != nil {
			return fmt.Errorf("snapshot record %s: %w", k, err)
		}
		ls.snaps[digest.Digest(k)] = rec
		return nil
	})
	return ls, err
}

// collect removes the blobs no image reaches and the snapshots no image or
// container needs. It holds the store lock exclusive, so no pull or create
// is between writing data and recording it.
func (e *Engine) collect(ctx context.Context) (Collected, error) {
	lk, err := e.collectStore()
	if err != nil {
		return Collected{}, err
	}
	defer lk.Unlock()
	return e.collectLocked(ctx)
}

// collectLocked is collect for a caller holding the collection lock.
func (e *Engine) collectLocked(ctx context.Context) (Collected, error) {
	var out Collected
	var err error
	var ls *liveSet
	if err := e.view(func(tx *bolt.Tx) error { ls, err = readLive(tx); return err }); err != nil {
		return out, err
	}
	sizes := map[digest.Digest]int64{}
	e.content.Walk(ctx, func(i content.Info) error { sizes[i.Digest] = i.Size; return nil })
	if out.Blobs, err = content.GC(ctx, e.content, ls.roots); err != nil {
		return out, err
	}
	for _, d := range out.Blobs {
		out.Reclaimed += sizes[d]
	}
	onDisk, err := e.snaps.List()
	if err != nil {
		return out, err
	}
	dead := map[digest.Digest]bool{}
	for c := range ls.snaps {
		if !ls.chains[c] {
			dead[c] = true
		}
	}
	for _, c := range onDisk {
		if !ls.chains[c] {
			dead[c] = true
		}
	}
	// Records go first: a crash between the two leaves a directory without
	// a record, which the next collection removes, never a record without
	// its directory.
	err = e.update(func(tx *bolt.Tx) error {
		for c := range dead {
			if err := tx.Bucket(bucketSnapshots).Delete([]byte(c.String())); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return out, err
	}
	for c := range dead {
		if err := e.snaps.Remove(c); err != nil {
			return out, err
		}
		out.Snapshots = append(out.Snapshots, c)
		out.Reclaimed += ls.snaps[c].Size
	}
	return out, e.snaps.PruneLocks()
}
