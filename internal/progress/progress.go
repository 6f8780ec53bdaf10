// Package progress carries per-blob transfer events from the library
// packages that move bytes (registry, layout) to whatever shows them: a
// terminal renderer with one bar per blob, a plain renderer with one line
// per finished blob, or nothing at all.
package progress

import (
	"sync"
	"time"
)

// Kind says what happened to a blob.
type Kind int

const (
	// Start: a transfer of the blob begins; Event.Total is its size.
	Start Kind = iota
	// Bytes: Event.Current bytes of the blob have been transferred so far
	// (cumulative, including bytes resumed from an earlier attempt).
	Bytes
	// Done: the blob was transferred and verified.
	Done
	// Skipped: the blob was already at the destination; nothing moved.
	Skipped
	// Mounted: the registry linked the blob from another repository.
	Mounted
	// Failed: the transfer stopped with Event.Err.
	Failed
)

func (k Kind) String() string {
	switch k {
	case Start:
		return "start"
	case Bytes:
		return "bytes"
	case Done:
		return "done"
	case Skipped:
		return "skipped"
	case Mounted:
		return "mounted"
	case Failed:
		return "failed"
	}
	return "unknown"
}

// Event is one step of one blob's transfer.
type Event struct {
	Kind Kind
	// ID names the blob, normally its digest.
	ID string
	// Label says what the blob is ("layer", "config", "manifest").
	Label string
	// Total is the blob's size in bytes, -1 when unknown.
	Total int64
	// Current is how many bytes have been transferred (Bytes, Done).
	Current int64
	// Err is why the transfer failed (Failed).
	Err error
	// Time is when the event happened; Report fills it when zero.
	Time time.Time
}

// Reporter receives events. Implementations must be safe for concurrent
// use: transfers run in parallel and report from their own goroutines.
// Report must return quickly; it sits on the data path.
type Reporter interface {
	Report(Event)
}

// Discard is a Reporter that drops every event.
var Discard Reporter = discard{}

type discard struct{}

func (discard) Report(Event) {}

// Func adapts a function to a Reporter. The function must be safe for
// concurrent use.
type Func func(Event)

// Report calls f(e).
func (f Func) Report(e Event) { f(e) }

// OrDiscard returns r, or Discard when r is nil, so callers can leave a
// reporter unset.
func OrDiscard(r Reporter) Reporter {
	if r == nil {
		return Discard
	}
	return r
}

// Recorder keeps every event it receives, for tests and summaries.
type Recorder struct {
	mu     sync.Mutex
	events []Event
}

// Report appends e.
func (r *Recorder) Report(e Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

// Events returns a copy of the events received so far.
func (r *Recorder) Events() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.events...)
}

// Count returns how many events of kind k were received.
func (r *Recorder) Count(k Kind) int {
	n := 0
	for _, e := range r.Events() {
		if e.Kind == k {
			n++
		}
	}
	return n
}
