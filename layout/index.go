package layout

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/image"
	"github.com/berth-oci/berth/internal/atomicfile"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func emptyIndex() *ocispec.Index {
	return &ocispec.Index{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageIndex,
		Manifests: []ocispec.Descriptor{},
	}
}

// Index returns the layout's index.json, parsed and validated.
func (l *Layout) Index(ctx context.Context) (*ocispec.Index, error) {
	path := filepath.Join(l.root, IndexFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, notFound(err))
	}
	idx, err := image.ParseIndex(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return idx, nil
}

func (l *Layout) writeIndex(idx *ocispec.Index) error {
	if idx.Manifests == nil {
		idx.Manifests = []ocispec.Descriptor{}
	}
	data, err := json.Marshal(idx)
	if err != nil {
		return fmt.Errorf("encode index.json: %w", err)
	}
	return atomicfile.WriteFile(filepath.Join(l.root, IndexFile), data, 0o644)
}

// updateIndex reads index.json, lets fn change it and writes it back, all
// under the layout lock. Nothing is written when fn fails.
func (l *Layout) updateIndex(ctx context.Context, fn func(*ocispec.Index) error) error {
	return l.withLock(func() error {
		idx, err := l.Index(ctx)
		if err != nil {
			return err
		}
		if err := fn(idx); err != nil {
			return err
		}
		return l.writeIndex(idx)
	})
}

// RefName is the name of an index.json entry, "" when it has none.
func RefName(d ocispec.Descriptor) string { return d.Annotations[ocispec.AnnotationRefName] }

// Image is a named entry of index.json.
type Image struct {
	Name       string
	Descriptor ocispec.Descriptor
}

// Images lists the entries of index.json sorted by name; unnamed entries
// come last with an empty name.
func (l *Layout) Images(ctx context.Context) ([]Image, error) {
	idx, err := l.Index(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Image, 0, len(idx.Manifests))
	for _, d := range idx.Manifests {
		out = append(out, Image{Name: RefName(d), Descriptor: d})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if (out[i].Name == "") != (out[j].Name == "") {
			return out[j].Name == ""
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

// Resolve finds the descriptor named name: an entry of index.json whose
// ref.name is name, or else an entry of an index nested below it. An empty
// name selects the only entry of index.json, and is an error when there are
// several. The blob itself is not read or checked.
func (l *Layout) Resolve(ctx context.Context, name string) (ocispec.Descriptor, error) {
	idx, err := l.Index(ctx)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	if name == "" {
		return l.only(idx)
	}
	for _, d := range idx.Manifests {
		if RefName(d) == name {
			return d, nil
		}
	}
	if d, ok, err := l.resolveNested(ctx, idx.Manifests, name, 0); err != nil || ok {
		return d, err
	}
	return ocispec.Descriptor{}, fmt.Errorf("layout %s: no image named %q (have %s): %w", l.root, name, names(idx), errdefs.ErrNotFound)
}

func (l *Layout) only(idx *ocispec.Index) (ocispec.Descriptor, error) {
	switch len(idx.Manifests) {
	case 1:
		return idx.Manifests[0], nil
	case 0:
		return ocispec.Descriptor{}, fmt.Errorf("layout %s: holds no images: %w", l.root, errdefs.ErrNotFound)
	}
	return ocispec.Descriptor{}, fmt.Errorf("layout %s: holds %d images, name one (%s): %w", l.root, len(idx.Manifests), names(idx), errdefs.ErrInvalidArgument)
}

// maxNesting bounds the walk through nested indexes, which a hostile layout
// could make cyclic.
const maxNesting = 8

func (l *Layout) resolveNested(ctx context.Context, descs []ocispec.Descriptor, name string, depth int) (ocispec.Descriptor, bool, error) {
	if depth >= maxNesting {
		return ocispec.Descriptor{}, false, nil
	}
	for _, d := range descs {
		if !image.IsIndex(d.MediaType) {
			continue
		}
		idx, err := l.ReadIndex(ctx, d)
		if errdefs.IsNotFound(err) {
			continue
		}
		if err != nil {
			return ocispec.Descriptor{}, false, err
		}
		for _, c := range idx.Manifests {
			if RefName(c) == name {
				return c, true, nil
			}
		}
		if c, ok, err := l.resolveNested(ctx, idx.Manifests, name, depth+1); err != nil || ok {
			return c, ok, err
		}
	}
	return ocispec.Descriptor{}, false, nil
}

func names(idx *ocispec.Index) string {
	var ns []string
	for _, d := range idx.Manifests {
		if n := RefName(d); n != "" {
			ns = append(ns, fmt.Sprintf("%q", n))
		}
	}
	if len(ns) == 0 {
		return "no named images"
	}
	sort.Strings(ns)
	return fmt.Sprint(ns)
}

// Tag names desc name in index.json, replacing whatever had that name. The
// blob desc must be in the layout already.
func (l *Layout) Tag(ctx context.Context, desc ocispec.Descriptor, name string) error {
	if err := ValidateRefName(name); err != nil {
		return err
	}
	if _, err := l.store.Info(ctx, desc.Digest); err != nil {
		return fmt.Errorf("tag %s as %q: %w", desc.Digest, name, err)
	}
	return l.updateIndex(ctx, func(idx *ocispec.Index) error {
		kept := idx.Manifests[:0]
		for _, d := range idx.Manifests {
			if RefName(d) != name {
				kept = append(kept, d)
			}
		}
		named := desc
		named.Annotations = map[string]string{}
		for k, v := range desc.Annotations {
			named.Annotations[k] = v
		}
		named.Annotations[ocispec.AnnotationRefName] = name
		idx.Manifests = append(kept, named)
		return nil
	})
}

// Untag removes the entry named name from index.json. The blobs stay until
// a GC finds them unreachable.
func (l *Layout) Untag(ctx context.Context, name string) error {
	return l.updateIndex(ctx, func(idx *ocispec.Index) error {
		kept := idx.Manifests[:0]
		for _, d := range idx.Manifests {
			if RefName(d) != name {
				kept = append(kept, d)
			}
		}
		if len(kept) == len(idx.Manifests) {
			return fmt.Errorf("layout %s: no image named %q: %w", l.root, name, errdefs.ErrNotFound)
		}
		idx.Manifests = kept
		return nil
	})
}

// Add records desc in index.json without a name, unless an entry with its
// digest is there already. Used for images kept only by digest.
func (l *Layout) Add(ctx context.Context, desc ocispec.Descriptor) error {
	if _, err := l.store.Info(ctx, desc.Digest); err != nil {
		return fmt.Errorf("add %s to index.json: %w", desc.Digest, err)
	}
	return l.updateIndex(ctx, func(idx *ocispec.Index) error {
		for _, d := range idx.Manifests {
			if d.Digest == desc.Digest {
				return nil
			}
		}
		idx.Manifests = append(idx.Manifests, desc)
		return nil
	})
}
