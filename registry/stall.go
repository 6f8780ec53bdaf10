package registry

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"
	"time"
)

// stallGuard cancels a response whose body sends nothing for d while it is
// being read. Time between reads (a slow consumer) does not count.
type stallGuard struct {
	rc      io.ReadCloser
	cancel  context.CancelFunc
	d       time.Duration
	timer   *time.Timer
	stalled atomic.Bool
}

func newStallGuard(rc io.ReadCloser, cancel context.CancelFunc, d time.Duration) io.ReadCloser {
	g := &stallGuard{rc: rc, cancel: cancel, d: d}
	g.timer = time.AfterFunc(time.Hour, func() {
		g.stalled.Store(true)
		cancel()
	})
	g.timer.Stop()
	return g
}

func (g *stallGuard) Read(p []byte) (int, error) {
	g.timer.Reset(g.d)
	n, err := g.rc.Read(p)
	g.timer.Stop()
	if err != nil && err != io.EOF && g.stalled.Load() {
		err = stallError{g.d}
	}
	return n, err
}

// Close ends the request: its context is cancelled once the body is done.
func (g *stallGuard) Close() error {
	g.timer.Stop()
	err := g.rc.Close()
	g.cancel()
	return err
}

// stallError is a timeout, so retryable treats it as a dropped connection.
type stallError struct{ d time.Duration }

func (e stallError) Error() string   { return fmt.Sprintf("connection stalled: no data for %s", e.d) }
func (e stallError) Timeout() bool   { return true }
func (e stallError) Temporary() bool { return true }
