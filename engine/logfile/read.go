package logfile

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"time"
)

// Entry is one entry of a log.
type Entry struct {
	Time   time.Time
	Stream string
	// Partial is true for a P entry: Message continues in the next entry.
	Partial bool
	Message []byte
}

// ParseEntry parses one line of a log (without its newline).
func ParseEntry(line []byte) (Entry, error) {
	ts, rest, ok1 := bytes.Cut(line, []byte{' '})
	stream, rest, ok2 := bytes.Cut(rest, []byte{' '})
	tag, msg, ok3 := bytes.Cut(rest, []byte{' '})
	if !ok3 && ok2 && len(rest) == 1 {
		tag, msg, ok3 = rest, nil, true
	}
	if !ok1 || !ok2 || !ok3 || (string(tag) != "F" && string(tag) != "P") {
		return Entry{}, fmt.Errorf("log line %q: not TIME STREAM F|P MESSAGE", truncate(line))
	}
	t, err := time.Parse(TimeFormat, string(ts))
	if err != nil {
		return Entry{}, fmt.Errorf("log line %q: %w", truncate(line), err)
	}
	return Entry{Time: t, Stream: string(stream), Partial: string(tag) == "P", Message: msg}, nil
}

func truncate(b []byte) []byte {
	if len(b) > 80 {
		return b[:80]
	}
	return b
}

// ReadOptions choose what Read shows.
type ReadOptions struct {
	// Since drops entries before it (zero keeps all).
	Since time.Time
	// Until drops entries after it (zero keeps all).
	Until time.Time
	// Tail keeps only the last Tail lines (negative keeps all).
	Tail int
	// Follow keeps reading as the log grows until Done is closed (then
	// reads what remains).
	Follow bool
	Done   <-chan struct{}
	// Poll is how often a followed log is checked; 0 means 50ms.
	Poll time.Duration
}

// Read writes the log at path to out as lines: out receives, per line, its
// stream, the time of its first entry, and the line (with its newline
// when the line is complete).
func Read(ctx context.Context, path string, o ReadOptions, out func(stream string, t time.Time, line []byte) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("read log: %w", err)
	}
	defer f.Close()
	r := &reader{o: o, out: out, partial: map[string][]byte{}, first: map[string]time.Time{}}
	br := bufio.NewReaderSize(f, 64<<10)
	if o.Tail >= 0 {
		// Without follow, a last partial line is a line of the tail.
		if err := r.collectTail(br, !o.Follow); err != nil {
			return err
		}
	} else if err := r.drain(br); err != nil {
		return err
	}
	if !o.Follow {
		if o.Tail >= 0 {
			return nil
		}
		return r.flushPartial()
	}
	return r.follow(ctx, br)
}

type reader struct {
	o       ReadOptions
	out     func(string, time.Time, []byte) error
	partial map[string][]byte
	first   map[string]time.Time
	pending []byte // a line read without its newline yet
}

// next returns the next complete line of br, or nil at its current end.
func (r *reader) next(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadBytes('\n')
	if err == io.EOF {
		r.pending = append(r.pending, line...)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if len(r.pending) > 0 {
		line = append(r.pending, line...)
		r.pending = nil
	}
	return line[:len(line)-1], nil
}

// entry turns log entries into lines, joining partial entries.
func (r *reader) entry(e Entry) error {
	if !r.o.Since.IsZero() && e.Time.Before(r.o.Since) {
		return nil
	}
	if !r.o.Until.IsZero() && e.Time.After(r.o.Until) {
		return nil
	}
	if _, ok := r.first[e.Stream]; !ok {
		r.first[e.Stream] = e.Time
	}
	r.partial[e.Stream] = append(r.partial[e.Stream], e.Message...)
	if e.Partial {
		return nil
	}
	line := append(r.partial[e.Stream], '\n')
	t := r.first[e.Stream]
	delete(r.partial, e.Stream)
	delete(r.first, e.Stream)
	return r.out(e.Stream, t, line)
}

func (r *reader) drain(br *bufio.Reader) error {
	for {
		line, err := r.next(br)
		if err != nil || line == nil {
			return err
		}
		if e, err := ParseEntry(line); err == nil {
			if err := r.entry(e); err != nil {
				return err
			}
		}
	}
}

// collectTail reads to the end keeping the last Tail lines, then emits them.
func (r *reader) collectTail(br *bufio.Reader, flush bool) error {
	type held struct {
		stream string
		t      time.Time
		line   []byte
	}
	var lines []held
	out := r.out
	r.out = func(s string, t time.Time, l []byte) error {
		lines = append(lines, held{s, t, append([]byte(nil), l...)})
		if len(lines) > r.o.Tail {
			lines = lines[1:]
		}
		return nil
	}
	err := r.drain(br)
	if err == nil && flush {
		err = r.flushPartial()
	}
	r.out = out
	if err != nil {
		return err
	}
	for _, h := range lines {
		if r.o.Tail == 0 {
			break
		}
		if err := out(h.stream, h.t, h.line); err != nil {
			return err
		}
	}
	return nil
}

func (r *reader) flushPartial() error {
	for _, s := range []string{Stdout, Stderr} {
		if p := r.partial[s]; len(p) > 0 {
			if err := r.out(s, r.first[s], p); err != nil {
				return err
			}
		}
	}
	return nil
}

func (r *reader) follow(ctx context.Context, br *bufio.Reader) error {
	poll := r.o.Poll
	if poll == 0 {
		poll = 50 * time.Millisecond
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		if err := r.drain(br); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-r.o.Done:
			if err := r.drain(br); err != nil {
				return err
			}
			return r.flushPartial()
		case <-t.C:
		}
	}
}
