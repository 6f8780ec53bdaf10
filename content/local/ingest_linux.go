package local

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/berth-oci/berth/content"
	digest "github.com/opencontainers/go-digest"
)

// An ingest file is named <alg>-<hex>.<random>: the digest it is meant to
// become (for whoever looks at a leftover) and a random part, so concurrent
// writers of one blob never share a file.

// createIngest creates and locks a new ingest file for blob d. The lock
// (flock, so it is released by the kernel when the process dies) marks the
// file as live for PruneIngests in any process.
func (s *Store) createIngest(d digest.Digest) (*os.File, error) {
	if err := os.MkdirAll(s.ingest, 0o755); err != nil {
		return nil, fmt.Errorf("create ingest directory: %w", err)
	}
	for range 16 {
		var rnd [8]byte
		_, _ = rand.Read(rnd[:]) // never fails on Linux
		p := filepath.Join(s.ingest, d.Algorithm().String()+"-"+d.Encoded()+"."+hex.EncodeToString(rnd[:]))
		f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_EXCL|syscall.O_CLOEXEC, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("create ingest file: %w", err)
		}
		ok, err := lockLive(f)
		if err != nil {
			return nil, errors.Join(err, f.Close())
		}
		if ok {
			return f, nil
		}
		// A pruner took the new, still unlocked file for a dead one.
		if err := f.Close(); err != nil {
			return nil, fmt.Errorf("create ingest file: %w", err)
		}
	}
	return nil, fmt.Errorf("create ingest file for %s in %s: no free name after 16 attempts", d, s.ingest)
}

// lockLive takes f's lock without waiting and reports whether f is still
// linked at its name once locked. False means another process holds the
// lock, or a pruner unlinked the file before the lock was taken.
func lockLive(f *os.File) (bool, error) {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return false, nil
	}
	if err != nil {
		return false, &os.PathError{Op: "flock", Path: f.Name(), Err: err}
	}
	held, err := f.Stat()
	if err != nil {
		return false, err
	}
	named, err := os.Lstat(f.Name())
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return os.SameFile(held, named), nil
}

// PruneIngests removes the ingest files that no live writer holds: those a
// killed process left behind. A writer's lock is an flock(2) held from the
// file's creation to its commit or close, so a file whose lock can be
// taken has no writer and never will; pruning takes the lock, checks the
// file is still the one at that name, and unlinks it. Files in the ingest
// directory that berth did not name are left alone. See content.IngestPruner.
func (s *Store) PruneIngests(ctx context.Context) (int, error) {
	ents, err := os.ReadDir(s.ingest)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("prune ingests: %w", err)
	}
	n := 0
	for _, e := range ents {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		if !e.Type().IsRegular() || !isIngestName(e.Name()) {
			continue
		}
		removed, err := pruneOne(filepath.Join(s.ingest, e.Name()))
		if err != nil {
			return n, fmt.Errorf("prune ingests: %w", err)
		}
		if removed {
			n++
		}
	}
	return n, nil
}

// pruneOne removes the ingest file p unless a writer holds it.
func pruneOne(p string) (bool, error) {
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	dead, err := lockLive(f)
	if err == nil && dead {
		if err = os.Remove(p); errors.Is(err, fs.ErrNotExist) {
			dead, err = false, nil
		}
	}
	// Closing releases the lock only after the name is gone.
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return dead && err == nil, err
}

// isIngestName reports whether name has the form createIngest gives.
func isIngestName(name string) bool {
	stem, rnd, ok := strings.Cut(name, ".")
	if !ok || len(rnd) != 16 || strings.Trim(rnd, "0123456789abcdef") != "" {
		return false
	}
	alg, enc, ok := strings.Cut(stem, "-")
	return ok && content.ValidateDigest(digest.Digest(alg+":"+enc)) == nil
}
