package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/berth-oci/berth/content"
	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/internal/progress"
	"github.com/berth-oci/berth/registry/auth"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// singlePostMax is the largest blob sent in the POST that opens the upload
// (end-4b). Registries that do not support it answer 202 and ignore the
// body, so it is kept small enough that wasting it costs nothing.
const singlePostMax = 64 << 10

// PushBlob uploads the blob desc from src to ref's repository. A blob the
// repository has already is skipped; one found in a repository of
// mountFrom (same registry) is mounted instead of uploaded. Blobs larger
// than Options.ChunkSize go in chunks, resumed after a failure from the
// offset the registry reports.
func (c *Client) PushBlob(ctx context.Context, ref Reference, src content.Provider, desc ocispec.Descriptor, label string, mountFrom []string) error {
	exists, err := c.blobExists(ctx, ref, desc)
	if err != nil {
		return err
	}
	if exists {
		c.report(progress.Skipped, desc, label, desc.Size)
		return nil
	}
	// A refused mount opens an upload session (202): the next mount is
	// tried after cancelling it, the upload goes into the last one.
	var session *url.URL
	for _, from := range mountFrom {
		if from == ref.Repository || from == "" {
			continue
		}
		if session != nil {
			c.cancelUpload(ctx, ref, session)
		}
		loc, mounted, err := c.mount(ctx, ref, desc, from)
		if err != nil {
			return err
		}
		if mounted {
			c.report(progress.Mounted, desc, label, desc.Size)
			return nil
		}
		session = loc
	}
	ra, err := src.ReaderAt(ctx, desc)
	if err != nil {
		return fmt.Errorf("push %s: %w", blobWhat(ref, desc), err)
	}
	c.report(progress.Start, desc, label, 0)
	err = c.upload(ctx, ref, ra, desc, label, session)
	if cerr := ra.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("push %s: close: %w", blobWhat(ref, desc), cerr)
	}
	if err != nil {
		c.progress.Report(progress.Event{Kind: progress.Failed, ID: desc.Digest.String(), Label: label, Total: desc.Size, Err: err})
		return err
	}
	c.report(progress.Done, desc, label, desc.Size)
	return nil
}

// blobExists asks the repository with a HEAD request.
func (c *Client) blobExists(ctx context.Context, ref Reference, desc ocispec.Descriptor) (bool, error) {
	resp, err := c.do(ctx, &request{method: http.MethodHead, ref: ref, path: blobPath(ref, desc), scopes: pushScope(ref), retry: true})
	if err != nil {
		return false, err
	}
	drain(resp)
	switch resp.StatusCode {
	case http.StatusOK:
		return true, nil
	case http.StatusNotFound:
		return false, nil
	}
	return false, &Error{Host: ref.Registry, Status: resp.StatusCode, What: blobWhat(ref, desc)}
}

// mount asks the registry to link desc from repository from (end-11). It
// returns mounted when it did, or the upload session it opened instead.
func (c *Client) mount(ctx context.Context, ref Reference, desc ocispec.Descriptor, from string) (*url.URL, bool, error) {
	resp, err := c.do(ctx, &request{
		method: http.MethodPost, ref: ref, path: "/v2/" + ref.Repository + "/blobs/uploads/",
		query:  url.Values{"mount": {desc.Digest.String()}, "from": {from}},
		scopes: append(pushScope(ref), auth.Scope(from, "pull")), retry: true,
	})
	if errors.Is(err, ErrUnauthorized) {
		// No pull access to from: the blob is uploaded instead.
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	defer drain(resp)
	switch resp.StatusCode {
	case http.StatusCreated:
		return nil, true, nil
	case http.StatusAccepted:
		loc, err := location(ref, resp)
		return loc, false, err
	}
	// A registry refusing the mount (no pull access to from, say) is not
	// fatal: the blob can still be uploaded.
	return nil, false, nil
}

// startUpload opens an upload session (end-4a), or, for a small blob,
// uploads it in the same POST (end-4b). It returns the session's location,
// or nil when the blob was stored already.
func (c *Client) startUpload(ctx context.Context, ref Reference, ra content.ReaderAt, desc ocispec.Descriptor) (*url.URL, error) {
	r := &request{method: http.MethodPost, ref: ref, path: "/v2/" + ref.Repository + "/blobs/uploads/", scopes: pushScope(ref), retry: true}
	if desc.Size <= singlePostMax {
		r.query = url.Values{"digest": {desc.Digest.String()}}
		r.header = http.Header{"Content-Type": {"application/octet-stream"}}
		r.body, r.length = sectionBody(ra, 0, desc.Size), desc.Size
	}
	resp, err := c.do(ctx, r)
	if err != nil {
		return nil, err
	}
	defer drain(resp)
	switch {
	case resp.StatusCode == http.StatusCreated && r.body != nil:
		return nil, nil
	case resp.StatusCode == http.StatusAccepted:
		return location(ref, resp)
	}
	return nil, responseError(ref.Registry, resp, "upload to repository "+ref.Repository)
}

// upload sends the blob into session, or a new one when it is nil,
// restarting the whole upload in a new session after a failed monolithic
// PUT or a lost chunked session (their state is then unknown).
func (c *Client) upload(ctx context.Context, ref Reference, ra content.ReaderAt, desc ocispec.Descriptor, label string, session *url.URL) error {
	for attempt := 0; ; attempt++ {
		loc, err := session, error(nil)
		if loc == nil {
			loc, err = c.startUpload(ctx, ref, ra, desc)
		}
		session = nil
		if err != nil {
			return err
		}
		if loc == nil {
			return nil
		}
		if c.opts.ChunkSize > 0 && desc.Size > c.opts.ChunkSize {
			err = c.uploadChunks(ctx, ref, loc, ra, desc, label)
		} else {
			err = c.putBlob(ctx, ref, loc, ra, desc, label)
		}
		if err == nil || attempt >= c.opts.Retries || !(retryable(ctx, err) || isRetryStatus(err) || errors.Is(err, errRestartUpload)) {
			return err
		}
		if err := c.sleep(ctx, c.backoff(attempt)); err != nil {
			return err
		}
	}
}

// putBlob sends the whole blob in the PUT that closes the session (end-6).
func (c *Client) putBlob(ctx context.Context, ref Reference, loc *url.URL, ra content.ReaderAt, desc ocispec.Descriptor, label string) error {
	body := sectionBody(ra, 0, desc.Size)
	resp, err := c.do(ctx, &request{
		method: http.MethodPut, ref: ref, url: loc, query: url.Values{"digest": {desc.Digest.String()}},
		header: http.Header{"Content-Type": {"application/octet-stream"}},
		body:   c.counted(body, desc, label, 0), length: desc.Size, scopes: pushScope(ref),
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

// location reads the Location header of resp, resolved against the request.
func location(ref Reference, resp *http.Response) (*url.URL, error) {
	loc, err := resp.Location()
	if err != nil {
		return nil, fmt.Errorf("registry %s: upload to repository %s: no usable Location header: %v: %w", ref.Registry, ref.Repository, err, errdefs.ErrInvalidArgument)
	}
	return loc, nil
}

// cancelUpload abandons a session; failures are ignored, as the spec asks.
func (c *Client) cancelUpload(ctx context.Context, ref Reference, loc *url.URL) {
	resp, err := c.do(ctx, &request{method: http.MethodDelete, ref: ref, url: loc, scopes: pushScope(ref)})
	if err == nil {
		drain(resp)
	}
}

// sectionBody opens n bytes of ra from off as a request body.
func sectionBody(ra io.ReaderAt, off, n int64) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return io.NopCloser(io.NewSectionReader(ra, off, n)), nil }
}

// counted wraps a body so its reads are reported as progress from base on.
func (c *Client) counted(body func() (io.ReadCloser, error), desc ocispec.Descriptor, label string, base int64) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) {
		rc, err := body()
		if err != nil {
			return nil, err
		}
		return &countingReader{ReadCloser: rc, c: c, desc: desc, label: label, n: base, last: base}, nil
	}
}

type countingReader struct {
	io.ReadCloser
	c       *Client
	desc    ocispec.Descriptor
	label   string
	n, last int64
}

func (r *countingReader) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	r.n += int64(n)
	if r.n-r.last >= reportEvery {
		r.c.report(progress.Bytes, r.desc, r.label, r.n)
		r.last = r.n
	}
	return n, err
}

// parseRange reads the end of a "0-END" (or "bytes=0-END") Range header of
// an upload; it returns the next offset to send, 0 when there is none.
func parseRange(v string) (int64, bool) {
	v = strings.TrimPrefix(strings.TrimSpace(v), "bytes=")
	if v == "" {
		return 0, true
	}
	_, end, ok := strings.Cut(v, "-")
	n, err := strconv.ParseInt(end, 10, 64)
	if !ok || err != nil || n < -1 {
		return 0, false
	}
	return n + 1, true
}
