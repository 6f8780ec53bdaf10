package runtime

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

// RunOpts are the options of run: create's, and how to follow the
// container.
type RunOpts struct {
	CreateOpts
	Detach      bool // return once started
	Keep        bool // do not delete the container after it exits
	NoSubreaper bool
}

// Run creates and starts container id. Detached, it returns 0 once the
// process runs; attached, it forwards signals to the container's init,
// waits for it and returns its exit status (128+n when killed by signal
// n), deleting the container unless Keep.
func (r *Runtime) Run(ctx context.Context, id string, o RunOpts) (int, error) {
	if err := checkID(id); err != nil {
		return 1, err
	}
	r.log().Debug("run: begin", "id", id)
	warmUp()
	var sigs chan os.Signal
	if !o.Detach {
		// First, to overlap with reading the config: see catchSignals.
		var stop func()
		sigs, stop = catchSignals(&o.CreateOpts)
		defer stop()
	}
	rec, err := r.newRecord(id, o.Bundle)
	if err != nil {
		return 1, err
	}
	r.log().Debug("run: config read", "id", id)
	var tty *ttyRelay
	if !o.Detach {
		if !o.NoSubreaper {
			if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
				return 1, fmt.Errorf("become subreaper: %w", err)
			}
		}
		if tty, err = r.attachConsole(&o.CreateOpts, rec.Spec.Process); err != nil {
			return 1, err
		}
	}
	// create and start in one go: the init does not wait on exec.fifo.
	o.noWait = true
	c, err := r.create(ctx, id, o.CreateOpts, rec)
	if tty != nil {
		tty.closeChildEnd()
	}
	if err != nil {
		return 1, err
	}
	if tty != nil {
		if err := tty.receive(); err != nil {
			r.Delete(ctx, id, true)
			return 1, err
		}
		defer tty.restore()
	}
	if err := r.startCreated(ctx, c); err != nil {
		c.cmd.Wait()
		r.Delete(ctx, id, true)
		return 1, err
	}
	r.log().Debug("run: started", "id", id)
	if o.Detach {
		return 0, nil
	}
	status := r.follow(c, sigs, tty)
	r.log().Debug("run: exited", "id", id, "status", status)
	if tty != nil {
		tty.drain()
	}
	if !o.Keep {
		if err := r.Delete(ctx, id, true); err != nil {
			return status, err
		}
		r.log().Debug("run: deleted", "id", id)
	}
	return status, nil
}

// startCreated finishes the start of a container created with noWait:
// the process was executed (or failed to be), then the poststart hooks.
func (r *Runtime) startCreated(ctx context.Context, c *creation) error {
	if err := c.s.waitExec(); err != nil {
		return fmt.Errorf("start %s: %w", c.rec.ID, err)
	}
	if err := r.runPoststart(ctx, c.rec); err != nil {
		r.killInit(c.rec, unix.SIGKILL)
		return fmt.Errorf("start %s: %w", c.rec.ID, err)
	}
	return nil
}

// catchSignals catches every signal, to forward to the container's
// process, from before that process can exist so that none is lost.
// Enabling every signal costs the Go runtime one round trip between two
// of its threads per signal (2-3 ms here, more on a busy host): it runs
// while the config is read, the container prepared and the init boots,
// and the init is sent its bootstrap only once it is done (through
// o.beforeBootstrap). A signal that ends the runtime before then ends the
// init too, which sees its socket close before it did anything. stop
// undoes it in the background: it is as slow.
func catchSignals(o *CreateOpts) (sigs chan os.Signal, stop func()) {
	sigs = make(chan os.Signal, 128)
	notified := make(chan struct{})
	go func() {
		signal.Notify(sigs)
		close(notified)
	}()
	o.beforeBootstrap = func() { <-notified }
	return sigs, func() { go func() { <-notified; signal.Stop(sigs) }() }
}

// follow forwards signals to the init until it exits, and returns its
// exit status the shell way.
func (r *Runtime) follow(c *creation, sigs chan os.Signal, tty *ttyRelay) int {
	done := make(chan int, 1)
	go func() {
		ws, err := c.cmd.Wait()
		if err != nil {
			done <- 255
			return
		}
		done <- exitStatus(ws)
	}()
	for {
		select {
		case status := <-done:
			return status
		case s := <-sigs:
			sig := s.(syscall.Signal)
			switch sig {
			case unix.SIGCHLD, unix.SIGURG:
				// Children reparented to us are reaped by exit; SIGURG is
				// the Go runtime's own.
			case unix.SIGWINCH:
				if tty != nil {
					tty.resize()
				}
			default:
				r.killInit(c.rec, sig)
			}
		}
	}
}
