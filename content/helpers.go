package content

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/berth-oci/berth/errdefs"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// MaxManifestSize is the largest manifest or index berth accepts, the limit
// registries apply too (distribution's default is 4 MiB).
const MaxManifestSize = 4 << 20

// MaxReadSize is the largest blob ReadBlob loads into memory. It bounds
// manifests, indexes and image configs, the only blobs read whole; layers
// are streamed with NewReader instead.
const MaxReadSize = 16 << 20

// WriteBlob stores the bytes of r as the blob desc. A nil error means the
// content is stored at desc.Digest, whether this call wrote it or it was
// there already (then r is not read at all). A stream whose bytes do not match desc yields an error wrapping
// errdefs.ErrDigestMismatch and stores nothing.
func WriteBlob(ctx context.Context, ing Ingester, desc ocispec.Descriptor, r io.Reader) (err error) {
	w, err := ing.Writer(ctx, desc)
	if errors.Is(err, errdefs.ErrAlreadyExists) {
		return nil
	}
	if err != nil {
		return err
	}
	defer func() {
		if cerr := w.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close writer of %s: %w", desc.Digest, cerr)
		}
	}()
	if err := Copy(ctx, w, r); err != nil {
		return fmt.Errorf("write blob %s: %w", desc.Digest, err)
	}
	return w.Commit(ctx)
}

// Copy copies r to w until r ends, checking ctx between chunks so a
// cancelled pull stops promptly.
func Copy(ctx context.Context, w io.Writer, r io.Reader) error {
	buf := make([]byte, 128<<10)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, rerr := r.Read(buf)
		if n > 0 {
			if _, err := w.Write(buf[:n]); err != nil {
				return err
			}
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return rerr
		}
	}
}

// ReadBlob returns the bytes of the blob desc, verified against desc.Digest
// and desc.Size, for blobs that are parsed whole (manifests, indexes,
// configs). It refuses blobs larger than MaxReadSize with an error wrapping
// errdefs.ErrInvalidArgument; use ReadBlobLimit for another bound. When desc
// embeds the content (its data field), that is verified and returned without
// asking p.
func ReadBlob(ctx context.Context, p Provider, desc ocispec.Descriptor) ([]byte, error) {
	return ReadBlobLimit(ctx, p, desc, MaxReadSize)
}

// ReadBlobLimit is ReadBlob with a limit of limit bytes.
func ReadBlobLimit(ctx context.Context, p Provider, desc ocispec.Descriptor, limit int64) ([]byte, error) {
	if err := ValidateDigest(desc.Digest); err != nil {
		return nil, err
	}
	if desc.Size > limit {
		return nil, fmt.Errorf("read blob %s: size %d exceeds the limit of %d bytes: %w", desc.Digest, desc.Size, limit, errdefs.ErrInvalidArgument)
	}
	if len(desc.Data) > 0 {
		return desc.Data, Verify(desc, desc.Data)
	}
	ra, err := p.ReaderAt(ctx, desc)
	if err != nil {
		return nil, err
	}
	data, err := readAll(desc, ra, limit)
	if cerr := ra.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("close blob %s: %w", desc.Digest, cerr)
	}
	if err != nil {
		return nil, err
	}
	return data, Verify(desc, data)
}

func readAll(desc ocispec.Descriptor, ra ReaderAt, limit int64) ([]byte, error) {
	size := ra.Size()
	if desc.Size >= 0 && size != desc.Size {
		return nil, fmt.Errorf("read blob %s: stored size %d, descriptor says %d: %w", desc.Digest, size, desc.Size, errdefs.ErrDigestMismatch)
	}
	if size > limit {
		return nil, fmt.Errorf("read blob %s: size %d exceeds the limit of %d bytes: %w", desc.Digest, size, limit, errdefs.ErrInvalidArgument)
	}
	data := make([]byte, size)
	if _, err := ra.ReadAt(data, 0); err != nil && !(err == io.EOF && size == 0) {
		return nil, fmt.Errorf("read blob %s: %w", desc.Digest, err)
	}
	return data, nil
}

// Verify checks data against desc: its length against desc.Size (unless
// that is -1) and its hash against desc.Digest. A difference is an error
// wrapping errdefs.ErrDigestMismatch.
func Verify(desc ocispec.Descriptor, data []byte) error {
	if err := ValidateDigest(desc.Digest); err != nil {
		return err
	}
	if desc.Size >= 0 && int64(len(data)) != desc.Size {
		return fmt.Errorf("blob %s: %d bytes, descriptor says %d: %w", desc.Digest, len(data), desc.Size, errdefs.ErrDigestMismatch)
	}
	if got := desc.Digest.Algorithm().FromBytes(data); got != desc.Digest {
		return fmt.Errorf("blob %s: content hashes to %s: %w", desc.Digest, got, errdefs.ErrDigestMismatch)
	}
	return nil
}

// NewReader returns a reader over the whole of ra, from its first byte. It
// does not close ra.
func NewReader(ra ReaderAt) io.Reader {
	return io.NewSectionReader(ra, 0, ra.Size())
}
