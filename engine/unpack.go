package engine

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"github.com/berth-oci/berth/bundle"
	"github.com/berth-oci/berth/content"
	"github.com/berth-oci/berth/engine/snapshot"
	"github.com/berth-oci/berth/image"
	"github.com/berth-oci/berth/layer"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	bolt "go.etcd.io/bbolt"
	"golang.org/x/sync/errgroup"
)

// snapshotRecord is what the database knows of a snapshot.
type snapshotRecord struct {
	Parent  digest.Digest `json:"parent,omitempty"`
	DiffID  digest.Digest `json:"diffID"`
	Size    int64         `json:"size"`
	Created time.Time     `json:"created"`
}

// addImage records the image manifest desc, whose blobs are in the store,
// under names: it reads and validates the manifest and config, unpacks the
// layers that have no snapshot yet, and commits the snapshots and the image
// in one transaction. The caller holds the store lock shared.
func (e *Engine) addImage(ctx context.Context, desc ocispec.Descriptor, index *ocispec.Descriptor, names []string) (*Image, error) {
	bi, err := bundle.ReadImage(ctx, e.content, desc)
	if err != nil {
		return nil, err
	}
	img := &Image{
		ID:       bi.Manifest.Config.Digest,
		Manifest: desc,
		Config:   bi.Manifest.Config,
		Index:    index,
		ChainIDs: snapshot.ChainIDs(bi.Config.RootFS.DiffIDs),
		Platform: image.Normalize(bi.Config.Platform),
		Added:    time.Now().UTC(),
	}
	img.Manifest.Platform = &img.Platform
	if bi.Config.Created != nil {
		img.Created = bi.Config.Created.UTC()
	}
	made, err := e.unpack(ctx, bi.Manifest, bi.Config.RootFS.DiffIDs, img.ChainIDs)
	if err != nil {
		return nil, err
	}
	err = e.update(func(tx *bolt.Tx) error {
		if err := putSnapshots(tx, made); err != nil {
			return err
		}
		if old, err := getImage(tx, img.ID); err == nil {
			img.Names, img.Added = old.Names, old.Added
		}
		if img.Size, err = chainSize(tx, img.ChainIDs); err != nil {
			return err
		}
		return setNames(tx, img, names)
	})
	if err != nil {
		return nil, fmt.Errorf("record image %s: %w", img.ID, err)
	}
	return img, nil
}

func putSnapshots(tx *bolt.Tx, made map[digest.Digest]snapshotRecord) error {
	for chain, rec := range made {
		if err := putJSON(tx, bucketSnapshots, chain.String(), rec); err != nil {
			return err
		}
	}
	return nil
}

// chainSize adds up the sizes of the recorded snapshots of chain; each
// must be recorded.
func chainSize(tx *bolt.Tx, chain []digest.Digest) (int64, error) {
	var total int64
	for _, c := range chain {
		var rec snapshotRecord
		ok, err := getJSON(tx, bucketSnapshots, c.String(), &rec)
		if err != nil {
			return 0, err
		}
		if !ok {
			return 0, fmt.Errorf("snapshot %s is not recorded", c)
		}
		total += rec.Size
	}
	return total, nil
}

// unpack makes the snapshots of chain that are missing on disk or in the
// database. Each snapshot is one layer alone, so they are applied in
// parallel. It returns the records of the snapshots to commit.
func (e *Engine) unpack(ctx context.Context, m *ocispec.Manifest, diffIDs, chain []digest.Digest) (map[digest.Digest]snapshotRecord, error) {
	recorded := map[digest.Digest]bool{}
	err := e.view(func(tx *bolt.Tx) error {
		for _, c := range chain {
			recorded[c] = tx.Bucket(bucketSnapshots).Get([]byte(c.String())) != nil
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	made := map[digest.Digest]snapshotRecord{}
	results := make([]snapshotRecord, len(chain))
	need := make([]bool, len(chain))
	// Layers are applied side by side; one that needs a directory it does
	// not carry waits for the layers below it, to make it as they show it.
	// They were started before it (g.Go blocks at the limit), so the wait
	// ends.
	done := make([]chan struct{}, len(chain))
	failed := make([]bool, len(chain))
	lowers := func(i int) func() ([]string, error) {
		return func() ([]string, error) {
			var dirs []string
			for j := i - 1; j >= 0; j-- {
				if done[j] != nil {
					<-done[j]
					if failed[j] {
						return nil, fmt.Errorf("layer %d below failed", j+1)
					}
				}
				dirs = append(dirs, e.snaps.Path(chain[j]))
			}
			return dirs, nil
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, c := range chain {
		if recorded[c] && e.snaps.Exists(c) {
			continue
		}
		need[i] = true
		done[i] = make(chan struct{})
		g.Go(func() error {
			defer close(done[i])
			rec, err := e.unpackLayer(gctx, m.Layers[i], diffIDs[i], c, lowers(i))
			if i > 0 {
				rec.Parent = chain[i-1]
			}
			results[i], failed[i] = rec, err != nil
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for i, c := range chain {
		if need[i] {
			made[c] = results[i]
		}
	}
	return made, nil
}

// unpackLayer applies one layer blob into the snapshot chain.
func (e *Engine) unpackLayer(ctx context.Context, desc ocispec.Descriptor, diffID, chain digest.Digest, lowers func() ([]string, error)) (snapshotRecord, error) {
	rec := snapshotRecord{DiffID: diffID, Created: time.Now().UTC()}
	created, err := e.snaps.Create(ctx, chain, func(dir string) error {
		ra, err := e.content.ReaderAt(ctx, desc)
		if err != nil {
			return err
		}
		defer ra.Close()
		limit, err := layer.SpaceLimit(dir)
		if err != nil {
			return err
		}
		res, err := layer.Apply(ctx, dir, content.NewReader(ra), layer.ApplyOptions{
			MediaType: desc.MediaType, Digest: desc.Digest, DiffID: diffID, Format: layer.Overlay, MaxSize: limit,
			LowerDirsFunc: lowers,
			Warn:          func(msg string) { e.warn("layer %s: %s", desc.Digest, msg) },
		})
		rec.Size = res.Size
		return err
	})
	if err == nil && !created {
		// Another process made it; its size is its tar's, which was not read here.
		rec.Size, err = dirSize(e.snaps.Path(chain))
	}
	return rec, err
}
