package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/berth-oci/berth/engine/snapshot"
	"github.com/berth-oci/berth/errdefs"
)

// Run starts container id in the foreground with its stdio connected to
// stdio (and logged), forwards the signals berth receives to it, and
// returns its exit status once it has ended. A container created with
// Remove is then removed. Errors carry podman's status in an *ExitError:
// 125 for the engine or runtime, 126 and 127 for a command that cannot run.
func (e *Engine) Run(ctx context.Context, id string, stdio Stdio) (int, error) {
	r, err := e.lookupRecord(id)
	if err != nil {
		return 125, err
	}
	ss, err := e.begin(ctx, r, stdio)
	if err != nil {
		e.afterFailedStart(ctx, r, err)
		return exitCodeOf(err), err
	}
	var code int
	if r.Options.Tty {
		if err = ss.startDetached(); err == nil {
			e.recordRunning(ss)
			code = ss.waitDetached(true)
		}
	} else {
		code, err = ss.runForeground()
	}
	ss.close()
	if err != nil {
		code = exitCodeOf(err)
	}
	if ferr := e.finish(ctx, r, code, err); ferr != nil && err == nil {
		return 125, ferr
	}
	return code, err
}

func exitCodeOf(err error) int {
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return 125
}

// begin takes container r from created or exited to starting: under its
// lock, it checks it is not running, mounts and configures it, and
// records this process as its monitor.
func (e *Engine) begin(ctx context.Context, r *containerRecord, stdio Stdio) (*session, error) {
	lk, err := lock(e.ctrPath(r.ID, ctrLock), true)
	if err != nil {
		return nil, err
	}
	defer lk.Unlock()
	if _, err := os.Stat(e.ctrDir(r.ID)); err != nil {
		return nil, &notStartedError{fmt.Errorf("container %s: %w", r.Name, errdefs.ErrNotFound)}
	}
	st := e.currentState(r.ID)
	if st.Status == StatusRunning || st.Status == StatusPaused {
		return nil, &notStartedError{fmt.Errorf("container %s is already running: %w", r.Name, errdefs.ErrFailedPrecondition)}
	}
	s, err := e.prepare(ctx, r)
	if err != nil {
		return nil, err
	}
	ss, err := e.newSession(r, stdio)
	if err != nil {
		return nil, err
	}
	me := os.Getpid()
	err = e.writeState(r.ID, State{
		Status: StatusRunning, MonitorPid: me, MonitorStart: procStart(me),
		Command: s.Process.Args, StartedAt: time.Now().UTC(),
	})
	if err != nil {
		ss.close()
		return nil, err
	}
	return ss, nil
}

// recordRunning notes the container's pid once the runtime started it.
func (e *Engine) recordRunning(ss *session) {
	st, err := e.readState(ss.r.ID)
	if err != nil {
		return
	}
	st.Pid, st.PidStart = ss.pid, procStart(ss.pid)
	e.writeState(ss.r.ID, st)
}

// afterFailedStart cleans up after a start that failed before anything
// ran: the mount goes, the state says why, and a --rm container goes.
func (e *Engine) afterFailedStart(ctx context.Context, r *containerRecord, cause error) {
	var ns *notStartedError
	if errors.As(cause, &ns) {
		return
	}
	e.finish(ctx, r, exitCodeOf(cause), cause)
}

// finish records the end of a run of r: the overlay unmounted, the exit
// status recorded, and the container removed when it was created with
// Remove.
func (e *Engine) finish(ctx context.Context, r *containerRecord, code int, cause error) error {
	if r.Options.Remove {
		err := e.Remove(ctx, r.ID, RemoveOptions{Force: true, Volumes: true, exited: true})
		if errdefsNotFound(err) {
			return nil
		}
		return err
	}
	lk, err := lock(e.ctrPath(r.ID, ctrLock), true)
	if err != nil {
		return err
	}
	defer lk.Unlock()
	if _, err := os.Stat(e.ctrDir(r.ID)); err != nil {
		return nil // removed meanwhile
	}
	if err := e.disconnect(ctx, r); err != nil {
		e.warn("container %s: %v", r.Name, err)
	}
	if err := snapshot.Unmount(e.ctrPath(r.ID, ctrRootfs)); err != nil {
		e.warn("container %s: %v", r.Name, err)
	}
	st, _ := e.readState(r.ID)
	st.Status, st.ExitCode, st.FinishedAt = StatusExited, code, time.Now().UTC()
	st.Pid, st.PidStart, st.MonitorPid, st.MonitorStart = 0, 0, 0, 0
	st.Error = ""
	if cause != nil {
		st.Error = cause.Error()
	}
	return e.writeState(r.ID, st)
}

// notStartedError is a start refused before it changed anything: the
// container runs already, or is gone.
type notStartedError struct{ err error }

func (e *notStartedError) Error() string { return e.err.Error() }
func (e *notStartedError) Unwrap() error { return e.err }
