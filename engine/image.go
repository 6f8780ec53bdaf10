package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/berth-oci/berth/content"
	"github.com/berth-oci/berth/errdefs"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	bolt "go.etcd.io/bbolt"
)

// Image is an image of the store: one image manifest for one platform,
// unpacked, with the names it goes by.
type Image struct {
	// ID is the digest of the image's config, as podman and docker name
	// images: the same image pulled from anywhere has the same ID.
	ID digest.Digest `json:"id"`
	// Names are full references (docker.io/library/busybox:latest), sorted.
	// An image without names is dangling.
	Names []string `json:"names,omitempty"`
	// Manifest describes the image manifest, Config its config.
	Manifest ocispec.Descriptor `json:"manifest"`
	Config   ocispec.Descriptor `json:"config"`
	// Index is the index the manifest was chosen from, kept in the store
	// (without the other platforms' manifests); nil when the image was
	// named by its manifest.
	Index *ocispec.Descriptor `json:"index,omitempty"`
	// ChainIDs name the image's snapshots, bottom layer first.
	ChainIDs []digest.Digest `json:"chainIDs"`
	// Size is the size of the layers unpacked, in bytes.
	Size     int64            `json:"size"`
	Platform ocispec.Platform `json:"platform"`
	// Created is when the image was built (from its config), Added when
	// it came into this store.
	Created time.Time `json:"created"`
	Added   time.Time `json:"added"`
}

// Digests are the digests a user may name the image by: its manifest's
// and, when it came from an index, the index's.
func (img *Image) Digests() []digest.Digest {
	out := []digest.Digest{img.Manifest.Digest}
	if img.Index != nil {
		out = append(out, img.Index.Digest)
	}
	return out
}

// Images lists the store's images, newest first.
func (e *Engine) Images(ctx context.Context) ([]*Image, error) {
	var out []*Image
	err := e.view(func(tx *bolt.Tx) error {
		var err error
		out, err = allImages(tx)
		return err
	})
	return out, err
}

func allImages(tx *bolt.Tx) ([]*Image, error) {
	var out []*Image
	err := forEachJSON(tx, bucketImages, func(_ string, data []byte) error {
		img := &Image{}
		if err := json.Unmarshal(data, img); err != nil {
			return fmt.Errorf("image record: %w", err)
		}
		out = append(out, img)
		return nil
	})
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.After(out[j].Created)
		}
		return out[i].ID < out[j].ID
	})
	return out, err
}

func getImage(tx *bolt.Tx, id digest.Digest) (*Image, error) {
	img := &Image{}
	ok, err := getJSON(tx, bucketImages, id.String(), img)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("image %s: %w", id, errdefs.ErrNotFound)
	}
	return img, nil
}

// setNames gives img the names, taking each away from whatever image had
// it, and stores img. Names already on img are kept.
func setNames(tx *bolt.Tx, img *Image, names []string) error {
	names = append(slices.Clone(img.Names), names...)
	slices.Sort(names)
	img.Names = slices.Compact(names)
	for _, n := range img.Names {
		if err := takeName(tx, n, img.ID); err != nil {
			return err
		}
	}
	return putJSON(tx, bucketImages, img.ID.String(), img)
}

// takeName points name at id, removing it from the image that had it.
func takeName(tx *bolt.Tx, name string, id digest.Digest) error {
	names := tx.Bucket(bucketImageNames)
	if old := string(names.Get([]byte(name))); old != "" && old != id.String() {
		prev, err := getImage(tx, digest.Digest(old))
		if err == nil {
			prev.Names = slices.DeleteFunc(prev.Names, func(n string) bool { return n == name })
			if err := putJSON(tx, bucketImages, old, prev); err != nil {
				return err
			}
		}
	}
	return names.Put([]byte(name), []byte(id.String()))
}

// readConfig reads the config of img. It was validated when the image came
// in, so it is only decoded here.
func (e *Engine) readConfig(ctx context.Context, img *Image) (*ocispec.Image, error) {
	data, err := content.ReadBlob(ctx, e.content, img.Config)
	if err != nil {
		return nil, fmt.Errorf("image %s: config: %w", img.ID.Encoded()[:12], err)
	}
	var cfg ocispec.Image
	if err := json.Unmarshal(data, &cfg); err != nil {
		return nil, fmt.Errorf("image %s: config: %v: %w", img.ID.Encoded()[:12], err, errdefs.ErrInvalidArgument)
	}
	return &cfg, nil
}

// ImageConfig returns the config of img.
func (e *Engine) ImageConfig(ctx context.Context, img *Image) (*ocispec.Image, error) {
	return e.readConfig(ctx, img)
}
