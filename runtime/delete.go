package runtime

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/berth-oci/berth/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Delete removes a stopped container: its cgroup and state, then runs the
// poststop hooks. With force a container that still runs is killed first
// (SIGKILL to all its processes), and a container that does not exist, or
// whose create died half way, is not an error.
func (r *Runtime) Delete(ctx context.Context, id string, force bool) error {
	rec, l, err := r.lockLoad(id)
	if err != nil {
		if force && (errdefs.IsNotFound(err) || errdefs.IsFailedPrecondition(err)) {
			return r.removeOrphanDir(id)
		}
		return err
	}
	defer l.unlock()
	if st := r.status(rec); st != specs.StateStopped {
		if !force {
			return fmt.Errorf("container %s is not stopped (status %s): cannot delete without --force: %w", id, st, errdefs.ErrFailedPrecondition)
		}
		if err := r.stop(rec); err != nil {
			return fmt.Errorf("delete %s: %w", id, err)
		}
	}
	return r.destroy(rec)
}

// stop kills every process of the container and waits for the init.
func (r *Runtime) stop(rec *record) error {
	pidfd, err := openPidfd(rec.Pid, rec.PidStart)
	if errors.Is(err, unix.ESRCH) {
		return nil
	}
	if err != nil {
		return err
	}
	defer unix.Close(pidfd)
	if err := r.signalAll(rec, unix.SIGKILL); err != nil {
		return err
	}
	if err := unix.PidfdSendSignal(pidfd, unix.SIGKILL, nil, 0); err != nil && err != unix.ESRCH {
		return fmt.Errorf("kill init %d: %w", rec.Pid, err)
	}
	return waitPidfd(pidfd)
}

// destroy undoes create (lifecycle step 12) and runs the poststop hooks
// (step 13).
func (r *Runtime) destroy(rec *record) error {
	cg, err := r.loadCgroup(rec)
	if err != nil {
		return err
	}
	if cg != nil {
		if err := cg.Destroy(); err != nil {
			return fmt.Errorf("delete %s: %w", rec.ID, err)
		}
	}
	if err := os.RemoveAll(r.dir(rec.ID)); err != nil {
		return fmt.Errorf("delete %s: remove state: %w", rec.ID, err)
	}
	r.runPoststop(rec)
	return nil
}

// removeOrphanDir removes what a create killed half way left behind.
func (r *Runtime) removeOrphanDir(id string) error {
	if err := checkID(id); err != nil {
		return err
	}
	if err := os.RemoveAll(r.dir(id)); err != nil {
		return fmt.Errorf("delete %s: %w", id, err)
	}
	return nil
}
