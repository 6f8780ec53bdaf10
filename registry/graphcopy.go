package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/berth-oci/berth/content"
	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/image"
	"github.com/berth-oci/berth/internal/progress"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"
)

// CopyGraph copies root and everything it references from src into dst:
// the blobs of a manifest in parallel, children before parents, each
// verified by dst as it is written and skipped when dst has it. A
// manifest's subject is not copied. Non-distributable layers that src
// lacks are left out, as registries leave them out.
func CopyGraph(ctx context.Context, src content.Provider, dst content.Ingester, root ocispec.Descriptor, opts CopyOptions) error {
	g := &graphCopy{src: src, dst: dst, progress: progress.OrDiscard(opts.Progress), done: map[digest.Digest]bool{}}
	g.limit = opts.Concurrency
	if g.limit <= 0 {
		g.limit = 4
	}
	return g.node(ctx, root, 0)
}

type graphCopy struct {
	src      content.Provider
	dst      content.Ingester
	progress progress.Reporter
	limit    int
	done     map[digest.Digest]bool // touched by node only, which is sequential
}

// node copies a manifest or index after its children.
func (g *graphCopy) node(ctx context.Context, desc ocispec.Descriptor, depth int) error {
	if depth > 8 {
		return fmt.Errorf("copy %s: indexes nested deeper than 8: %w", desc.Digest, errdefs.ErrInvalidArgument)
	}
	if g.done[desc.Digest] {
		return nil
	}
	data, err := content.ReadBlobLimit(ctx, g.src, desc, content.MaxManifestSize)
	if err != nil {
		return fmt.Errorf("copy %s %s: %w", desc.MediaType, desc.Digest, err)
	}
	children, err := copyChildren(desc.MediaType, data)
	if err != nil {
		return fmt.Errorf("copy %s %s: %w", desc.MediaType, desc.Digest, err)
	}
	eg, ectx := errgroup.WithContext(ctx)
	eg.SetLimit(g.limit)
	for _, c := range children {
		switch {
		case g.done[c.Digest]:
		case image.IsManifest(c.MediaType) || image.IsIndex(c.MediaType):
			// Nested documents go one at a time; their blobs in parallel.
			if err := g.node(ctx, c, depth+1); err != nil {
				return err
			}
		default:
			g.done[c.Digest] = true
			eg.Go(func() error { return g.blob(ectx, c, blobLabel(desc, c)) })
		}
	}
	if err := eg.Wait(); err != nil {
		return err
	}
	if err := g.blob(ctx, desc, "manifest"); err != nil {
		return err
	}
	g.done[desc.Digest] = true
	return nil
}

// blob copies one blob, reporting its progress.
func (g *graphCopy) blob(ctx context.Context, desc ocispec.Descriptor, label string) error {
	ev := func(k progress.Kind, cur int64, err error) {
		g.progress.Report(progress.Event{Kind: k, ID: desc.Digest.String(), Label: label, Total: desc.Size, Current: cur, Err: err})
	}
	if image.IsNonDistributable(desc.MediaType) {
		if _, err := g.src.Info(ctx, desc.Digest); errdefs.IsNotFound(err) {
			ev(progress.Skipped, 0, nil)
			return nil
		}
	}
	w, err := g.dst.Writer(ctx, desc)
	if errors.Is(err, errdefs.ErrAlreadyExists) {
		ev(progress.Skipped, desc.Size, nil)
		return nil
	}
	if err != nil {
		return fmt.Errorf("copy blob %s: %w", desc.Digest, err)
	}
	err = g.write(ctx, w, desc, ev)
	if cerr := w.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("copy blob %s: %w", desc.Digest, cerr)
	}
	if err != nil {
		ev(progress.Failed, 0, err)
		return err
	}
	ev(progress.Done, desc.Size, nil)
	return nil
}

func (g *graphCopy) write(ctx context.Context, w content.Writer, desc ocispec.Descriptor, ev func(progress.Kind, int64, error)) error {
	ra, err := g.src.ReaderAt(ctx, desc)
	if err != nil {
		return fmt.Errorf("copy blob %s: %w", desc.Digest, err)
	}
	ev(progress.Start, 0, nil)
	err = content.Copy(ctx, &reportingWriter{w: w, report: func(n int64) { ev(progress.Bytes, n, nil) }}, content.NewReader(ra))
	if cerr := ra.Close(); cerr != nil && err == nil {
		err = cerr
	}
	if err == nil {
		err = w.Commit(ctx)
	}
	if err != nil {
		return fmt.Errorf("copy blob %s: %w", desc.Digest, err)
	}
	return nil
}

// copyChildren is image.Children without the subject: a referrer is
// copied without the manifest it refers to, as registries store it.
func copyChildren(mt string, data []byte) ([]ocispec.Descriptor, error) {
	children, err := image.Children(mt, data)
	if err != nil || len(children) == 0 {
		return children, err
	}
	var doc struct {
		Subject *ocispec.Descriptor `json:"subject"`
	}
	if json.Unmarshal(data, &doc) == nil && doc.Subject != nil {
		last := children[len(children)-1]
		if last.Digest == doc.Subject.Digest {
			children = children[:len(children)-1]
		}
	}
	return children, nil
}

// blobLabel names a child for progress: config or layer of a manifest.
func blobLabel(parent, child ocispec.Descriptor) string {
	if image.IsConfig(child.MediaType) || child.MediaType == ocispec.MediaTypeEmptyJSON {
		return "config"
	}
	if image.IsManifest(parent.MediaType) {
		return "layer"
	}
	return "blob"
}

// reportingWriter passes writes on and reports the running total every
// reportEvery bytes.
type reportingWriter struct {
	w       content.Writer
	report  func(int64)
	n, last int64
}

func (r *reportingWriter) Write(p []byte) (int, error) {
	n, err := r.w.Write(p)
	r.n += int64(n)
	if r.n-r.last >= reportEvery {
		r.report(r.n)
		r.last = r.n
	}
	return n, err
}
