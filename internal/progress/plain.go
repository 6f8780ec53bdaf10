package progress

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// Plain writes one line per blob that reaches an end (done, skipped,
// mounted, failed), for logs and pipes where redrawing makes no sense.
type Plain struct {
	mu     sync.Mutex
	w      io.Writer
	starts map[string]Event
	err    error
}

// NewPlain returns a Plain renderer writing to w.
func NewPlain(w io.Writer) *Plain {
	return &Plain{w: w, starts: map[string]Event{}}
}

// Report writes a line for e when it ends a blob's transfer.
func (p *Plain) Report(e Event) {
	e = stamp(e)
	p.mu.Lock()
	defer p.mu.Unlock()
	var line string
	switch e.Kind {
	case Start:
		p.starts[e.ID] = e
		return
	}
	if start, ok := p.starts[e.ID]; ok && e.Label == "" {
		e.Label = start.Label
	}
	switch e.Kind {
	case Done:
		line = fmt.Sprintf("%s: done, %s", label(e), HumanSize(e.Current))
		if start, ok := p.starts[e.ID]; ok {
			took := e.Time.Sub(start.Time)
			line += fmt.Sprintf(" in %s (%s)", took.Round(time.Millisecond), speed(e.Current, took))
		}
	case Skipped:
		line = label(e) + ": already present"
	case Mounted:
		line = label(e) + ": mounted from another repository"
	case Failed:
		line = fmt.Sprintf("%s: failed: %v", label(e), e.Err)
	default:
		return
	}
	delete(p.starts, e.ID)
	if _, err := fmt.Fprintln(p.w, line); err != nil && p.err == nil {
		p.err = err
	}
}

// Close returns the first error writing to w, if any.
func (p *Plain) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

func label(e Event) string {
	if e.Label == "" {
		return shortID(e.ID)
	}
	return e.Label + " " + shortID(e.ID)
}
