package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/berth-oci/berth/errdefs"
	digest "github.com/opencontainers/go-digest"
	bolt "go.etcd.io/bbolt"
)

// Removed reports what RemoveImage and PruneImages did.
type Removed struct {
	Untagged []string
	Deleted  []digest.Digest
	// Containers lists the containers removed with their image (force).
	Containers []string
	Reclaimed  int64
}

// RemoveImage removes what s names, as podman rmi does: a name is taken
// off its image, and the image is deleted when that was its last name; an
// image named by ID loses all its names (refused without force when it has
// several). An image that containers use is kept unless force, which
// removes those containers first. Blobs and snapshots no image needs any
// more are then collected.
func (e *Engine) RemoveImage(ctx context.Context, s string, force bool) (Removed, error) {
	var out Removed
	img, err := e.LookupImage(ctx, s)
	if err != nil {
		return out, err
	}
	full, _ := NormalizeName(s)
	byName := slices.Contains(img.Names, full)
	if !byName && len(img.Names) > 1 && !force {
		return out, fmt.Errorf("image %s has several names (%s): remove them one by one or force: %w", shortID(img.ID), strings.Join(img.Names, ", "), errdefs.ErrFailedPrecondition)
	}
	if byName && len(img.Names) > 1 {
		out.Untagged = []string{full}
		return out, e.update(func(tx *bolt.Tx) error { return untag(tx, full) })
	}
	users, err := e.containersUsing(img.ID)
	if err != nil {
		return out, err
	}
	if len(users) > 0 && !force {
		return out, fmt.Errorf("image %s is in use by container %.12s: remove it first or force: %w", shortID(img.ID), users[0], errdefs.ErrFailedPrecondition)
	}
	for _, id := range users {
		if err := e.Remove(ctx, id, RemoveOptions{Force: true}); err != nil && !errdefsNotFound(err) {
			return out, err
		}
		out.Containers = append(out.Containers, id)
	}
	if err := e.deleteImageRecords(img.ID); err != nil {
		return out, err
	}
	out.Untagged, out.Deleted = img.Names, []digest.Digest{img.ID}
	c, err := e.collect(ctx)
	out.Reclaimed = c.Reclaimed
	return out, err
}

// deleteImageRecords removes the image id and its names.
func (e *Engine) deleteImageRecords(ids ...digest.Digest) error {
	return e.update(func(tx *bolt.Tx) error {
		for _, id := range ids {
			img, err := getImage(tx, id)
			if err != nil {
				continue
			}
			for _, n := range img.Names {
				if string(tx.Bucket(bucketImageNames).Get([]byte(n))) == id.String() {
					if err := tx.Bucket(bucketImageNames).Delete([]byte(n)); err != nil {
						return err
					}
				}
			}
			if err := tx.Bucket(bucketImages).Delete([]byte(id.String())); err != nil {
				return err
			}
		}
		return nil
	})
}

// containersUsing lists the containers created from image id.
func (e *Engine) containersUsing(id digest.Digest) ([]string, error) {
	var out []string
	err := e.view(func(tx *bolt.Tx) error {
		ctrs, err := allContainers(tx)
		for _, c := range ctrs {
			if c.ImageID == id {
				out = append(out, c.ID)
			}
		}
		return err
	})
	return out, err
}

// PruneImages deletes the dangling images (no name) that no container
// uses, or with all every image no container uses, then collects.
func (e *Engine) PruneImages(ctx context.Context, all bool) (Removed, error) {
	var out Removed
	var doomed []digest.Digest
	err := e.view(func(tx *bolt.Tx) error {
		imgs, err := allImages(tx)
		if err != nil {
			return err
		}
		ctrs, err := allContainers(tx)
		if err != nil {
			return err
		}
		used := map[digest.Digest]bool{}
		for _, c := range ctrs {
			used[c.ImageID] = true
		}
		for _, img := range imgs {
			if !used[img.ID] && (all || len(img.Names) == 0) {
				doomed = append(doomed, img.ID)
				out.Untagged = append(out.Untagged, img.Names...)
			}
		}
		return nil
	})
	if err != nil {
		return out, err
	}
	if err := e.deleteImageRecords(doomed...); err != nil {
		return out, err
	}
	out.Deleted = doomed
	c, err := e.collect(ctx)
	out.Reclaimed = c.Reclaimed
	return out, err
}

func shortID(d digest.Digest) string {
	s := d.Encoded()
	if len(s) > 12 {
		return s[:12]
	}
	return s
}
