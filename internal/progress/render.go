package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"
)

// Renderer is a Reporter that shows events to a person. Close draws the
// final state and stops any background work; call it once the transfers
// are over.
type Renderer interface {
	Reporter
	Close() error
}

// NewRenderer returns a terminal renderer (bars redrawn in place) when w is
// a terminal and a plain renderer (one line per finished blob) otherwise.
func NewRenderer(w io.Writer) Renderer {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		width, _, err := term.GetSize(int(f.Fd()))
		if err != nil || width <= 0 {
			width = 80
		}
		return NewTerminal(w, width)
	}
	return NewPlain(w)
}

// shortID trims a digest to the 12 hex digits people recognise.
func shortID(id string) string {
	if _, hex, ok := strings.Cut(id, ":"); ok {
		id = hex
	}
	if len(id) > 12 {
		id = id[:12]
	}
	return id
}

// HumanSize formats n bytes with decimal units, as registries and docker do.
func HumanSize(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	f, i := float64(n), 0
	for f >= unit && i < 4 {
		f /= unit
		i++
	}
	return fmt.Sprintf("%.1f %cB", f, "kMGTP"[i-1])
}

// speed formats a transfer rate.
func speed(n int64, d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return HumanSize(int64(float64(n)/d.Seconds())) + "/s"
}

func stamp(e Event) Event {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	return e
}
