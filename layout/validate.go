package layout

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/berth-oci/berth/content"
	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/image"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Validate checks the layout, or only the image named name when name is
// not empty: index.json against its schema, and every blob reachable from
// it present, of the size and digest its descriptor says, and (manifests,
// indexes, configs) valid against the image spec's schemas and rules,
// configs consistent with their manifests. It reports every problem it
// finds, one per line, each naming the file.
func (l *Layout) Validate(ctx context.Context, name string) error {
	var roots []ocispec.Descriptor
	if name == "" {
		idx, err := l.Index(ctx)
		if err != nil {
			return err
		}
		roots = idx.Manifests
	} else {
		d, err := l.Resolve(ctx, name)
		if err != nil {
			return err
		}
		roots = []ocispec.Descriptor{d}
	}
	v := &validator{l: l, seen: map[digest.Digest]bool{}}
	for i, d := range roots {
		v.check(ctx, d, fmt.Sprintf("index.json manifests[%d]", i), 0)
	}
	return errors.Join(v.errs...)
}

type validator struct {
	l    *Layout
	seen map[digest.Digest]bool
	errs []error
}

func (v *validator) fail(desc ocispec.Descriptor, from string, err error) {
	v.errs = append(v.errs, fmt.Errorf("%w (referenced by %s)", v.l.blobErr(desc, err), from))
}

// check validates desc and everything below it; from says who refers to it.
func (v *validator) check(ctx context.Context, desc ocispec.Descriptor, from string, depth int) {
	if err := image.ValidateDescriptor(desc); err != nil {
		v.errs = append(v.errs, fmt.Errorf("%s: %w", from, err))
		return
	}
	if v.seen[desc.Digest] {
		return
	}
	v.seen[desc.Digest] = true
	if depth > maxNesting {
		v.fail(desc, from, fmt.Errorf("nested deeper than %d: %w", maxNesting, errdefs.ErrInvalidArgument))
		return
	}
	if image.IsSchema1(desc.MediaType) {
		v.fail(desc, from, image.Validate(desc.MediaType, nil))
		return
	}
	// Other media types are opaque data to verify, not to parse: the spec
	// forbids failing on one that is unknown.
	if !image.IsManifest(desc.MediaType) && !image.IsIndex(desc.MediaType) && !image.IsConfig(desc.MediaType) {
		if err := v.l.verifyStream(ctx, desc); err != nil {
			v.fail(desc, from, err)
		}
		return
	}
	data, err := v.l.readJSON(ctx, desc)
	if err != nil {
		v.errs = append(v.errs, fmt.Errorf("%w (referenced by %s)", err, from))
		return
	}
	if err := image.Validate(desc.MediaType, data); err != nil {
		v.fail(desc, from, err)
		return
	}
	v.checkChildren(ctx, desc, data, depth)
}

func (v *validator) checkChildren(ctx context.Context, desc ocispec.Descriptor, data []byte, depth int) {
	children, err := image.Children(desc.MediaType, data)
	if err != nil {
		v.fail(desc, "its parent", err)
		return
	}
	for i, c := range children {
		v.check(ctx, c, fmt.Sprintf("%s[%d]", desc.Digest, i), depth+1)
	}
	if !image.IsManifest(desc.MediaType) {
		return
	}
	m, err := image.ParseManifest(data)
	if err != nil || !image.IsConfig(m.Config.MediaType) {
		return
	}
	cfg, err := v.l.ReadConfig(ctx, m.Config)
	if err != nil {
		return // reported when the config itself was checked
	}
	if err := image.CheckConfigMatches(m, cfg); err != nil {
		v.fail(desc, "index.json", err)
	}
}

// verifyStream hashes the blob desc without holding it in memory.
func (l *Layout) verifyStream(ctx context.Context, desc ocispec.Descriptor) error {
	ra, err := l.store.ReaderAt(ctx, desc)
	if err != nil {
		return err
	}
	defer ra.Close()
	if ra.Size() != desc.Size {
		return fmt.Errorf("%d bytes, descriptor says %d: %w", ra.Size(), desc.Size, errdefs.ErrDigestMismatch)
	}
	verifier := desc.Digest.Verifier()
	if err := content.Copy(ctx, verifier, content.NewReader(ra)); err != nil && err != io.EOF {
		return fmt.Errorf("read: %w", err)
	}
	if !verifier.Verified() {
		return fmt.Errorf("content does not hash to %s: %w", desc.Digest, errdefs.ErrDigestMismatch)
	}
	return nil
}
