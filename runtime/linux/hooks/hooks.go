// Package hooks runs runtime-spec hooks: each with the container state on
// its standard input, its own args and env, and its timeout.
package hooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Run runs list in order and stops at the first failure. kind names the
// hook kind for error messages ("createRuntime", ...). state is the JSON of
// the container state as seen from where the hooks run.
func Run(ctx context.Context, kind string, list []specs.Hook, state []byte) error {
	for i, h := range list {
		if err := runOne(ctx, h, state); err != nil {
			return fmt.Errorf("%s hook #%d (%s): %w", kind, i, h.Path, err)
		}
	}
	return nil
}

// RunEach runs every hook of list even when some fail (poststop: the
// remaining hooks and the lifecycle go on) and returns the failures.
func RunEach(ctx context.Context, kind string, list []specs.Hook, state []byte) []error {
	var errs []error
	for i, h := range list {
		if err := runOne(ctx, h, state); err != nil {
			errs = append(errs, fmt.Errorf("%s hook #%d (%s): %w", kind, i, h.Path, err))
		}
	}
	return errs
}

func runOne(ctx context.Context, h specs.Hook, state []byte) error {
	if h.Timeout != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(*h.Timeout)*time.Second)
		defer cancel()
	}
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, h.Path)
	cmd.Args = h.Args
	if len(cmd.Args) == 0 {
		cmd.Args = []string{h.Path}
	}
	cmd.Env = h.Env // nil inherits the runtime's environment, as runc does
	cmd.Stdin = bytes.NewReader(state)
	cmd.Stdout = &out
	cmd.Stderr = &out
	// A hook that leaves a child holding its output must not hang us.
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	if err == nil {
		return nil
	}
	if ctx.Err() == context.DeadlineExceeded {
		err = fmt.Errorf("timed out after %ds", *h.Timeout)
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) && exitErr.ProcessState != nil {
		err = fmt.Errorf("%s", exitErr.ProcessState)
	}
	if s := strings.TrimSpace(out.String()); s != "" {
		return fmt.Errorf("%w, output: %s", err, s)
	}
	return err
}

// Validate checks what the spec requires of every hook: an absolute path
// and a positive timeout.
func Validate(kind string, list []specs.Hook) error {
	for i, h := range list {
		if !strings.HasPrefix(h.Path, "/") {
			return fmt.Errorf("%s hook #%d: path %q is not absolute", kind, i, h.Path)
		}
		if h.Timeout != nil && *h.Timeout <= 0 {
			return fmt.Errorf("%s hook #%d: timeout %d is not greater than zero", kind, i, *h.Timeout)
		}
	}
	return nil
}
