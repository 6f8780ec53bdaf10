package local

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/berth-oci/berth/content"
	digest "github.com/opencontainers/go-digest"
)

// algorithms are the directories Walk lists: the algorithms the store
// verifies. Other entries of the root (another tool's algorithm, stray
// files) are left alone, as the layout spec asks of unknown files.
var algorithms = []digest.Algorithm{digest.SHA256, digest.SHA512}

// Walk calls fn for every committed blob; see content.Manager. Entries whose
// name is not a valid digest of their directory's algorithm, and entries
// that are not regular files, are skipped.
func (s *Store) Walk(ctx context.Context, fn func(content.Info) error) error {
	for _, alg := range algorithms {
		dir := filepath.Join(s.root, alg.String())
		ents, err := os.ReadDir(dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("walk content store: %w", err)
		}
		for _, e := range ents {
			if err := ctx.Err(); err != nil {
				return err
			}
			info, ok, err := entryInfo(alg, e)
			if err != nil {
				return fmt.Errorf("walk content store %s: %w", dir, err)
			}
			if !ok {
				continue
			}
			if err := fn(info); err != nil {
				return err
			}
		}
	}
	return nil
}

// entryInfo describes directory entry e of algorithm alg, or reports that
// it is not a blob (or vanished since the directory was read).
func entryInfo(alg digest.Algorithm, e fs.DirEntry) (content.Info, bool, error) {
	d := digest.NewDigestFromEncoded(alg, e.Name())
	if !e.Type().IsRegular() || content.ValidateDigest(d) != nil {
		return content.Info{}, false, nil
	}
	st, err := e.Info()
	if errors.Is(err, fs.ErrNotExist) {
		return content.Info{}, false, nil
	}
	if err != nil {
		return content.Info{}, false, err
	}
	return content.Info{Digest: d, Size: st.Size(), CreatedAt: st.ModTime()}, true, nil
}

// Delete removes the blob dgst; see content.Manager.
func (s *Store) Delete(ctx context.Context, dgst digest.Digest) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p, err := s.BlobPath(dgst)
	if err != nil {
		return err
	}
	st, err := os.Lstat(p)
	if err != nil {
		return blobError("delete", dgst, err)
	}
	if !st.Mode().IsRegular() {
		return notRegular(dgst, st)
	}
	if err := os.Remove(p); err != nil {
		return blobError("delete", dgst, err)
	}
	return nil
}
