package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/registry/auth"
)

// request is one API call, rebuilt for every attempt.
type request struct {
	method string
	ref    Reference // registry and repository the call is about
	path   string    // "/v2/..."; ignored when url is set
	url    *url.URL  // an absolute URL the registry gave (upload location)
	query  url.Values
	header http.Header
	// body opens the request body afresh for each attempt; nil for none.
	body   func() (io.ReadCloser, error)
	length int64 // Content-Length of body
	scopes []string
	// retry repeats the call on 5xx, 429 and dropped connections. Calls
	// whose repetition needs more than resending (an upload chunk) leave
	// it off and recover themselves.
	retry bool
}

// do sends r, authorising it and answering one authentication challenge,
// and retrying with backoff when r.retry is set. It returns the response
// whatever its status except a 401 that new credentials cannot fix, which
// is an error wrapping ErrUnauthorized. The caller closes the body.
func (c *Client) do(ctx context.Context, r *request) (*http.Response, error) {
	h, err := c.host(r.ref.Registry)
	if err != nil {
		return nil, err
	}
	if err := c.ping(ctx, h); err != nil {
		return nil, err
	}
	challenged := false
	scopes := r.scopes
	for attempt := 0; ; attempt++ {
		req, resp, err := c.send(ctx, h, r, scopes)
		if req == nil {
			return nil, err
		}
		if err != nil {
			if r.retry && attempt < c.opts.Retries && retryable(ctx, err) {
				if err := c.sleep(ctx, c.backoff(attempt)); err != nil {
					return nil, err
				}
				continue
			}
			return nil, transportError(h.name, err)
		}
		c.warn(h.name, resp)
		switch {
		case resp.StatusCode == http.StatusUnauthorized:
			sent := req.Header.Get("Authorization") != ""
			if !challenged && h.auth.Challenged(resp, sent, scopes) {
				// The registry may name the access it wants in the
				// challenge; ask for that too.
				scopes = withChallengeScopes(scopes, resp)
				drain(resp)
				challenged = true
				attempt--
				continue
			}
			return nil, responseError(h.name, resp, "")
		case retryStatus(resp.StatusCode) && r.retry && attempt < c.opts.Retries:
			wait := c.retryAfter(resp, attempt)
			drain(resp)
			if err := c.sleep(ctx, wait); err != nil {
				return nil, err
			}
			continue
		}
		return resp, nil
	}
}

// send makes one attempt of r. The response's body stops with a timeout
// error (worth a retry) when no byte arrives for Options.StallTimeout: a
// connection that hangs halfway through a layer is dropped and resumed,
// not waited on forever. A nil request means r could not be sent at all.
func (c *Client) send(ctx context.Context, h *host, r *request, scopes []string) (*http.Request, *http.Response, error) {
	actx, cancel := context.WithCancel(ctx)
	req, err := c.newRequest(actx, h, r)
	if err != nil {
		cancel()
		return nil, nil, err
	}
	// Credentials go only to the registry itself, never to another host
	// an upload location may point at.
	if req.URL.Host == h.endpoint {
		if err := h.auth.Authorize(ctx, req, r.ref.Repository, scopes); err != nil {
			cancel()
			return nil, nil, err
		}
	}
	resp, err := h.http.Do(req)
	if err != nil {
		cancel()
		return req, nil, err
	}
	resp.Body = newStallGuard(resp.Body, cancel, c.opts.StallTimeout)
	return req, resp, nil
}

// withChallengeScopes adds the scope parameter of a bearer challenge
// (space-separated scopes) to scopes, without duplicates.
func withChallengeScopes(scopes []string, resp *http.Response) []string {
	out := slices.Clone(scopes)
	for _, ch := range auth.ParseChallenges(resp.Header) {
		if ch.Scheme != "bearer" {
			continue
		}
		for _, s := range strings.Fields(ch.Params["scope"]) {
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out
}

func (c *Client) newRequest(ctx context.Context, h *host, r *request) (*http.Request, error) {
	u := r.url
	if u == nil {
		h.mu.Lock()
		u = &url.URL{Scheme: h.scheme, Host: h.endpoint, Path: r.path}
		h.mu.Unlock()
	}
	if len(r.query) > 0 {
		u = cloneURL(u)
		q := u.Query()
		for k, vs := range r.query {
			for _, v := range vs {
				q.Add(k, v)
			}
		}
		u.RawQuery = q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("registry %s: build request: %v: %w", h.name, err, errdefs.ErrInvalidArgument)
	}
	for k, vs := range r.header {
		req.Header[k] = vs
	}
	req.Header.Set("User-Agent", c.opts.UserAgent)
	if r.body != nil {
		body, err := r.body()
		if err != nil {
			return nil, err
		}
		req.Body, req.GetBody, req.ContentLength = body, r.body, r.length
		if r.length == 0 {
			req.Body = http.NoBody
		}
	}
	return req, nil
}

func cloneURL(u *url.URL) *url.URL {
	v := *u
	if u.User != nil {
		user := *u.User
		v.User = &user
	}
	return &v
}

// ping finds out, once per host, whether the registry speaks HTTPS or (where
// allowed) plain HTTP, and records the authentication challenge of /v2/ so
// the first real request can carry credentials.
func (c *Client) ping(ctx context.Context, h *host) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.scheme != "" {
		return nil
	}
	schemes := []string{"https"}
	if c.opts.PlainHTTP || isLoopback(h.name) {
		schemes = append(schemes, "http")
	}
	var firstErr error
	for _, scheme := range schemes {
		err := c.pingScheme(ctx, h, scheme)
		if err == nil {
			h.scheme = scheme
			return nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return firstErr
}

// pingScheme asks scheme://endpoint/v2/ whether a registry answers there.
func (c *Client) pingScheme(ctx context.Context, h *host, scheme string) error {
	resp, err := c.getV2(ctx, h, scheme)
	if err != nil {
		return err
	}
	defer drain(resp)
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusUnauthorized:
		h.auth.Challenged(resp, false, nil)
	default:
		return fmt.Errorf("registry %s: GET %s://%s/v2/ answered %s: not a distribution registry: %w", h.name, scheme, h.endpoint, resp.Status, errdefs.ErrUnavailable)
	}
	return nil
}

func (c *Client) getV2(ctx context.Context, h *host, scheme string) (*http.Response, error) {
	u := scheme + "://" + h.endpoint + "/v2/"
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, fmt.Errorf("registry %s: %v: %w", h.name, err, errdefs.ErrInvalidArgument)
		}
		req.Header.Set("User-Agent", c.opts.UserAgent)
		resp, err := h.http.Do(req)
		switch {
		case err != nil && attempt < c.opts.Retries && retryable(ctx, err) && !refused(err):
		case err != nil:
			return nil, transportError(h.name, err)
		case retryStatus(resp.StatusCode) && attempt < c.opts.Retries:
			drain(resp)
		default:
			return resp, nil
		}
		if err := c.sleep(ctx, c.backoff(attempt)); err != nil {
			return nil, err
		}
	}
}

// drain reads a little of an unwanted body and closes it, so the
// connection can be reused.
func drain(resp *http.Response) {
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}

func transportError(host string, err error) error {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		// url.Error repeats the whole URL; the host is named already.
		err = uerr.Err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("registry %s: %w", host, err)
	}
	msg := err.Error()
	if strings.Contains(msg, "certificate") {
		msg += " (give the registry's CA with --cert-dir, or use --tls-verify=false for a test registry)"
	}
	return fmt.Errorf("registry %s: %s: %w", host, msg, errors.Join(errdefs.ErrUnavailable, err))
}
