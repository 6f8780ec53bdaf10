package layer

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/berth-oci/berth/errdefs"
)

// Apply reads the layer blob r and applies it onto the directory root,
// which must exist. See the package documentation for the contract: apply
// into a temporary directory and keep it only when Apply returns nil.
//
// A mismatch of the expected digests fails with errdefs.ErrDigestMismatch
// naming both digests; a hostile or malformed entry (a path escaping the
// root, a hard link to a directory, an id outside the mapping) fails with
// errdefs.ErrInvalidArgument. r is not read after Apply returns.
func Apply(ctx context.Context, root string, r io.Reader, opts ApplyOptions) (res ApplyResult, err error) {
	what := "layer"
	if opts.Digest != "" {
		what = "layer " + opts.Digest.String()
	}
	defer func() {
		if err != nil {
			err = fmt.Errorf("apply %s to %s: %w", what, root, err)
		}
	}()
	if err := opts.validate(); err != nil {
		return res, err
	}
	var uid, gid int
	if !opts.Rootless {
		if uid, gid, err = opts.owner("root", 0, 0); err != nil {
			return res, err
		}
	}
	fs, err := openRootFS(root, opts.Rootless, uid, gid)
	if err != nil {
		return res, err
	}
	defer func() {
		if cerr := fs.close(); err == nil && cerr != nil {
			err = fmt.Errorf("close root: %w", cerr)
		}
	}()
	if len(opts.LowerDirs) > 0 {
		if fs.lower, err = openLowerLayers(opts.LowerDirs); err != nil {
			return res, err
		}
	}
	fs.lowerFunc = opts.LowerDirsFunc
	s, err := newVerifiedStream(r, &opts)
	if err != nil {
		return res, err
	}
	defer func() {
		if cerr := s.close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	a := newApplier(fs, &opts)
	if err := a.applyAll(ctx, tar.NewReader(s)); err != nil {
		return res, err
	}
	if err := s.finish(); err != nil {
		return res, err
	}
	res, err = s.verify(opts.Digest, opts.DiffID)
	res.Entries = a.count
	return res, err
}

func (a *applier) applyAll(ctx context.Context, tr *tar.Reader) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return readError(err, a.count)
		}
		if err := a.entry(hdr, tr); err != nil {
			return err
		}
	}
	return a.finish()
}

// readError says which entry a read failed on and gives a tar format error
// its kind; errors of the stream (limits, decompression) keep theirs.
func readError(err error, entries int) error {
	if errors.Is(err, tar.ErrHeader) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, tar.ErrFieldTooLong) {
		return fmt.Errorf("read tar entry %d: %w: %w", entries+1, errdefs.ErrInvalidArgument, err)
	}
	return fmt.Errorf("read tar entry %d: %w", entries+1, err)
}
