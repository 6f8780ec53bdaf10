package runtime

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"
)

// child is a process the runtime forks: a container's init, or a process
// executed in a running container. It is started with syscall.ForkExec,
// not os/exec: os.StartProcess first checks, once per runtime process,
// that pidfds work, which forks and reaps a child of its own on the way
// to every create.
type child struct {
	path  string
	args  []string
	env   []string
	files []*os.File // fd i of the child is files[i]
	attr  *syscall.SysProcAttr

	pid    int
	reaped bool
}

// Start forks and executes the child; it returns once execve succeeded
// or with the error that made it fail.
func (c *child) Start() error {
	fds := make([]uintptr, len(c.files))
	for i, f := range c.files {
		fds[i] = f.Fd()
	}
	pid, err := syscall.ForkExec(c.path, c.args, &syscall.ProcAttr{Env: c.env, Files: fds, Sys: c.attr})
	runtime.KeepAlive(c.files)
	if err != nil {
		return fmt.Errorf("fork/exec %s: %w", c.path, err)
	}
	c.pid = pid
	return nil
}

// started reports whether the child runs or is a zombie yet to be reaped:
// whether its pid is still its own.
func (c *child) started() bool { return c != nil && c.pid > 0 && !c.reaped }

// Kill sends SIGKILL to the child unless it was reaped (its pid may be
// another process's by now).
func (c *child) Kill() error {
	if !c.started() {
		return nil
	}
	return unix.Kill(c.pid, unix.SIGKILL)
}

// Wait reaps the child and returns how it ended.
func (c *child) Wait() (syscall.WaitStatus, error) {
	if !c.started() {
		return 0, errors.New("wait: the process was not started or was reaped already")
	}
	var ws syscall.WaitStatus
	for {
		_, err := syscall.Wait4(c.pid, &ws, 0, nil)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("wait for %d: %w", c.pid, err)
		}
		c.reaped = true
		return ws, nil
	}
}

// waitError is the error of a child that ended as ws did: nil for exit
// status 0.
func waitError(ws syscall.WaitStatus) error {
	switch {
	case ws.Signaled():
		return fmt.Errorf("signal: %v", ws.Signal())
	case ws.ExitStatus() != 0:
		return fmt.Errorf("exit status %d", ws.ExitStatus())
	}
	return nil
}

// exitStatus is a child's exit status the shell way: 128+n when killed by
// signal n.
func exitStatus(ws syscall.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}
