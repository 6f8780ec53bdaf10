package engine

import (
	"context"
	"time"

	"github.com/berth-oci/berth/engine/logfile"
)

// LogOptions choose what Logs shows.
type LogOptions struct {
	// Since and Until bound the lines by time (zero: no bound).
	Since, Until time.Time
	// Tail keeps the last Tail lines; negative keeps all.
	Tail int
	// Follow keeps showing new lines until the container stops running.
	Follow bool
}

// Logs calls out with each line of container s's log: its stream, when it
// was written and the line.
func (e *Engine) Logs(ctx context.Context, s string, o LogOptions, out func(stream string, t time.Time, line []byte) error) error {
	r, err := e.lookupRecord(s)
	if err != nil {
		return err
	}
	ro := logfile.ReadOptions{Since: o.Since, Until: o.Until, Tail: o.Tail, Follow: o.Follow}
	if o.Follow {
		done := make(chan struct{})
		ro.Done = done
		go func() {
			defer close(done)
			for {
				st := e.currentState(r.ID)
				if st.Status != StatusRunning && st.Status != StatusPaused {
					return
				}
				select {
				case <-ctx.Done():
					return
				case <-time.After(100 * time.Millisecond):
				}
			}
		}()
	}
	err = logfile.Read(ctx, e.ctrPath(r.ID, ctrLog), ro, out)
	if err != nil && isNotExist(err) {
		return nil // never started: no output
	}
	return err
}
