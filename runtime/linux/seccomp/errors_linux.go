package seccomp

import (
	"fmt"

	"github.com/berth-oci/berth/errdefs"
)

// fieldError names the part of linux.seccomp that is wrong, in the JSON path
// of config.json ("syscalls[3]"), and carries the errdefs kind.
type fieldError struct {
	field string
	msg   string
	kind  error
}

func (e *fieldError) Error() string { return "seccomp: " + e.field + ": " + e.msg }

func (e *fieldError) Unwrap() error { return e.kind }

func invalid(field, format string, args ...any) error {
	return &fieldError{field: field, msg: fmt.Sprintf(format, args...), kind: errdefs.ErrInvalidArgument}
}

func unavailable(field, format string, args ...any) error {
	return &fieldError{field: field, msg: fmt.Sprintf(format, args...), kind: errdefs.ErrUnavailable}
}
