package engine

import (
	"context"

	"github.com/berth-oci/berth/content"

	digest "github.com/opencontainers/go-digest"
	bolt "go.etcd.io/bbolt"
)

// Usage is the disk use of one kind of object of the store.
type Usage struct {
	Total  int   `json:"total"`
	Active int   `json:"active"`
	Size   int64 `json:"size"`
	// Reclaimable is what removing the inactive ones would free.
	Reclaimable int64 `json:"reclaimable"`
}

// DiskUsage is what `system df` shows.
type DiskUsage struct {
	Images     Usage `json:"images"`
	Containers Usage `json:"containers"`
	Volumes    Usage `json:"volumes"`
	// Blobs is the size of the content store (compressed layers,
	// manifests, configs), which images' sizes do not count.
	Blobs int64 `json:"blobs"`
}

// DiskUsage measures the store: images (their unpacked snapshots, shared
// ones counted once), containers (what they wrote), volumes.
func (e *Engine) DiskUsage(ctx context.Context) (*DiskUsage, error) {
	du := &DiskUsage{}
	var imgs []*Image
	var ctrs []*containerRecord
	snaps := map[digest.Digest]snapshotRecord{}
	err := e.view(func(tx *bolt.Tx) error {
		var err error
		if imgs, err = allImages(tx); err != nil {
			return err
		}
		if ctrs, err = allContainers(tx); err != nil {
			return err
		}
		ls, err := readLive(tx)
		if err == nil {
			snaps = ls.snaps
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	used := map[digest.Digest]bool{}
	for _, c := range ctrs {
		used[c.ImageID] = true
		du.Containers.Total++
		size, _ := dirSize(e.ctrPath(c.ID, ctrUpper))
		du.Containers.Size += size
		if st := e.currentState(c.ID); st.Status == StatusRunning || st.Status == StatusPaused {
			du.Containers.Active++
		} else {
			du.Containers.Reclaimable += size
		}
	}
	activeChains := map[digest.Digest]bool{}
	for _, img := range imgs {
		if used[img.ID] {
			du.Images.Active++
			for _, c := range img.ChainIDs {
				activeChains[c] = true
			}
		}
	}
	du.Images.Total = len(imgs)
	counted := map[digest.Digest]bool{}
	for _, img := range imgs {
		for _, c := range img.ChainIDs {
			if counted[c] {
				continue
			}
			counted[c] = true
			du.Images.Size += snaps[c].Size
			if !activeChains[c] {
				du.Images.Reclaimable += snaps[c].Size
			}
		}
	}
	vols, err := e.Volumes(ctx)
	if err != nil {
		return nil, err
	}
	inUse := map[string]bool{}
	for _, c := range ctrs {
		for _, m := range c.Options.Mounts {
			if m.Type == MountVolume {
				inUse[m.Source] = true
			}
		}
	}
	for _, v := range vols {
		du.Volumes.Total++
		size, _ := dirSize(v.Mountpoint)
		du.Volumes.Size += size
		if inUse[v.Name] {
			du.Volumes.Active++
		} else {
			du.Volumes.Reclaimable += size
		}
	}
	e.content.Walk(ctx, func(i content.Info) error { du.Blobs += i.Size; return nil })
	return du, nil
}

// PruneOptions control Prune.
type PruneOptions struct {
	// All removes every image no container uses, not only dangling ones.
	All bool
	// Volumes removes the volumes no container uses too.
	Volumes bool
}

// Pruned is what Prune removed.
type Pruned struct {
	Containers []string
	Images     Removed
	Volumes    []string
}

// Prune removes the containers that are not running, then the dangling
// (or all unused) images, optionally the unused volumes, and collects.
func (e *Engine) Prune(ctx context.Context, o PruneOptions) (*Pruned, error) {
	out := &Pruned{}
	ctrs, err := e.Containers(ctx, true)
	if err != nil {
		return nil, err
	}
	for _, c := range ctrs {
		if c.State.Status == StatusRunning || c.State.Status == StatusPaused {
			continue
		}
		if err := e.Remove(ctx, c.ID, RemoveOptions{}); err != nil && !errdefsNotFound(err) {
			return out, err
		}
		out.Containers = append(out.Containers, c.ID)
	}
	if out.Images, err = e.PruneImages(ctx, o.All); err != nil {
		return out, err
	}
	if o.Volumes {
		if out.Volumes, err = e.PruneVolumes(ctx); err != nil {
			return out, err
		}
	}
	return out, nil
}
