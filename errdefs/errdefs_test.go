package errdefs

import (
	"fmt"
	"testing"
)

func TestKindsSurviveWrapping(t *testing.T) {
	cases := []struct {
		kind error
		is   func(error) bool
	}{
		{ErrNotFound, IsNotFound},
		{ErrAlreadyExists, IsAlreadyExists},
		{ErrInvalidArgument, IsInvalidArgument},
		{ErrFailedPrecondition, IsFailedPrecondition},
		{ErrUnavailable, IsUnavailable},
		{ErrDigestMismatch, IsDigestMismatch},
		{ErrNotImplemented, IsNotImplemented},
	}
	for i, c := range cases {
		wrapped := fmt.Errorf("outer: %w", fmt.Errorf("inner: %w", c.kind))
		if !c.is(wrapped) {
			t.Errorf("%v: not recognised through two wraps", c.kind)
		}
		other := cases[(i+1)%len(cases)].kind
		if c.is(other) {
			t.Errorf("%v: matches the unrelated kind %v", c.kind, other)
		}
	}
}
