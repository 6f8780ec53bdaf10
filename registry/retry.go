package registry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"syscall"
	"time"
)

// retryStatus reports whether a response status is worth repeating the
// request for: the registry is overloaded or briefly broken.
func retryStatus(code int) bool {
	switch code {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// retryable reports whether a transport error may go away on its own: a
// dropped or reset connection, a timeout. Certificate problems, unknown
// hosts and cancellation will not.
func retryable(ctx context.Context, err error) bool {
	if ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var cverr *tls.CertificateVerificationError
	var uaerr x509.UnknownAuthorityError
	var hnerr x509.HostnameError
	var rherr tls.RecordHeaderError
	if errors.As(err, &cverr) || errors.As(err, &uaerr) || errors.As(err, &hnerr) || errors.As(err, &rherr) {
		return false
	}
	var dnserr *net.DNSError
	if errors.As(err, &dnserr) && dnserr.IsNotFound {
		return false
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed) {
		return true
	}
	var nerr net.Error
	if errors.As(err, &nerr) && nerr.Timeout() {
		return true
	}
	var operr *net.OpError
	return errors.As(err, &operr)
}

// refused reports a connection refused: during the scheme probe that
// means "try the other scheme", not "wait".
func refused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }

// backoff is the delay before retry number attempt+1: RetryDelay doubled
// per attempt, capped.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.opts.RetryDelay << min(attempt, 20)
	return min(d, c.opts.MaxRetryDelay)
}

// retryAfter honours a Retry-After header (seconds or an HTTP date),
// capped, and falls back to the backoff.
func (c *Client) retryAfter(resp *http.Response, attempt int) time.Duration {
	v := resp.Header.Get("Retry-After")
	if v == "" {
		return c.backoff(attempt)
	}
	var d time.Duration
	if secs, err := strconv.Atoi(v); err == nil {
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = time.Until(t)
	} else {
		return c.backoff(attempt)
	}
	return min(max(d, 0), c.opts.MaxRetryDelay)
}

func (c *Client) sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
