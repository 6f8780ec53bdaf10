package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/berth-oci/berth/engine/logfile"
	"github.com/berth-oci/berth/engine/oci"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Stdio connects a container's standard streams to the caller.
type Stdio struct {
	// Stdin feeds the container's stdin (nil: none). An *os.File is handed
	// to the container as it is.
	Stdin io.Reader
	// Stdout and Stderr receive its output (nil: discarded; it is logged
	// either way). A tty container has only Stdout.
	Stdout, Stderr io.Writer
	// Terminal is the user's terminal, whose size a tty container gets
	// and follows.
	Terminal *os.File
}

// session is one run of a container's first process, supervised by this
// process: berth in the foreground, or the container's monitor.
type session struct {
	e      *Engine
	r      *containerRecord
	rt     *oci.Runtime
	stdio  Stdio
	logf   *os.File
	log    *logfile.File
	pid    int
	copies sync.WaitGroup
	closer []io.Closer
}

func (e *Engine) newSession(r *containerRecord, stdio Stdio) (*session, error) {
	f, err := os.OpenFile(e.ctrPath(r.ID, ctrLog), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open the container's log: %w", err)
	}
	return &session{e: e, r: r, rt: e.runtime(r), stdio: stdio, logf: f, log: logfile.New(f)}, nil
}

func (ss *session) close() {
	for _, c := range ss.closer {
		c.Close()
	}
	ss.logf.Close()
}

func (ss *session) runtimeLog() string { return ss.e.ctrPath(ss.r.ID, ctrRuntimeLog) }

// setConsoleSize records the caller's terminal size as the container's
// process.consoleSize: the runtime sizes the pty before the process
// starts, which resizing the master after it arrives would race with.
func (ss *session) setConsoleSize() error {
	if ss.stdio.Terminal == nil {
		return nil
	}
	ws, err := unix.IoctlGetWinsize(int(ss.stdio.Terminal.Fd()), unix.TIOCGWINSZ)
	if err != nil || ws.Row == 0 || ws.Col == 0 {
		return nil
	}
	spec, err := ss.e.readSpec(ss.r.ID)
	if err != nil {
		return err
	}
	spec.Process.ConsoleSize = &specs.Box{Height: uint(ws.Row), Width: uint(ws.Col)}
	return writeSpec(ss.e.ctrDir(ss.r.ID), spec)
}

// runtimeCmd is the runtime's run command for this container.
func (ss *session) runtimeCmd(extra ...string) *exec.Cmd {
	os.Remove(ss.runtimeLog())
	os.Remove(ss.e.ctrPath(ss.r.ID, ctrPidFile))
	args := append([]string{"run", "--bundle", ss.e.ctrDir(ss.r.ID), "--pid-file", ss.e.ctrPath(ss.r.ID, ctrPidFile)}, extra...)
	cmd := ss.rt.Command(context.Background(), ss.runtimeLog(), append(args, ss.r.ID)...)
	// Its own process group: a terminal's ^C reaches berth, which forwards it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd
}

// pump copies a container's stream into w and the log until it closes.
func (ss *session) pump(r *os.File, w io.Writer, stream string) {
	ss.copies.Add(1)
	dst := ss.log.Stream(stream)
	if w != nil {
		dst = io.MultiWriter(dst, w)
	}
	go func() {
		defer ss.copies.Done()
		defer r.Close()
		io.Copy(dst, r)
	}()
}

// runtimeError is the error the runtime logged, as an ExitError with
// podman's status for it; nil when it logged none.
func (ss *session) runtimeError() error {
	err := oci.LogError(ss.runtimeLog())
	if err == nil {
		return nil
	}
	return &ExitError{Code: oci.ExitCode(err), Err: fmt.Errorf("runtime %s: %w", ss.r.Runtime, err)}
}

// runForeground runs the container with the runtime in the foreground
// (one runtime call: it creates, starts, waits and deletes), its stdio
// passed through pipes. It returns the container's exit status.
func (ss *session) runForeground() (int, error) {
	cmd := ss.runtimeCmd()
	if f, ok := ss.stdio.Stdin.(*os.File); ok {
		cmd.Stdin = f
	} else if ss.stdio.Stdin != nil {
		cmd.Stdin = ss.stdio.Stdin
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		return 125, err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		return 125, err
	}
	cmd.Stdout, cmd.Stderr = outW, errW
	err = cmd.Start()
	outW.Close()
	errW.Close()
	if err != nil {
		outR.Close()
		errR.Close()
		return 125, fmt.Errorf("start runtime %s: %w", ss.r.Runtime, err)
	}
	ss.pump(outR, ss.stdio.Stdout, logfile.Stdout)
	ss.pump(errR, ss.stdio.Stderr, logfile.Stderr)
	stop := forwardSignals(func(sig os.Signal) { cmd.Process.Signal(sig) })
	err = cmd.Wait()
	stop()
	ss.copies.Wait()
	if rerr := ss.runtimeError(); rerr != nil {
		return rerr.(*ExitError).Code, rerr
	}
	return exitStatus(cmd.ProcessState, err), nil
}

func exitStatus(ps *os.ProcessState, err error) int {
	if ps == nil {
		return 125
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}

// forwardSignals passes the signals a user sends berth on to the
// container until the returned function is called.
func forwardSignals(to func(os.Signal)) func() {
	ch := make(chan os.Signal, 16)
	signal.Notify(ch, unix.SIGINT, unix.SIGTERM, unix.SIGHUP, unix.SIGQUIT, unix.SIGUSR1, unix.SIGUSR2)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case sig := <-ch:
				to(sig)
			case <-done:
				return
			}
		}
	}()
	return func() { signal.Stop(ch); close(done) }
}

// startDetached starts the container with `run --detach`: the runtime
// returns once it runs, and its first process becomes this process's
// child (this process is a child subreaper). Its stdio are pipes this
// process holds, or a terminal whose master the runtime sends.
func (ss *session) startDetached() error {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("become a subreaper: %w", err)
	}
	var master chan *os.File
	var cmd *exec.Cmd
	if ss.r.Options.Tty {
		if err := ss.setConsoleSize(); err != nil {
			return err
		}
		cs, err := newConsoleSocket(ss.e.runRoot, ss.r.ID)
		if err != nil {
			return err
		}
		defer cs.close()
		master = make(chan *os.File, 1)
		go func() {
			f, err := cs.receive()
			if err != nil {
				f = nil
			}
			master <- f
		}()
		cmd = ss.runtimeCmd("--detach", "--console-socket", cs.path)
	} else {
		cmd = ss.runtimeCmd("--detach")
		if err := ss.pipes(cmd); err != nil {
			return err
		}
	}
	var stderr limitedBuffer
	if cmd.Stderr == nil {
		cmd.Stderr = &stderr
	}
	err := cmd.Run()
	ss.closeChildEnds(cmd)
	if rerr := ss.runtimeError(); rerr != nil {
		return rerr
	}
	if err != nil {
		return &ExitError{Code: 125, Err: fmt.Errorf("runtime %s: %v: %s", ss.r.Runtime, err, stderr.String())}
	}
	if master != nil {
		select {
		case f := <-master:
			if f == nil {
				return &ExitError{Code: 125, Err: errors.New("the runtime sent no terminal")}
			}
			ss.attachTerminal(f)
		case <-time.After(10 * time.Second):
			return &ExitError{Code: 125, Err: errors.New("the runtime sent no terminal")}
		}
	}
	ss.pid, _ = ss.e.pidFromFile(ss.r.ID)
	if ss.pid == 0 {
		return &ExitError{Code: 125, Err: fmt.Errorf("runtime %s wrote no pid file", ss.r.Runtime)}
	}
	return nil
}

// pipes gives cmd (and so the container) pipes for its stdio; the
// container's ends are closed here once the runtime has started.
func (ss *session) pipes(cmd *exec.Cmd) error {
	outR, outW, err := os.Pipe()
	if err != nil {
		return err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = outW, errW
	ss.pump(outR, ss.stdio.Stdout, logfile.Stdout)
	ss.pump(errR, ss.stdio.Stderr, logfile.Stderr)
	switch in := ss.stdio.Stdin.(type) {
	case nil:
		if ss.r.Options.Interactive {
			// Kept open and never written: the container's stdin stays open.
			inR, inW, err := os.Pipe()
			if err != nil {
				return err
			}
			cmd.Stdin = inR
			ss.closer = append(ss.closer, inW)
		}
	case *os.File:
		cmd.Stdin = in
	default:
		inR, inW, err := os.Pipe()
		if err != nil {
			return err
		}
		cmd.Stdin = inR
		go func() { io.Copy(inW, in); inW.Close() }()
	}
	return nil
}

// closeChildEnds closes this process's copies of the pipe ends the
// container holds, so that end of file is seen when it exits.
func (ss *session) closeChildEnds(cmd *exec.Cmd) {
	for _, s := range []any{cmd.Stdout, cmd.Stderr} {
		if f, ok := s.(*os.File); ok {
			f.Close()
		}
	}
	if f, ok := cmd.Stdin.(*os.File); ok && f != ss.stdio.Stdin {
		f.Close()
	}
}

// attachTerminal copies between the terminal master and the caller's
// stdio, and keeps the size of the user's terminal.
func (ss *session) attachTerminal(master *os.File) {
	ss.closer = append(ss.closer, master)
	if ss.stdio.Terminal != nil {
		resize(master, ss.stdio.Terminal)
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, unix.SIGWINCH)
		go func() {
			for range ch {
				resize(master, ss.stdio.Terminal)
			}
		}()
	}
	if ss.stdio.Stdin != nil {
		go io.Copy(master, ss.stdio.Stdin)
	}
	ss.copies.Add(1)
	dst := ss.log.Stream(logfile.Stdout)
	if ss.stdio.Stdout != nil {
		dst = io.MultiWriter(dst, ss.stdio.Stdout)
	}
	go func() {
		defer ss.copies.Done()
		io.Copy(dst, master) // ends with EIO once every holder of the terminal has gone
	}()
}

// waitDetached waits for the container started by startDetached to exit,
// forwarding signals to it, then deletes it from the runtime. It returns
// its exit status.
func (ss *session) waitDetached(forward bool) int {
	stop := func() {}
	if forward {
		stop = forwardSignals(func(sig os.Signal) { unix.Kill(ss.pid, sig.(syscall.Signal)) })
	}
	var ws unix.WaitStatus
	var err error
	for {
		_, err = unix.Wait4(ss.pid, &ws, 0, nil)
		if err != unix.EINTR {
			break
		}
	}
	stop()
	code := -1
	switch {
	case err != nil:
	case ws.Signaled():
		code = 128 + int(ws.Signal())
	default:
		code = ws.ExitStatus()
	}
	reapStrays()
	waitTimeout(&ss.copies, 5*time.Second)
	if err := ss.rt.Delete(context.Background(), ss.r.ID, true); err != nil {
		ss.e.warn("container %s: %v", ss.r.Name, err)
	}
	return code
}

// reapStrays collects the orphans reparented to this subreaper.
func reapStrays() {
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}

// waitTimeout waits for wg, but not longer than d: a process of the
// container that escaped its end may hold a stream open.
func waitTimeout(wg *sync.WaitGroup, d time.Duration) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
	}
}

// limitedBuffer keeps the first 4 KiB written to it.
type limitedBuffer struct{ b []byte }

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := 4096 - len(l.b); room > 0 {
		l.b = append(l.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (l *limitedBuffer) String() string { return string(l.b) }
