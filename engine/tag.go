package engine

import (
	"context"
	"fmt"
	"slices"

	"github.com/berth-oci/berth/errdefs"
	"github.com/distribution/reference"
	bolt "go.etcd.io/bbolt"
)

// Tag gives the image src (any name LookupImage takes) the name name,
// taking it from the image that had it.
func (e *Engine) Tag(ctx context.Context, src, name string) (*Image, error) {
	full, err := NormalizeName(name)
	if err != nil {
		return nil, err
	}
	if named, _ := reference.ParseNormalizedNamed(name); named != nil {
		if _, ok := named.(reference.Digested); ok {
			return nil, fmt.Errorf("tag %s: a name with a digest cannot be given: %w", name, errdefs.ErrInvalidArgument)
		}
	}
	var img *Image
	err = e.update(func(tx *bolt.Tx) error {
		if img, err = lookupImage(tx, src); err != nil {
			return err
		}
		return setNames(tx, img, []string{full})
	})
	return img, err
}

// Untag takes the name name from its image. The image stays, dangling when
// that was its last name.
func (e *Engine) Untag(ctx context.Context, name string) error {
	full, err := NormalizeName(name)
	if err != nil {
		return err
	}
	return e.update(func(tx *bolt.Tx) error { return untag(tx, full) })
}

func untag(tx *bolt.Tx, full string) error {
	id := tx.Bucket(bucketImageNames).Get([]byte(full))
	if id == nil {
		return fmt.Errorf("untag %s: no image has that name: %w", full, errdefs.ErrNotFound)
	}
	img, err := getImage(tx, digestOf(id))
	if err != nil {
		return err
	}
	img.Names = slices.DeleteFunc(img.Names, func(n string) bool { return n == full })
	if err := tx.Bucket(bucketImageNames).Delete([]byte(full)); err != nil {
		return err
	}
	return putJSON(tx, bucketImages, img.ID.String(), img)
}
