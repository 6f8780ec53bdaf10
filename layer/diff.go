package layer

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"runtime"

	"github.com/berth-oci/berth/errdefs"
	"github.com/klauspost/compress/zstd"
	"github.com/klauspost/pgzip"
	digest "github.com/opencontainers/go-digest"
)

// DiffOptions control Diff.
type DiffOptions struct {
	// Compression of the blob written: None, Gzip (parallel) or Zstd.
	Compression Compression
	// Format Overlay reads changed as an overlayfs upper directory: 0/0
	// character devices become whiteouts and an opaque directory an opaque
	// marker; base is then ignored. Tree compares base with changed.
	Format Format
	// Warn receives what could not be put in a tar (sockets).
	Warn func(msg string)
}

// DiffResult describes the layer Diff wrote.
type DiffResult struct {
	// DiffID is the sha256 of the uncompressed tar, Digest and Size those
	// of the blob as written, MediaType the OCI layer type that fits it.
	DiffID           digest.Digest
	Digest           digest.Digest
	Size             int64
	UncompressedSize int64
	MediaType        string
	// Entries counts the tar entries written, whiteouts and opaque
	// markers included: zero means changed does not differ from base (the
	// layer is then an empty tar, which a caller may rather not record).
	Entries int
}

// Diff writes to w, as a layer, the changes that turn base into changed:
// added and modified entries whole, deletions as ".wh." whiteouts, a
// directory whose old content is all gone (or that replaces a
// non-directory) as an opaque directory. An empty base means "everything
// in changed". The output is deterministic: entries in a fixed order, PAX
// headers without user or group names, access and change times, so the
// same change always gives the same digests.
//
// Whether an entry changed is decided from lstat: type, mode, owner,
// size, mtime, device numbers, link target and xattrs. When all of these
// agree but the two files are different inodes whose mtime has no
// sub-second part (as after a tar extraction, where a rewrite within the
// same second would be invisible), the contents are compared.
//
// Hard links in changed are kept: the first path of an inode written
// carries the content, later ones are hard link entries; a new link to a
// file that did not change becomes a link to the lower layer's file.
//
// Neither tree may change while Diff runs (freeze or stop the container).
func Diff(ctx context.Context, base, changed string, w io.Writer, opts DiffOptions) (res DiffResult, err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("diff %s against %s: %w", changed, base, err)
		}
	}()
	if opts.Format != Tree && opts.Format != Overlay {
		return res, fmt.Errorf("diff format %v: %w", opts.Format, errdefs.ErrInvalidArgument)
	}
	if opts.Format == Overlay {
		base = ""
	}
	wk, err := newDiffWalker(ctx, base, changed, opts)
	if err != nil {
		return res, err
	}
	defer wk.close()
	if err := wk.walk(); err != nil {
		return res, err
	}
	return wk.write(w, opts.Compression)
}

// layerWriter compresses a tar stream and hashes it on both sides.
type layerWriter struct {
	blob, tar counter
	comp      io.WriteCloser
	out       io.Writer
}

func newLayerWriter(w io.Writer, c Compression) (*layerWriter, error) {
	lw := &layerWriter{blob: counter{d: digest.SHA256.Digester()}, tar: counter{d: digest.SHA256.Digester()}}
	blobOut := io.MultiWriter(w, &lw.blob)
	switch c {
	case None:
		lw.comp = nopWriteCloser{blobOut}
	case Gzip:
		zw, err := pgzip.NewWriterLevel(blobOut, pgzip.DefaultCompression)
		if err != nil {
			return nil, err
		}
		if err := zw.SetConcurrency(1<<20, 2*runtime.GOMAXPROCS(0)); err != nil {
			return nil, err
		}
		lw.comp = zw
	case Zstd:
		zw, err := zstd.NewWriter(blobOut, zstd.WithEncoderConcurrency(runtime.GOMAXPROCS(0)))
		if err != nil {
			return nil, err
		}
		lw.comp = zw
	default:
		return nil, fmt.Errorf("compression %v: %w", c, errdefs.ErrInvalidArgument)
	}
	lw.out = io.MultiWriter(&lw.tar, lw.comp)
	return lw, nil
}

func (lw *layerWriter) Write(p []byte) (int, error) { return lw.out.Write(p) }

func (lw *layerWriter) result(c Compression) DiffResult {
	return DiffResult{
		DiffID:           lw.tar.d.Digest(),
		Digest:           lw.blob.d.Digest(),
		Size:             lw.blob.n,
		UncompressedSize: lw.tar.n,
		MediaType:        c.MediaType(),
	}
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

// write puts the changes found by walk into a layer on w.
func (wk *diffWalker) write(w io.Writer, c Compression) (DiffResult, error) {
	lw, err := newLayerWriter(w, c)
	if err != nil {
		return DiffResult{}, err
	}
	tw := tar.NewWriter(lw)
	buf := make([]byte, chunkSize)
	entries := 0
	for i := range wk.changes {
		if err := wk.ctx.Err(); err != nil {
			return DiffResult{}, err
		}
		if err := wk.writeChange(tw, &wk.changes[i], buf); err != nil {
			return DiffResult{}, err
		}
		entries++
	}
	if err := tw.Close(); err != nil {
		return DiffResult{}, fmt.Errorf("finish tar: %w", err)
	}
	if err := lw.comp.Close(); err != nil {
		return DiffResult{}, fmt.Errorf("finish %s stream: %w", c, err)
	}
	res := lw.result(c)
	res.Entries = entries
	return res, nil
}
