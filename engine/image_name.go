package engine

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/berth-oci/berth/errdefs"
	"github.com/distribution/reference"
	digest "github.com/opencontainers/go-digest"
	bolt "go.etcd.io/bbolt"
)

// NormalizeName turns a user's image name into the full reference the
// store keys names by: "busybox" is docker.io/library/busybox:latest, a
// name without a tag gets "latest", a name with a digest keeps it.
func NormalizeName(s string) (string, error) {
	named, err := reference.ParseNormalizedNamed(s)
	if err != nil {
		return "", fmt.Errorf("image name %q: %v: %w", s, err, errdefs.ErrInvalidArgument)
	}
	return reference.TagNameOnly(named).String(), nil
}

// hasDomain reports whether the first component of a name is a registry
// (has a dot or a port, or is localhost), as docker decides.
func hasDomain(s string) bool {
	first, _, ok := strings.Cut(s, "/")
	return ok && (strings.ContainsAny(first, ".:") || first == "localhost")
}

var hexPrefix = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[a-f0-9]{3,64}$`)
})

// LookupImage finds the image a user names: by name (short names are
// tried as docker.io/library/…, then as localhost/…, then as the only
// stored name ending so), by digest reference (name@sha256:…), by ID
// (sha256:… or hex), or by a unique prefix of the ID.
func (e *Engine) LookupImage(ctx context.Context, s string) (*Image, error) {
	var img *Image
	err := e.view(func(tx *bolt.Tx) error {
		var err error
		img, err = lookupImage(tx, s)
		return err
	})
	return img, err
}

func lookupImage(tx *bolt.Tx, s string) (*Image, error) {
	if s == "" {
		return nil, fmt.Errorf("image name: empty: %w", errdefs.ErrInvalidArgument)
	}
	id := strings.TrimPrefix(s, "sha256:")
	if len(id) == 64 && hexPrefix().MatchString(id) {
		if img, err := getImage(tx, digest.NewDigestFromEncoded(digest.SHA256, id)); err == nil {
			return img, nil
		}
	}
	if img, err := lookupByName(tx, s); err == nil || !errdefsNotFound(err) {
		return img, err
	}
	if hexPrefix().MatchString(s) {
		if img, err := lookupByPrefix(tx, s); err == nil || !errdefsNotFound(err) {
			return img, err
		}
	}
	return nil, fmt.Errorf("image %q: no such image in the store: %w", s, errdefs.ErrNotFound)
}

func lookupByName(tx *bolt.Tx, s string) (*Image, error) {
	full, err := NormalizeName(s)
	if err != nil {
		return nil, fmt.Errorf("image %q: %w", s, errdefs.ErrNotFound)
	}
	if named, err := reference.ParseNormalizedNamed(s); err == nil {
		if d, ok := named.(reference.Digested); ok {
			if img, err := lookupByDigest(tx, d.Digest()); err == nil {
				return img, nil
			}
		}
	}
	candidates := []string{full}
	if !hasDomain(s) {
		candidates = append(candidates, "localhost/"+strings.TrimPrefix(full, "docker.io/library/"))
	}
	for _, c := range candidates {
		if id := tx.Bucket(bucketImageNames).Get([]byte(c)); id != nil {
			return getImage(tx, digest.Digest(id))
		}
	}
	if hasDomain(s) {
		return nil, fmt.Errorf("image %q: %w", s, errdefs.ErrNotFound)
	}
	return lookupBySuffix(tx, "/"+strings.TrimPrefix(full, "docker.io/library/"), s)
}

// lookupBySuffix finds the one name ending in suffix.
func lookupBySuffix(tx *bolt.Tx, suffix, s string) (*Image, error) {
	var found []string
	err := tx.Bucket(bucketImageNames).ForEach(func(k, v []byte) error {
		if strings.HasSuffix(string(k), suffix) {
			found = append(found, string(v))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	switch {
	case len(found) == 0:
		return nil, fmt.Errorf("image %q: %w", s, errdefs.ErrNotFound)
	case len(found) > 1 && !allSame(found):
		return nil, fmt.Errorf("image %q: the short name matches several images: give the full name: %w", s, errdefs.ErrInvalidArgument)
	}
	return getImage(tx, digest.Digest(found[0]))
}

func lookupByDigest(tx *bolt.Tx, d digest.Digest) (*Image, error) {
	imgs, err := allImages(tx)
	if err != nil {
		return nil, err
	}
	for _, img := range imgs {
		for _, have := range img.Digests() {
			if have == d {
				return img, nil
			}
		}
	}
	return nil, fmt.Errorf("image %s: %w", d, errdefs.ErrNotFound)
}

func lookupByPrefix(tx *bolt.Tx, prefix string) (*Image, error) {
	var found []string
	c := tx.Bucket(bucketImages).Cursor()
	p := []byte("sha256:" + prefix)
	for k, _ := c.Seek(p); k != nil && strings.HasPrefix(string(k), string(p)); k, _ = c.Next() {
		found = append(found, string(k))
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("image %q: %w", prefix, errdefs.ErrNotFound)
	case 1:
		return getImage(tx, digest.Digest(found[0]))
	}
	return nil, fmt.Errorf("image ID prefix %q is ambiguous (%d images): %w", prefix, len(found), errdefs.ErrInvalidArgument)
}

func allSame(ss []string) bool {
	for _, s := range ss {
		if s != ss[0] {
			return false
		}
	}
	return true
}
