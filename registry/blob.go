package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/berth-oci/berth/content"
	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/internal/progress"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func blobPath(ref Reference, desc ocispec.Descriptor) string {
	return "/v2/" + ref.Repository + "/blobs/" + desc.Digest.String()
}

func blobWhat(ref Reference, desc ocispec.Descriptor) string {
	return fmt.Sprintf("blob %s of repository %s", desc.Digest, ref.Repository)
}

func (c *Client) report(kind progress.Kind, desc ocispec.Descriptor, label string, current int64) {
	c.progress.Report(progress.Event{Kind: kind, ID: desc.Digest.String(), Label: label, Total: desc.Size, Current: current})
}

// FetchBlob downloads the blob desc from ref's repository into ing. The
// store verifies size and digest as the bytes stream in, so nothing
// unverified is ever committed. A blob already in the store is skipped. An
// interrupted transfer is resumed where it stopped: the partial write is
// kept and the rest asked for with a Range request from its Offset; a
// registry that ignores Range (200 instead of 206) has the bytes already
// held skipped instead.
func (c *Client) FetchBlob(ctx context.Context, ref Reference, ing content.Ingester, desc ocispec.Descriptor, label string) error {
	w, err := ing.Writer(ctx, desc)
	if errors.Is(err, errdefs.ErrAlreadyExists) {
		c.report(progress.Skipped, desc, label, desc.Size)
		return nil
	}
	if err != nil {
		return fmt.Errorf("store %s: %w", blobWhat(ref, desc), err)
	}
	c.report(progress.Start, desc, label, w.Offset())
	err = c.fetchInto(ctx, ref, desc, w, label)
	if err == nil {
		if err = w.Commit(ctx); err != nil {
			err = fmt.Errorf("registry %s: %s: %w", ref.Registry, blobWhat(ref, desc), err)
		}
	}
	if cerr := w.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("store %s: %w", blobWhat(ref, desc), cerr)
	}
	if err != nil {
		c.progress.Report(progress.Event{Kind: progress.Failed, ID: desc.Digest.String(), Label: label, Total: desc.Size, Err: err})
		return err
	}
	c.report(progress.Done, desc, label, desc.Size)
	return nil
}

// fetchInto streams the rest of the blob into w, resuming after dropped
// connections until w holds desc.Size bytes.
func (c *Client) fetchInto(ctx context.Context, ref Reference, desc ocispec.Descriptor, w content.Writer, label string) error {
	failures := 0
	for w.Offset() < desc.Size || desc.Size == 0 {
		before := w.Offset()
		rerr, werr := c.fetchRange(ctx, ref, desc, w, label)
		if werr != nil {
			return werr
		}
		if rerr == nil {
			if desc.Size == 0 || w.Offset() >= desc.Size {
				return nil
			}
			rerr = io.ErrUnexpectedEOF
		}
		if w.Offset() > before {
			failures = 0 // progress was made: this is a new stall
		}
		failures++
		if failures > c.opts.Retries || !retryable(ctx, rerr) {
			return rerr
		}
		if err := c.sleep(ctx, c.backoff(failures-1)); err != nil {
			return err
		}
	}
	return nil
}

// fetchRange makes one GET for the bytes from w.Offset() on and copies what
// arrives into w. It returns the error of the transfer (worth a retry when
// retryable) apart from the error of the store (never worth one).
func (c *Client) fetchRange(ctx context.Context, ref Reference, desc ocispec.Descriptor, w content.Writer, label string) (rerr, werr error) {
	body, err := c.openBlob(ctx, ref, desc, w.Offset())
	if err != nil {
		if retryable(ctx, err) {
			return err, nil
		}
		return nil, err
	}
	if body == nil {
		return nil, nil
	}
	defer body.Close()
	return c.copyBlob(ctx, w, body, desc, label)
}

// openBlob GETs the blob desc and returns its body positioned at off: from
// a 206 answer to a Range request, or from a whole answer (a registry that
// ignores Range) with the first off bytes read and dropped. It returns a
// nil body when off is the end of the blob already.
func (c *Client) openBlob(ctx context.Context, ref Reference, desc ocispec.Descriptor, off int64) (io.ReadCloser, error) {
	hdr := http.Header{}
	if off > 0 {
		hdr.Set("Range", fmt.Sprintf("bytes=%d-", off))
	}
	resp, err := c.do(ctx, &request{method: http.MethodGet, ref: ref, path: blobPath(ref, desc), header: hdr, scopes: pullScope(ref), retry: true})
	if err != nil {
		return nil, err
	}
	skip := int64(0)
	switch resp.StatusCode {
	case http.StatusOK:
		skip = off
	case http.StatusPartialContent:
		start, ok := rangeStart(resp.Header.Get("Content-Range"))
		if !ok || start > off {
			drain(resp)
			return nil, fmt.Errorf("registry %s: %s: answered Range bytes=%d- with Content-Range %q: %w", ref.Registry, blobWhat(ref, desc), off, resp.Header.Get("Content-Range"), errdefs.ErrInvalidArgument)
		}
		skip = off - start
	case http.StatusRequestedRangeNotSatisfiable:
		if off == desc.Size {
			drain(resp)
			return nil, nil
		}
		return nil, responseError(ref.Registry, resp, blobWhat(ref, desc))
	default:
		return nil, responseError(ref.Registry, resp, blobWhat(ref, desc))
	}
	if h := resp.Header.Get("Docker-Content-Digest"); h != "" && h != desc.Digest.String() {
		drain(resp)
		return nil, fmt.Errorf("registry %s: %s: served as %s: %w", ref.Registry, blobWhat(ref, desc), h, errdefs.ErrDigestMismatch)
	}
	if skip > 0 {
		if _, err := io.CopyN(io.Discard, resp.Body, skip); err != nil {
			resp.Body.Close()
			return nil, err
		}
	}
	return resp.Body, nil
}

// rangeStart reads the first byte position of "bytes START-END/TOTAL".
func rangeStart(v string) (int64, bool) {
	v, ok := strings.CutPrefix(strings.TrimSpace(v), "bytes ")
	if !ok {
		return 0, false
	}
	start, _, ok := strings.Cut(v, "-")
	n, err := strconv.ParseInt(start, 10, 64)
	return n, ok && err == nil && n >= 0
}

// reportEvery paces Bytes events: a bar needs no more.
const reportEvery = 512 << 10

// copyBlob copies r into w, reporting progress. Read errors and write
// errors come back apart.
func (c *Client) copyBlob(ctx context.Context, w content.Writer, r io.Reader, desc ocispec.Descriptor, label string) (rerr, werr error) {
	buf := make([]byte, 256<<10)
	last := w.Offset()
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n, err := r.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return nil, fmt.Errorf("store %s: %w", desc.Digest, werr)
			}
			if off := w.Offset(); off-last >= reportEvery {
				c.report(progress.Bytes, desc, label, off)
				last = off
			}
		}
		if err == io.EOF {
			return nil, nil
		}
		if err != nil {
			return err, nil
		}
	}
}
