package content

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/image"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// GC deletes every blob of s that is not kept and returns the digests it
// deleted, sorted. A blob is kept when it is reachable from roots (see
// Reachable) or from a referrer of a kept manifest or index: a manifest or
// index stored in s whose subject is kept is kept too, with all it reaches,
// repeated until nothing changes, so signatures, SBOMs and attestations
// attached to a kept image survive. When s implements IngestPruner, GC then
// removes unfinished writes that no live writer holds.
//
// With no roots, nothing is kept. GC deletes nothing when the graph from
// roots cannot be read (see Reachable). It must not run while another goroutine or process commits
// blobs that roots do not reach yet (an image being pulled before its tag
// is recorded): callers serialize GC with such writes, as the layout and
// the engine do with their locks.
func GC(ctx context.Context, s Store, roots []ocispec.Descriptor) ([]digest.Digest, error) {
	kept, err := Reachable(ctx, s, roots)
	if err != nil {
		return nil, fmt.Errorf("gc: %w", err)
	}
	referrers, err := findReferrers(ctx, s, kept)
	if err != nil {
		return nil, fmt.Errorf("gc: %w", err)
	}
	if err := keepReferrers(ctx, s, referrers, kept); err != nil {
		return nil, fmt.Errorf("gc: %w", err)
	}
	removed, err := sweep(ctx, s, kept)
	if err != nil {
		return removed, fmt.Errorf("gc: %w", err)
	}
	if pr, ok := s.(IngestPruner); ok {
		if _, err := pr.PruneIngests(ctx); err != nil {
			return removed, fmt.Errorf("gc: %w", err)
		}
	}
	return removed, nil
}

// keepReferrers adds to kept, until a fixpoint, each referrer whose subject
// is kept and everything that referrer reaches.
func keepReferrers(ctx context.Context, p Provider, referrers []referrer, kept map[digest.Digest]ocispec.Descriptor) error {
	for changed := true; changed; {
		changed = false
		for _, r := range referrers {
			if _, ok := kept[r.desc.Digest]; ok {
				continue
			}
			if _, ok := kept[r.subject]; !ok {
				continue
			}
			if err := walkFrom(ctx, p, []ocispec.Descriptor{r.desc}, kept); err != nil {
				return err
			}
			changed = true
		}
	}
	return nil
}

// sweep deletes the blobs of s that kept lacks.
func sweep(ctx context.Context, s Store, kept map[digest.Digest]ocispec.Descriptor) ([]digest.Digest, error) {
	var dead []digest.Digest
	err := s.Walk(ctx, func(info Info) error {
		if _, ok := kept[info.Digest]; !ok {
			dead = append(dead, info.Digest)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(dead)
	removed := dead[:0:0]
	for _, d := range dead {
		if err := s.Delete(ctx, d); err != nil && !errors.Is(err, errdefs.ErrNotFound) {
			return removed, err
		}
		removed = append(removed, d)
	}
	return removed, nil
}

// referrer is a stored manifest or index that names a subject.
type referrer struct {
	desc    ocispec.Descriptor
	subject digest.Digest
}

// findReferrers reads every blob of s outside kept that may be a manifest
// or index and returns those with a subject. The store records no media
// types, so the blob's own mediaType field (or, lacking it, its shape)
// decides; blobs that do not start like JSON are skipped after one small read.
func findReferrers(ctx context.Context, s Store, kept map[digest.Digest]ocispec.Descriptor) ([]referrer, error) {
	var out []referrer
	err := s.Walk(ctx, func(info Info) error {
		if _, ok := kept[info.Digest]; ok || info.Size > MaxManifestSize {
			return nil
		}
		r, ok, err := readReferrer(ctx, s, info)
		if err != nil || !ok {
			return err
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

// manifestHead holds the fields that tell a referrer apart.
type manifestHead struct {
	MediaType string              `json:"mediaType"`
	Config    json.RawMessage     `json:"config"`
	Manifests json.RawMessage     `json:"manifests"`
	Subject   *ocispec.Descriptor `json:"subject"`
}

func readReferrer(ctx context.Context, s Store, info Info) (referrer, bool, error) {
	desc := ocispec.Descriptor{Digest: info.Digest, Size: info.Size}
	if ok, err := looksLikeJSON(ctx, s, desc); err != nil || !ok {
		return referrer{}, false, ignoreGone(err)
	}
	data, err := ReadBlobLimit(ctx, s, desc, MaxManifestSize)
	if err != nil {
		return referrer{}, false, ignoreGone(err)
	}
	var h manifestHead
	if json.Unmarshal(data, &h) != nil || h.Subject == nil || ValidateDigest(h.Subject.Digest) != nil {
		return referrer{}, false, nil
	}
	desc.MediaType = h.MediaType
	if desc.MediaType == "" && h.Manifests != nil {
		desc.MediaType = ocispec.MediaTypeImageIndex
	} else if desc.MediaType == "" && h.Config != nil {
		desc.MediaType = ocispec.MediaTypeImageManifest
	}
	if !image.IsManifest(desc.MediaType) && !image.IsIndex(desc.MediaType) {
		return referrer{}, false, nil
	}
	return referrer{desc: desc, subject: h.Subject.Digest}, true, nil
}

// looksLikeJSON reports whether the blob starts with '{' after white space.
func looksLikeJSON(ctx context.Context, p Provider, desc ocispec.Descriptor) (bool, error) {
	ra, err := p.ReaderAt(ctx, desc)
	if err != nil {
		return false, err
	}
	buf := make([]byte, min(ra.Size(), 64))
	_, err = ra.ReadAt(buf, 0)
	if cerr := ra.Close(); err == nil || err == io.EOF {
		err = cerr
	}
	if err != nil {
		return false, fmt.Errorf("read blob %s: %w", desc.Digest, err)
	}
	buf = bytes.TrimLeft(buf, " \t\r\n")
	return len(buf) > 0 && buf[0] == '{', nil
}

// ignoreGone treats a blob deleted meanwhile, or one that does not match
// its digest, as not a referrer: neither can vouch for a subject.
func ignoreGone(err error) error {
	if errors.Is(err, errdefs.ErrNotFound) || errors.Is(err, errdefs.ErrDigestMismatch) {
		return nil
	}
	return err
}
