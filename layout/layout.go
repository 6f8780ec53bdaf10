// Package layout reads and writes the OCI image layout: a directory with an
// oci-layout file, an index.json and a blobs/ content store (image-spec
// image-layout.md). Images in a layout are named by the
// org.opencontainers.image.ref.name annotation of their index.json entry.
//
// index.json is replaced atomically (temporary file and rename) under an
// flock(2) on the layout directory, so concurrent taggers in many processes
// never lose each other's entries and readers always see a whole file.
package layout

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/berth-oci/berth/content"
	"github.com/berth-oci/berth/content/local"
	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/internal/atomicfile"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// File names inside a layout.
const (
	LayoutFile = ocispec.ImageLayoutFile // "oci-layout"
	IndexFile  = "index.json"
	BlobsDir   = ocispec.ImageBlobsDir // "blobs"
)

// Layout is an OCI image layout on disk. It is safe for concurrent use.
type Layout struct {
	root  string
	store *local.Store
}

// Open opens the existing layout at dir. It checks the oci-layout file
// (its imageLayoutVersion must be one berth reads) and that index.json
// exists; the index itself is read on demand.
func Open(dir string) (*Layout, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("open layout %s: %w", dir, err)
	}
	if err := checkLayoutFile(abs); err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(abs, IndexFile)); err != nil {
		return nil, fmt.Errorf("open layout %s: %w", dir, notFound(err))
	}
	return newLayout(abs)
}

// Create opens the layout at dir, first making an empty one (directory,
// oci-layout, index.json with no manifests, blobs/) when dir holds none.
// An existing layout is opened as it is.
func Create(dir string) (*Layout, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("create layout %s: %w", dir, err)
	}
	if _, err := os.Stat(filepath.Join(abs, LayoutFile)); err == nil {
		return Open(abs)
	}
	if err := os.MkdirAll(filepath.Join(abs, BlobsDir), 0o755); err != nil {
		return nil, fmt.Errorf("create layout %s: %w", dir, err)
	}
	l, err := newLayout(abs)
	if err != nil {
		return nil, err
	}
	err = l.withLock(func() error {
		if _, err := os.Stat(filepath.Join(abs, IndexFile)); errors.Is(err, fs.ErrNotExist) {
			if err := l.writeIndex(emptyIndex()); err != nil {
				return err
			}
		}
		data, _ := json.Marshal(ocispec.ImageLayout{Version: ocispec.ImageLayoutVersion})
		return atomicfile.WriteFile(filepath.Join(abs, LayoutFile), data, 0o644)
	})
	if err != nil {
		return nil, fmt.Errorf("create layout %s: %w", dir, err)
	}
	return l, nil
}

func newLayout(abs string) (*Layout, error) {
	store, err := local.New(filepath.Join(abs, BlobsDir), local.WithIngestDir(filepath.Join(abs, local.DefaultIngestName)))
	if err != nil {
		return nil, err
	}
	return &Layout{root: abs, store: store}, nil
}

// Path is the layout's directory.
func (l *Layout) Path() string { return l.root }

// Store is the layout's blobs/ directory as a content store.
func (l *Layout) Store() content.Store { return l.store }

// BlobPath is where the blob of desc lives in the layout, for messages.
func (l *Layout) BlobPath(desc ocispec.Descriptor) string {
	return filepath.Join(l.root, BlobsDir, desc.Digest.Algorithm().String(), desc.Digest.Encoded())
}

func checkLayoutFile(root string) error {
	path := filepath.Join(root, LayoutFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("open layout %s: %w", root, notFound(err))
	}
	var lf ocispec.ImageLayout
	if err := json.Unmarshal(data, &lf); err != nil {
		return fmt.Errorf("%s: not a JSON object: %v: %w", path, err, errdefs.ErrInvalidArgument)
	}
	if lf.Version != ocispec.ImageLayoutVersion {
		return fmt.Errorf("%s: imageLayoutVersion %q, berth reads %q: %w", path, lf.Version, ocispec.ImageLayoutVersion, errdefs.ErrInvalidArgument)
	}
	return nil
}

// notFound adds errdefs.ErrNotFound to a missing-file error.
func notFound(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %w", err, errdefs.ErrNotFound)
	}
	return err
}
