package local

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"

	"github.com/berth-oci/berth/content"
	"github.com/berth-oci/berth/errdefs"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// ReaderAt opens the blob desc.Digest; see content.Provider. A blob path
// that is not a regular file (a symbolic link planted in a layout, a
// directory) is refused with errdefs.ErrFailedPrecondition rather than
// followed.
func (s *Store) ReaderAt(ctx context.Context, desc ocispec.Descriptor) (content.ReaderAt, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, st, err := s.openBlob(desc.Digest)
	if err != nil {
		return nil, err
	}
	return &readerAt{File: f, size: st.Size()}, nil
}

// Info describes the blob dgst; see content.Provider.
func (s *Store) Info(ctx context.Context, dgst digest.Digest) (content.Info, error) {
	if err := ctx.Err(); err != nil {
		return content.Info{}, err
	}
	p, err := s.BlobPath(dgst)
	if err != nil {
		return content.Info{}, err
	}
	st, err := os.Lstat(p)
	if err != nil {
		return content.Info{}, blobError("stat", dgst, err)
	}
	if !st.Mode().IsRegular() {
		return content.Info{}, notRegular(dgst, st)
	}
	return content.Info{Digest: dgst, Size: st.Size(), CreatedAt: st.ModTime()}, nil
}

// openBlob opens the file of blob d without following a symbolic link.
func (s *Store) openBlob(d digest.Digest) (*os.File, fs.FileInfo, error) {
	p, err := s.BlobPath(d)
	if err != nil {
		return nil, nil, err
	}
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0)
	if errors.Is(err, syscall.ELOOP) {
		return nil, nil, fmt.Errorf("open blob %s: %s is a symbolic link: %w", d, p, errdefs.ErrFailedPrecondition)
	}
	if err != nil {
		return nil, nil, blobError("open", d, err)
	}
	st, err := f.Stat()
	if err == nil && !st.Mode().IsRegular() {
		err = notRegular(d, st)
	}
	if err != nil {
		return nil, nil, errors.Join(err, f.Close())
	}
	return f, st, nil
}

// blobError wraps err from operation op on blob d, turning a missing file
// into errdefs.ErrNotFound.
func blobError(op string, d digest.Digest, err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return fmt.Errorf("%s blob %s: %w", op, d, errdefs.ErrNotFound)
	}
	return fmt.Errorf("%s blob %s: %w", op, d, err)
}

func notRegular(d digest.Digest, st fs.FileInfo) error {
	return fmt.Errorf("blob %s: file is a %s, not a regular file: %w", d, st.Mode().Type(), errdefs.ErrFailedPrecondition)
}

// readerAt is an open blob file; os.File's ReadAt is pread(2) and safe for
// concurrent use.
type readerAt struct {
	*os.File
	size int64
}

func (r *readerAt) Size() int64 { return r.size }
