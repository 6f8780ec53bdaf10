package registrytest

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/berth-oci/berth/content"
	"github.com/berth-oci/berth/content/local"
	"github.com/berth-oci/berth/errdefs"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// NamedStore is a content/local store with a table of names, the simplest
// registry.ImageStore (an OCI layout without index.json).
type NamedStore struct {
	content.Store
	mu    sync.Mutex
	Names map[string]ocispec.Descriptor
}

// NewNamedStore makes an empty NamedStore in a temporary directory.
func NewNamedStore(t testing.TB) *NamedStore {
	t.Helper()
	s, err := local.New(filepath.Join(t.TempDir(), "blobs"))
	must(t, err)
	return &NamedStore{Store: s, Names: map[string]ocispec.Descriptor{}}
}

// Resolve returns the descriptor named name, or the only one for "".
func (s *NamedStore) Resolve(_ context.Context, name string) (ocispec.Descriptor, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if name == "" && len(s.Names) == 1 {
		for _, d := range s.Names {
			return d, nil
		}
	}
	d, ok := s.Names[name]
	if !ok {
		return ocispec.Descriptor{}, fmt.Errorf("no image named %q: %w", name, errdefs.ErrNotFound)
	}
	return d, nil
}

// Tag names desc name after checking the store holds it.
func (s *NamedStore) Tag(ctx context.Context, desc ocispec.Descriptor, name string) error {
	if _, err := s.Info(ctx, desc.Digest); err != nil {
		return err
	}
	s.mu.Lock()
	s.Names[name] = desc
	s.mu.Unlock()
	return nil
}
