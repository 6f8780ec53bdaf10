package registry

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"time"

	"github.com/berth-oci/berth/content"
	"github.com/berth-oci/berth/errdefs"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// memProvider serves a handful of blobs held in memory or in files, the
// source of an artifact push.
type memProvider map[digest.Digest]blobSource

type blobSource struct {
	data []byte
	path string
}

func (m memProvider) ReaderAt(_ context.Context, desc ocispec.Descriptor) (content.ReaderAt, error) {
	b, ok := m[desc.Digest]
	if !ok {
		return nil, fmt.Errorf("blob %s: %w", desc.Digest, errdefs.ErrNotFound)
	}
	if b.path == "" {
		return &bytesReaderAt{bytes.NewReader(b.data)}, nil
	}
	f, err := os.Open(b.path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if desc.Size >= 0 && st.Size() != desc.Size {
		f.Close()
		return nil, fmt.Errorf("file %s changed while pushing (%d bytes, was %d): %w", b.path, st.Size(), desc.Size, errdefs.ErrDigestMismatch)
	}
	return &fileReaderAt{File: f, size: st.Size()}, nil
}

func (m memProvider) Info(ctx context.Context, d digest.Digest) (content.Info, error) {
	ra, err := m.ReaderAt(ctx, ocispec.Descriptor{Digest: d, Size: -1})
	if err != nil {
		return content.Info{}, err
	}
	defer ra.Close()
	return content.Info{Digest: d, Size: ra.Size(), CreatedAt: time.Now()}, nil
}

type bytesReaderAt struct{ *bytes.Reader }

func (bytesReaderAt) Close() error { return nil }

type fileReaderAt struct {
	*os.File
	size int64
}

func (f *fileReaderAt) Size() int64 { return f.size }
