// Package local is a content store in a directory: each blob is a file at
// <root>/<algorithm>/<hex>, the layout of an OCI image layout's blobs/
// directory, so a layout's blobs directory is a store and a store is
// readable by umoci, skopeo and oci-image-tool.
//
// Writes go to a temporary file in a separate ingest directory, are hashed
// while they stream in, fsynced, and renamed into place only once the size
// and digest match, so a blob file is always complete and correct. Each
// temporary file is held under an flock(2) lock for the life of its writer;
// a file nobody holds belongs to a dead writer and PruneIngests removes it.
//
// Committed blobs get mode 0644, as skopeo gives them, so umoci, skopeo and
// other users can read them and skopeo can copy into a layout berth wrote.
package local

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/berth-oci/berth/content"
	digest "github.com/opencontainers/go-digest"
)

// Store is a content.Store on a directory. It is safe for concurrent use by
// many goroutines and many processes.
type Store struct {
	root   string
	ingest string
}

var (
	_ content.Store        = (*Store)(nil)
	_ content.IngestPruner = (*Store)(nil)
)

// Option configures a Store.
type Option func(*Store)

// WithIngestDir keeps in-progress writes in dir instead of the default. It
// must be on the same file system as the store's root, because a blob is
// published by rename. It is created on the first write.
func WithIngestDir(dir string) Option {
	return func(s *Store) { s.ingest = dir }
}

// DefaultIngestName is the default ingest directory's name, a sibling of the
// store's root. Not inside the root: an image layout's blobs/ holds only
// algorithm directories, and tools that list it (umoci gc, oci-image-tool
// validate) would stumble on another. A sibling is on the same file system
// as the root unless the root is itself a mount point; pass WithIngestDir
// then. For a layout at L with root L/blobs, the default is L/.berth-ingest,
// an extra file the layout spec allows.
const DefaultIngestName = ".berth-ingest"

// New opens the store at root, creating root (mode 0755) when it does not
// exist. It creates nothing else until the first write, so a store on a
// read-only layout can be read.
func New(root string, opts ...Option) (*Store, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("open content store %s: %w", root, err)
	}
	s := &Store{root: abs, ingest: filepath.Join(filepath.Dir(abs), DefaultIngestName)}
	for _, o := range opts {
		o(s)
	}
	if s.ingest, err = filepath.Abs(s.ingest); err != nil {
		return nil, fmt.Errorf("open content store %s: ingest directory: %w", root, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("open content store: %w", err)
	}
	return s, nil
}

// Root is the directory that holds the blobs.
func (s *Store) Root() string { return s.root }

// IngestDir is the directory that holds in-progress writes.
func (s *Store) IngestDir() string { return s.ingest }

// BlobPath returns the file that holds (or would hold) blob d, or an error
// wrapping errdefs.ErrInvalidArgument when d is not a valid sha256 or sha512
// digest. The path is always two components below Root.
func (s *Store) BlobPath(d digest.Digest) (string, error) {
	if err := content.ValidateDigest(d); err != nil {
		return "", err
	}
	return filepath.Join(s.root, d.Algorithm().String(), d.Encoded()), nil
}
