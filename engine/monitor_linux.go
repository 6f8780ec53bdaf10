package engine

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"

	"github.com/berth-oci/berth/errdefs"
	"golang.org/x/sys/unix"
)

// MonitorVerb is the hidden berth verb that runs a container's monitor.
const MonitorVerb = "__monitor"

// Start starts container s detached: a monitor process (berth re-executed,
// in a session of its own, not a child of this process) runs it, owns its
// stdio, writes its log, records its exit status and cleans up after it.
// Start returns once the container runs, or with the reason it could not
// start.
func (e *Engine) Start(ctx context.Context, s string) error {
	r, err := e.lookupRecord(s)
	if err != nil {
		return err
	}
	// Mounting and configuring here, not in the monitor, reports a bad
	// command (126, 127) or mount straight to the caller.
	ss, err := e.begin(ctx, r, Stdio{})
	if err != nil {
		e.afterFailedStart(ctx, r, err)
		return err
	}
	ss.close()
	if err := e.spawnMonitor(r); err != nil {
		e.finish(ctx, r, exitCodeOf(err), err)
		return err
	}
	return nil
}

// spawnMonitor starts the monitor of r and waits for its word: "ok" once
// the container runs, or the error that stopped it. The monitor is started
// through a first stage that starts the real monitor and exits at once,
// so the monitor is orphaned (adopted by init) and this process leaves no
// child behind.
func (e *Engine) spawnMonitor(r *containerRecord) error {
	self, err := e.self()
	if err != nil {
		return err
	}
	rd, wr, err := os.Pipe()
	if err != nil {
		return err
	}
	defer rd.Close()
	cmd := exec.Command(self, e.monitorArgs(r.ID, 1)...)
	cmd.ExtraFiles = []*os.File{wr}
	err = cmd.Run()
	wr.Close()
	if err != nil {
		return fmt.Errorf("start the monitor of %s: %w", r.Name, err)
	}
	line, err := bufio.NewReader(rd).ReadString('\n')
	line = strings.TrimSpace(line)
	switch {
	case line == "ok":
		return nil
	case err != nil && line == "":
		return fmt.Errorf("the monitor of %s ended without a word: %w", r.Name, errdefs.ErrUnavailable)
	}
	code, msg, _ := strings.Cut(line, " ")
	ee := &ExitError{Code: 125, Err: errors.New(msg)}
	fmt.Sscan(code, &ee.Code)
	return ee
}

func (e *Engine) monitorArgs(id string, stage int) []string {
	return []string{MonitorVerb, "--root", e.root, "--runroot", e.runRoot, "--stage", fmt.Sprint(stage), id}
}

// MonitorMain is the monitor process: berth re-executed with MonitorVerb
// and the arguments monitorArgs gives. It returns the process's exit status.
func MonitorMain(args []string) int {
	fs := flag.NewFlagSet(MonitorVerb, flag.ContinueOnError)
	root := fs.String("root", "", "")
	runRoot := fs.String("runroot", "", "")
	stage := fs.Int("stage", 2, "")
	if fs.Parse(args) != nil || fs.NArg() != 1 {
		return 125
	}
	id := fs.Arg(0)
	ready := os.NewFile(3, "ready")
	if *stage == 1 {
		return monitorStage1(ready, *root, *runRoot, id)
	}
	e, err := Open(Options{Root: *root, RunRoot: *runRoot})
	if err != nil {
		fmt.Fprintf(ready, "125 %s\n", oneLine(err))
		return 125
	}
	if err := e.monitor(id, ready); err != nil {
		return 1
	}
	return 0
}

// monitorStage1 starts the real monitor in a session of its own, with no
// stdio, and returns at once.
func monitorStage1(ready *os.File, root, runRoot, id string) int {
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintf(ready, "125 %s\n", oneLine(err))
		return 125
	}
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		fmt.Fprintf(ready, "125 %s\n", oneLine(err))
		return 125
	}
	e := &Engine{root: root, runRoot: runRoot}
	cmd := exec.Command(self, e.monitorArgs(id, 2)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, devnull, devnull
	cmd.ExtraFiles = []*os.File{ready}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.Dir = "/"
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(ready, "125 %s\n", oneLine(err))
		return 125
	}
	return 0
}

// monitor runs container id detached and supervises it until it ends.
func (e *Engine) monitor(id string, ready io.WriteCloser) error {
	ctx := context.Background()
	signal.Ignore(unix.SIGHUP, unix.SIGINT, unix.SIGTERM, unix.SIGPIPE)
	r, err := e.lookupRecord(id)
	if err != nil {
		fmt.Fprintf(ready, "125 %s\n", oneLine(err))
		return err
	}
	ss, err := e.newSession(r, Stdio{})
	if err == nil {
		err = ss.startDetached()
	}
	if err != nil {
		fmt.Fprintf(ready, "%d %s\n", exitCodeOf(err), oneLine(err))
		ready.Close()
		if ss != nil {
			ss.close()
		}
		e.finish(ctx, r, exitCodeOf(err), err)
		return err
	}
	st, _ := e.readState(id)
	me := os.Getpid()
	st.Pid, st.PidStart, st.MonitorPid, st.MonitorStart = ss.pid, procStart(ss.pid), me, procStart(me)
	e.writeState(id, st)
	fmt.Fprintln(ready, "ok")
	ready.Close()
	code := ss.waitDetached(false)
	ss.close()
	return e.finish(ctx, r, code, nil)
}

func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", "; ") }
