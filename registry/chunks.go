package registry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/berth-oci/berth/content"
	"github.com/berth-oci/berth/errdefs"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// errRestartUpload marks an upload session that cannot be resumed.
var errRestartUpload = errors.New("upload session lost")

// uploadChunks sends the blob in PATCH requests of Options.ChunkSize bytes
// (end-5), then closes the session with a PUT (end-6). After a failed
// chunk it asks the session's status (end-13) and resumes from the offset
// the registry holds.
func (c *Client) uploadChunks(ctx context.Context, ref Reference, loc *url.URL, ra content.ReaderAt, desc ocispec.Descriptor, label string) error {
	var off int64
	failures := 0
	for off < desc.Size {
		n := min(c.opts.ChunkSize, desc.Size-off)
		next, nloc, err := c.patchChunk(ctx, ref, loc, ra, desc, label, off, n)
		if err == nil {
			off, loc, failures = next, nloc, 0
			continue
		}
		failures++
		if failures > c.opts.Retries || !(retryable(ctx, err) || isStatus(err, http.StatusRequestedRangeNotSatisfiable) || isRetryStatus(err)) {
			return err
		}
		if err := c.sleep(ctx, c.backoff(failures-1)); err != nil {
			return err
		}
		if off, loc, err = c.uploadStatus(ctx, ref, loc, desc); err != nil {
			if HasCode(err, "BLOB_UPLOAD_INVALID") || HasCode(err, "BLOB_UPLOAD_UNKNOWN") || isStatus(err, http.StatusNotFound) {
				// The session is gone (distribution cancels one whose state
				// token is stale, as after a lost answer): start afresh.
				return fmt.Errorf("%w: %w", errRestartUpload, err)
			}
			return err
		}
	}
	resp, err := c.do(ctx, &request{
		method: http.MethodPut, ref: ref, url: loc, query: url.Values{"digest": {desc.Digest.String()}},
		length: 0, scopes: pushScope(ref), retry: true,
	})
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusCreated {
		return responseError(ref.Registry, resp, blobWhat(ref, desc))
	}
	drain(resp)
	return nil
}

// patchChunk sends bytes [off, off+n) and returns the next offset and
// location the registry gives.
func (c *Client) patchChunk(ctx context.Context, ref Reference, loc *url.URL, ra content.ReaderAt, desc ocispec.Descriptor, label string, off, n int64) (int64, *url.URL, error) {
	resp, err := c.do(ctx, &request{
		method: http.MethodPatch, ref: ref, url: loc,
		header: http.Header{
			"Content-Type":  {"application/octet-stream"},
			"Content-Range": {fmt.Sprintf("%d-%d", off, off+n-1)},
		},
		body: c.counted(sectionBody(ra, off, n), desc, label, off), length: n, scopes: pushScope(ref),
	})
	if err != nil {
		return 0, nil, err
	}
	if resp.StatusCode != http.StatusAccepted {
		return 0, nil, responseError(ref.Registry, resp, blobWhat(ref, desc))
	}
	drain(resp)
	next, ok := parseRange(resp.Header.Get("Range"))
	if resp.Header.Get("Range") == "" {
		next = off + n
	} else if !ok || next != off+n {
		return 0, nil, fmt.Errorf("registry %s: %s: chunk %d-%d answered with Range %q: %w", ref.Registry, blobWhat(ref, desc), off, off+n-1, resp.Header.Get("Range"), errdefs.ErrInvalidArgument)
	}
	nloc, err := location(ref, resp)
	if err != nil {
		return 0, nil, err
	}
	return next, nloc, nil
}

// uploadStatus asks an upload session how many bytes it holds (end-13).
func (c *Client) uploadStatus(ctx context.Context, ref Reference, loc *url.URL, desc ocispec.Descriptor) (int64, *url.URL, error) {
	resp, err := c.do(ctx, &request{method: http.MethodGet, ref: ref, url: loc, scopes: pushScope(ref), retry: true})
	if err != nil {
		return 0, nil, err
	}
	if resp.StatusCode != http.StatusNoContent && resp.StatusCode != http.StatusOK {
		return 0, nil, responseError(ref.Registry, resp, "upload status of "+blobWhat(ref, desc))
	}
	drain(resp)
	off, ok := parseRange(resp.Header.Get("Range"))
	if !ok || off > desc.Size {
		return 0, nil, fmt.Errorf("registry %s: upload status of %s: bad Range %q: %w", ref.Registry, blobWhat(ref, desc), resp.Header.Get("Range"), errdefs.ErrInvalidArgument)
	}
	nloc := loc
	if resp.Header.Get("Location") != "" {
		if nloc, err = location(ref, resp); err != nil {
			return 0, nil, err
		}
	}
	return off, nloc, nil
}
