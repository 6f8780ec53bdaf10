package progress

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// Terminal draws one line per blob (a bar, bytes and speed while it moves,
// its outcome once it ends) and redraws them in place a few times a second.
type Terminal struct {
	mu    sync.Mutex
	w     io.Writer
	width int
	order []string
	blobs map[string]*blobState
	drawn int // lines drawn last time, to move the cursor back over
	err   error
	stop  chan struct{}
	done  chan struct{}
}

type blobState struct {
	label   string
	total   int64
	current int64
	start   time.Time
	end     time.Time
	status  string // empty while moving
}

// redrawEvery paces the redraws: often enough to look alive, rarely enough
// to cost nothing next to the transfer.
const redrawEvery = 150 * time.Millisecond

// NewTerminal returns a Terminal drawing lines of at most width columns on w.
func NewTerminal(w io.Writer, width int) *Terminal {
	t := &Terminal{w: w, width: width, blobs: map[string]*blobState{}, stop: make(chan struct{}), done: make(chan struct{})}
	go t.loop()
	return t
}

// Report records e; the next redraw shows it.
func (t *Terminal) Report(e Event) {
	e = stamp(e)
	t.mu.Lock()
	defer t.mu.Unlock()
	b, ok := t.blobs[e.ID]
	if !ok {
		b = &blobState{label: label(e), total: e.Total, start: e.Time}
		t.blobs[e.ID] = b
		t.order = append(t.order, e.ID)
	}
	switch e.Kind {
	case Start:
		b.total, b.start = e.Total, e.Time
	case Bytes:
		b.current = e.Current
	case Done:
		b.current, b.end, b.status = e.Current, e.Time, "done"
	case Skipped:
		b.end, b.status = e.Time, "already present"
	case Mounted:
		b.end, b.status = e.Time, "mounted"
	case Failed:
		b.end, b.status = e.Time, "failed"
		if e.Err != nil {
			b.status += ": " + e.Err.Error()
		}
	}
}

func (t *Terminal) loop() {
	defer close(t.done)
	tick := time.NewTicker(redrawEvery)
	defer tick.Stop()
	for {
		select {
		case <-t.stop:
			return
		case <-tick.C:
			t.mu.Lock()
			t.draw()
			t.mu.Unlock()
		}
	}
}

// Close draws the final state and stops redrawing.
func (t *Terminal) Close() error {
	close(t.stop)
	<-t.done
	t.mu.Lock()
	defer t.mu.Unlock()
	t.draw()
	return t.err
}

func (t *Terminal) draw() {
	var sb strings.Builder
	if t.drawn > 0 {
		fmt.Fprintf(&sb, "\x1b[%dA", t.drawn)
	}
	now := time.Now()
	for _, id := range t.order {
		sb.WriteString("\x1b[2K")
		sb.WriteString(fit(t.blobs[id].line(now, t.width), t.width))
		sb.WriteByte('\n')
	}
	t.drawn = len(t.order)
	if _, err := io.WriteString(t.w, sb.String()); err != nil && t.err == nil {
		t.err = err
	}
}

func (b *blobState) line(now time.Time, width int) string {
	if b.status != "" && b.status != "done" {
		return fmt.Sprintf("%-20s %s", b.label, b.status)
	}
	end := now
	if !b.end.IsZero() {
		end = b.end
	}
	sizes := HumanSize(b.current)
	if b.total >= 0 {
		sizes += " / " + HumanSize(b.total)
	}
	tail := fmt.Sprintf("%s  %s", sizes, speed(b.current, end.Sub(b.start)))
	if b.status == "done" {
		tail += "  done"
	}
	barWidth := width - 20 - len(tail) - 5
	return fmt.Sprintf("%-20s %s  %s", b.label, bar(b.current, b.total, barWidth), tail)
}

func bar(cur, total int64, width int) string {
	if width < 10 {
		return ""
	}
	if width > 40 {
		width = 40
	}
	filled := 0
	if total > 0 {
		filled = int(float64(width) * float64(cur) / float64(total))
	}
	filled = min(max(filled, 0), width)
	return "[" + strings.Repeat("=", filled) + strings.Repeat(" ", width-filled) + "]"
}

func fit(s string, width int) string {
	if width > 0 && len(s) > width {
		return s[:width]
	}
	return s
}
