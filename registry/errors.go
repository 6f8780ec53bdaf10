package registry

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/registry/auth"
)

// ErrUnauthorized marks a registry refusing the credentials presented (or
// their absence). Test with errors.Is.
var ErrUnauthorized = auth.ErrUnauthorized

// Error is a registry's refusal of a request, with the distribution-spec
// error codes it sent and what the request was about.
type Error struct {
	// Host is the registry as the user named it.
	Host string
	// Status is the HTTP status code.
	Status int
	// Codes are the error entries of the response body, if it had any.
	Codes []ErrorCode
	// What names the object of the request: "tag v2 of repository x".
	What string
}

// ErrorCode is one entry of the "errors" array of a registry's response.
type ErrorCode struct {
	Code    string          `json:"code"`
	Message string          `json:"message"`
	Detail  json.RawMessage `json:"detail,omitempty"`
}

// Error reads "registry HOST: manifest unknown: tag v2 of repository x".
func (e *Error) Error() string {
	if e.Status == http.StatusUnauthorized {
		return fmt.Sprintf("registry %s: %v (check credentials for %s)", e.Host, ErrUnauthorized, e.Host)
	}
	msg := fmt.Sprintf("registry %s: %s", e.Host, e.summary())
	if e.What != "" {
		msg += ": " + e.What
	}
	return msg
}

func (e *Error) summary() string {
	if len(e.Codes) == 0 {
		if e.Status == http.StatusNotFound {
			return "not found"
		}
		return strings.ToLower(fmt.Sprintf("%d %s", e.Status, http.StatusText(e.Status)))
	}
	var parts []string
	for _, c := range e.Codes {
		text := strings.ToLower(strings.ReplaceAll(c.Code, "_", " "))
		if m := strings.ToLower(strings.TrimSpace(c.Message)); m != "" && !strings.HasPrefix(m, text) {
			text += " (" + c.Message + ")"
		}
		parts = append(parts, text)
	}
	return strings.Join(parts, "; ")
}

// Unwrap gives the errdefs kind of the refusal, and ErrUnauthorized for
// 401s, so callers can test with errors.Is.
func (e *Error) Unwrap() []error {
	kinds := []error{e.kind()}
	if e.Status == http.StatusUnauthorized {
		kinds = append(kinds, ErrUnauthorized)
	}
	return kinds
}

func (e *Error) kind() error {
	for _, c := range e.Codes {
		switch c.Code {
		case "BLOB_UNKNOWN", "MANIFEST_UNKNOWN", "NAME_UNKNOWN", "BLOB_UPLOAD_UNKNOWN":
			return errdefs.ErrNotFound
		case "DIGEST_INVALID":
			return errdefs.ErrDigestMismatch
		case "MANIFEST_INVALID", "NAME_INVALID", "SIZE_INVALID", "BLOB_UPLOAD_INVALID", "MANIFEST_BLOB_UNKNOWN", "TAG_INVALID":
			return errdefs.ErrInvalidArgument
		case "UNSUPPORTED":
			return errdefs.ErrNotImplemented
		case "DENIED", "UNAUTHORIZED":
			return errdefs.ErrFailedPrecondition
		case "TOOMANYREQUESTS":
			return errdefs.ErrUnavailable
		}
	}
	switch s := e.Status; {
	case s == http.StatusNotFound:
		return errdefs.ErrNotFound
	case s == http.StatusUnauthorized || s == http.StatusForbidden:
		return errdefs.ErrFailedPrecondition
	case s == http.StatusMethodNotAllowed || s == http.StatusNotImplemented:
		return errdefs.ErrNotImplemented
	case s == http.StatusTooManyRequests || s >= 500:
		return errdefs.ErrUnavailable
	}
	return errdefs.ErrInvalidArgument
}

// HasCode reports whether err is a registry Error carrying code.
func HasCode(err error, code string) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	for _, c := range e.Codes {
		if c.Code == code {
			return true
		}
	}
	return false
}

// responseError reads the body of an unexpected response into an Error and
// closes it.
func responseError(host string, resp *http.Response, what string) error {
	defer resp.Body.Close()
	e := &Error{Host: host, Status: resp.StatusCode, What: what}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var env struct {
		Errors []ErrorCode `json:"errors"`
	}
	if json.Unmarshal(body, &env) == nil {
		e.Codes = env.Errors
	}
	return e
}

// isStatus reports whether err is a registry Error with HTTP status code.
func isStatus(err error, code int) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == code
}

// isRetryStatus reports whether err is a registry Error whose status is
// worth a retry (5xx, 429).
func isRetryStatus(err error) bool {
	var e *Error
	return errors.As(err, &e) && retryStatus(e.Status)
}
