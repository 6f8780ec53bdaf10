// Package errdefs holds the kinds of error that berth's packages return, so
// that callers can tell them apart with errors.Is whatever the wrapping.
//
// A package wraps a kind with context:
//
//	fmt.Errorf("blob %s: %w", d, errdefs.ErrNotFound)
//
// and a caller tests it with errors.Is(err, errdefs.ErrNotFound) or with the
// Is* helpers below.
package errdefs

import "errors"

var (
	// ErrNotFound: the named object (blob, image, tag, container) does not exist.
	ErrNotFound = errors.New("not found")
	// ErrAlreadyExists: an object with that name or digest exists already.
	ErrAlreadyExists = errors.New("already exists")
	// ErrInvalidArgument: the input is malformed or breaks a rule of a spec.
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrFailedPrecondition: the object is in the wrong state for the operation
	// (deleting a running container, starting a stopped one).
	ErrFailedPrecondition = errors.New("failed precondition")
	// ErrUnavailable: a peer (registry, kernel feature, tool) cannot be reached or used.
	ErrUnavailable = errors.New("unavailable")
	// ErrDigestMismatch: content does not hash to the digest that names it,
	// or its size differs from the size its descriptor declares.
	ErrDigestMismatch = errors.New("digest mismatch")
	// ErrNotImplemented: the operation is recognised but berth does not do it.
	ErrNotImplemented = errors.New("not implemented")
)

// IsNotFound reports whether err is or wraps ErrNotFound.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// IsAlreadyExists reports whether err is or wraps ErrAlreadyExists.
func IsAlreadyExists(err error) bool { return errors.Is(err, ErrAlreadyExists) }

// IsInvalidArgument reports whether err is or wraps ErrInvalidArgument.
func IsInvalidArgument(err error) bool { return errors.Is(err, ErrInvalidArgument) }

// IsFailedPrecondition reports whether err is or wraps ErrFailedPrecondition.
func IsFailedPrecondition(err error) bool { return errors.Is(err, ErrFailedPrecondition) }

// IsUnavailable reports whether err is or wraps ErrUnavailable.
func IsUnavailable(err error) bool { return errors.Is(err, ErrUnavailable) }

// IsDigestMismatch reports whether err is or wraps ErrDigestMismatch.
func IsDigestMismatch(err error) bool { return errors.Is(err, ErrDigestMismatch) }

// IsNotImplemented reports whether err is or wraps ErrNotImplemented.
func IsNotImplemented(err error) bool { return errors.Is(err, ErrNotImplemented) }
