// Package reaper is the init of a container run with --init: berth
// re-executed as the container's first process. It starts the command as
// its child, forwards every signal it gets to it, reaps the zombies that
// the container's orphans become, and exits with the command's status
// once the command ends.
package reaper

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

// Verb is the argument berth is run with as a container's init.
const Verb = "__init"

// early receives every signal from the process's first moments when it
// runs as an init. Go's runtime would otherwise end the process (with
// status 2, since the kernel ignores an init's own fatal signals) on a
// SIGTERM arriving before Main: a stop right after the start. This
// package has few imports, so its init runs before the heavy package
// initializations of the berth binary.
var early chan os.Signal

func init() {
	if len(os.Args) > 1 && os.Args[1] == Verb {
		early = make(chan os.Signal, 64)
		signal.Notify(early)
	}
}

// Main runs args (after an optional "--") as the child and returns the
// status to exit with: the child's, or 128+n when a signal n killed it.
// Signals that arrived before the child started are passed on to it.
func Main(args []string) int {
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "berth-init: no command")
		return 125
	}
	sigs := early
	if sigs == nil {
		sigs = make(chan os.Signal, 64)
		signal.Notify(sigs)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	// The child leads its own process group in the foreground of the
	// terminal, if any, so job control inside works as without an init.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Foreground: isTerminal(0), Ctty: 0}
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "berth-init: %v\n", err)
		if os.IsNotExist(err) || isNotFound(err) {
			return 127
		}
		return 126
	}
	child := cmd.Process.Pid
	for sig := range sigs {
		s := sig.(syscall.Signal)
		if s == unix.SIGURG {
			continue // the Go runtime's own preemption signal
		}
		if s != unix.SIGCHLD {
			// To the child's group, as tini -g: a shell's own children too.
			if unix.Kill(-child, s) != nil {
				unix.Kill(child, s)
			}
			continue
		}
		if status, done := reap(child); done {
			return status
		}
	}
	return 0
}

// reap collects every exited child and reports the status of child if it
// was among them.
func reap(child int) (int, bool) {
	status, done := 0, false
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return status, done
		}
		if pid == child {
			done = true
			if ws.Signaled() {
				status = 128 + int(ws.Signal())
			} else {
				status = ws.ExitStatus()
			}
		}
	}
}

func isTerminal(fd int) bool {
	_, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	return err == nil
}

func isNotFound(err error) bool {
	var ee *exec.Error
	if e, ok := err.(*exec.Error); ok {
		ee = e
	}
	return ee != nil && ee.Err == exec.ErrNotFound
}
