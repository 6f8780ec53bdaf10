// Package logfile writes and reads container logs in the k8s-file format
// podman and CRI runtimes use: one entry per line,
//
//	2006-01-02T15:04:05.999999999Z07:00 stdout F the message
//
// with the stream (stdout or stderr), then F for a full line or P for a
// part of a line that continues in the next entry of the same stream.
package logfile

import (
	"bytes"
	"fmt"
	"io"
	"sync"
	"time"
)

// Stream names.
const (
	Stdout = "stdout"
	Stderr = "stderr"
)

// TimeFormat is the timestamp layout of an entry.
const TimeFormat = time.RFC3339Nano

// File is a log being written, shared by the streams of one container. It
// is safe for concurrent use; each entry is one write.
type File struct {
	mu  sync.Mutex
	w   io.Writer
	buf []byte
	now func() time.Time
}

// New returns a log writing entries to w (an append-only file).
func New(w io.Writer) *File {
	return &File{w: w, now: time.Now}
}

// Stream returns the writer for one stream. Each Write becomes one F entry
// per complete line and a P entry for what follows the last newline, so a
// prompt without a newline is logged at once.
func (f *File) Stream(name string) io.Writer { return &streamWriter{f: f, name: name} }

type streamWriter struct {
	f    *File
	name string
}

func (s *streamWriter) Write(p []byte) (int, error) {
	if err := s.f.write(s.name, p); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (f *File) write(stream string, p []byte) error {
	if len(p) == 0 {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	ts := f.now().Format(TimeFormat)
	f.buf = f.buf[:0]
	for len(p) > 0 {
		line, rest, full := bytes.Cut(p, []byte{'\n'})
		tag := " P "
		if full {
			tag = " F "
		}
		f.buf = append(f.buf, ts...)
		f.buf = append(f.buf, ' ')
		f.buf = append(f.buf, stream...)
		f.buf = append(f.buf, tag...)
		f.buf = append(f.buf, line...)
		f.buf = append(f.buf, '\n')
		p = rest
	}
	if _, err := f.w.Write(f.buf); err != nil {
		return fmt.Errorf("write log: %w", err)
	}
	return nil
}
