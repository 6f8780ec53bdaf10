package runtime

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/berth-oci/berth/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// lockLoad takes the lock of container id and reads its state under it.
func (r *Runtime) lockLoad(id string) (*record, *lock, error) {
	if err := checkID(id); err != nil {
		return nil, nil, err
	}
	l, err := lockDir(r.dir(id))
	if errors.Is(err, unix.ENOENT) {
		return nil, nil, fmt.Errorf("container %s does not exist: %w", id, errdefs.ErrNotFound)
	}
	if err != nil {
		return nil, nil, err
	}
	rec, err := r.load(id)
	if err != nil {
		l.unlock()
		return nil, nil, err
	}
	return rec, l, nil
}

func wrongState(id string, status specs.ContainerState, want, op string) error {
	return fmt.Errorf("container %s is not %s (status %s): cannot %s: %w", id, want, status, op, errdefs.ErrFailedPrecondition)
}

// Start runs the user process of a created container and its poststart
// hooks. It returns once the process was executed (or failed to be).
func (r *Runtime) Start(ctx context.Context, id string) error {
	rec, l, err := r.lockLoad(id)
	if err != nil {
		return err
	}
	defer l.unlock()
	if st := r.status(rec); st != specs.StateCreated {
		return wrongState(id, st, "created", "start")
	}
	if rec.Spec.Process == nil {
		return fmt.Errorf("start %s: config has no process: %w", id, errdefs.ErrInvalidArgument)
	}
	if err := r.releaseInit(rec); err != nil {
		return fmt.Errorf("start %s: %w", id, err)
	}
	if err := r.runPoststart(ctx, rec); err != nil {
		r.killInit(rec, unix.SIGKILL)
		return fmt.Errorf("start %s: %w", id, err)
	}
	return nil
}

// releaseInit opens exec.fifo, which lets the init go on to execute the
// user process, and reads what the init reports: end of file when the
// execve succeeded (the fifo is close-on-exec) or an error message when it
// did not.
func (r *Runtime) releaseInit(rec *record) error {
	pidfd, err := openPidfd(rec.Pid, rec.PidStart)
	if err != nil {
		return fmt.Errorf("init %d is gone: %w", rec.Pid, err)
	}
	defer unix.Close(pidfd)
	path := filepath.Join(r.dir(rec.ID), fifoFile)
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer unix.Close(fd)
	// Removed whatever happens next: the init runs on or dies.
	defer os.Remove(path)
	var got []byte
	buf := make([]byte, 4096)
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}, {Fd: int32(pidfd), Events: unix.POLLIN}}
	for {
		if _, err := unix.Poll(fds, -1); err != nil {
			if err == unix.EINTR {
				continue
			}
			return fmt.Errorf("wait for init: %w", err)
		}
		if fds[0].Revents != 0 {
			n, err := unix.Read(fd, buf)
			switch {
			case err == unix.EAGAIN || err == unix.EINTR:
				continue
			case err != nil:
				return fmt.Errorf("read %s: %w", path, err)
			case n > 0:
				got = append(got, buf[:n]...)
				continue
			}
			// End of file: the init had the fifo open (the kernel reports
			// a hang-up only once a writer came and went) and closed it,
			// by executing the process or by dying after its message.
			if len(got) > 0 {
				return errors.New(string(got))
			}
			return nil
		}
		if fds[1].Revents != 0 {
			return fmt.Errorf("init %d exited before the process started", rec.Pid)
		}
	}
}

// killInit signals the container's init, if it is still the same process.
func (r *Runtime) killInit(rec *record, sig unix.Signal) error {
	pidfd, err := openPidfd(rec.Pid, rec.PidStart)
	if err != nil {
		return err
	}
	defer unix.Close(pidfd)
	return unix.PidfdSendSignal(pidfd, sig, nil, 0)
}
