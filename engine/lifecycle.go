package engine

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/berth-oci/berth/errdefs"
	"golang.org/x/sys/unix"
)

// ParseSignal parses a signal by name (TERM, SIGTERM, sigterm) or number.
func ParseSignal(s string) (syscall.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil && n > 0 && n < 65 {
		return syscall.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	return 0, fmt.Errorf("signal %q is unknown: %w", s, errdefs.ErrInvalidArgument)
}

// Kill sends sig to the first process of the running container s.
func (e *Engine) Kill(ctx context.Context, s string, sig syscall.Signal) error {
	r, err := e.lookupRecord(s)
	if err != nil {
		return err
	}
	if st := e.currentState(r.ID); st.Status != StatusRunning && st.Status != StatusPaused {
		return fmt.Errorf("container %s is not running: %w", r.Name, errdefs.ErrFailedPrecondition)
	}
	return e.kill(ctx, r, sig, false)
}

func (e *Engine) kill(ctx context.Context, r *containerRecord, sig syscall.Signal, all bool) error {
	err := e.runtime(r).Kill(ctx, r.ID, sig, all)
	if err == nil {
		return nil
	}
	// A foreground run whose runtime has not written its state yet, or
	// one whose runtime state is gone: signal the process itself.
	st := e.currentState(r.ID)
	if st.Pid > 0 && alive(st.Pid, st.PidStart) {
		return unix.Kill(st.Pid, sig)
	}
	if st.Status != StatusRunning && st.Status != StatusPaused {
		return nil
	}
	return fmt.Errorf("kill container %s: %w", r.Name, err)
}

// stopSignal is the signal that asks container r to stop: its own, its
// image's, or SIGTERM.
func (e *Engine) stopSignal(ctx context.Context, r *containerRecord) syscall.Signal {
	name := r.Options.StopSignal
	if name == "" {
		if cfg, err := e.readConfig(ctx, &Image{ID: r.ImageID, Config: r.ImageConfig}); err == nil {
			name = cfg.Config.StopSignal
		}
	}
	if sig, err := ParseSignal(name); err == nil && name != "" {
		return sig
	}
	return unix.SIGTERM
}

// Stop asks the running container s to stop with its stop signal, waits
// timeout (its own stop timeout when negative) and then kills it. A
// container that is not running is left as it is.
func (e *Engine) Stop(ctx context.Context, s string, timeout time.Duration) error {
	r, err := e.lookupRecord(s)
	if err != nil {
		return err
	}
	if st := e.currentState(r.ID); st.Status != StatusRunning && st.Status != StatusPaused {
		return nil
	}
	if timeout < 0 {
		timeout = DefaultStopTimeout * time.Second
		if r.Options.StopTimeout != nil {
			timeout = time.Duration(*r.Options.StopTimeout) * time.Second
		}
	}
	if st := e.currentState(r.ID); st.Status == StatusPaused {
		e.runtime(r).Resume(ctx, r.ID)
	}
	if timeout > 0 {
		if err := e.kill(ctx, r, e.stopSignal(ctx, r), false); err != nil {
			return err
		}
		if e.waitExit(ctx, r, timeout) {
			return nil
		}
	}
	if err := e.kill(ctx, r, unix.SIGKILL, true); err != nil {
		return err
	}
	if !e.waitExit(ctx, r, 30*time.Second) {
		return fmt.Errorf("container %s did not stop after SIGKILL: %w", r.Name, errdefs.ErrUnavailable)
	}
	return nil
}

// waitExit waits up to d for container r to be recorded as ended (or to
// be removed), reporting whether it was.
func (e *Engine) waitExit(ctx context.Context, r *containerRecord, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for delay := time.Millisecond; ; delay = min(delay*2, 50*time.Millisecond) {
		st := e.currentState(r.ID)
		if st.Status == StatusExited || st.Status == StatusCreated {
			return true
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false
		}
		time.Sleep(delay)
	}
}

// Wait waits for container s to end and returns its exit status. A
// container that is not running returns its last status at once.
func (e *Engine) Wait(ctx context.Context, s string) (int, error) {
	r, err := e.lookupRecord(s)
	if err != nil {
		return -1, err
	}
	for delay := time.Millisecond; ; delay = min(delay*2, 100*time.Millisecond) {
		st := e.currentState(r.ID)
		switch st.Status {
		case StatusExited:
			return st.ExitCode, nil
		case StatusCreated:
			return 0, nil
		}
		if _, err := e.lookupRecord(r.ID); err != nil {
			return -1, fmt.Errorf("container %s was removed: %w", r.Name, errdefs.ErrNotFound)
		}
		select {
		case <-ctx.Done():
			return -1, ctx.Err()
		case <-time.After(delay):
		}
	}
}

// Restart stops container s (as Stop) and starts it again detached.
func (e *Engine) Restart(ctx context.Context, s string, timeout time.Duration) error {
	if err := e.Stop(ctx, s, timeout); err != nil {
		return err
	}
	return e.Start(ctx, s)
}

// Pause freezes every process of the running container s; Unpause thaws.
func (e *Engine) Pause(ctx context.Context, s string) error   { return e.setPaused(ctx, s, true) }
func (e *Engine) Unpause(ctx context.Context, s string) error { return e.setPaused(ctx, s, false) }

func (e *Engine) setPaused(ctx context.Context, s string, pause bool) error {
	r, err := e.lookupRecord(s)
	if err != nil {
		return err
	}
	lk, err := lock(e.ctrPath(r.ID, ctrLock), true)
	if err != nil {
		return err
	}
	defer lk.Unlock()
	st := e.currentState(r.ID)
	want, from := StatusPaused, StatusRunning
	op := e.runtime(r).Pause
	if !pause {
		want, from, op = StatusRunning, StatusPaused, e.runtime(r).Resume
	}
	if st.Status != from {
		return fmt.Errorf("container %s is %s, not %s: %w", r.Name, st.Status, from, errdefs.ErrFailedPrecondition)
	}
	if err := op(ctx, r.ID); err != nil {
		return err
	}
	st.Status = want
	return e.writeState(r.ID, st)
}
