package logfile

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fixedClock returns t0, t0+1s, t0+2s... on successive calls.
func fixedClock() func() time.Time {
	t := time.Date(2024, 1, 2, 3, 4, 5, 6, time.UTC)
	return func() time.Time {
		t = t.Add(time.Second)
		return t
	}
}

func TestWriteFormat(t *testing.T) {
	var buf bytes.Buffer
	f := New(&buf)
	f.now = fixedClock()
	f.Stream(Stdout).Write([]byte("one\ntwo\npart"))
	f.Stream(Stderr).Write([]byte("err\n"))
	want := "2024-01-02T03:04:06.000000006Z stdout F one\n" +
		"2024-01-02T03:04:06.000000006Z stdout F two\n" +
		"2024-01-02T03:04:06.000000006Z stdout P part\n" +
		"2024-01-02T03:04:07.000000006Z stderr F err\n"
	if buf.String() != want {
		t.Fatalf("log:\n%s\nwant:\n%s", buf.String(), want)
	}
}

func writeLog(t *testing.T, chunks ...[2]string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ctr.log")
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	f := New(out)
	f.now = fixedClock()
	for _, c := range chunks {
		f.Stream(c[0]).Write([]byte(c[1]))
	}
	return path
}

func readAll(t *testing.T, path string, o ReadOptions) string {
	t.Helper()
	var b strings.Builder
	err := Read(context.Background(), path, o, func(stream string, _ time.Time, line []byte) error {
		b.WriteString(stream + ":" + string(line))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestReadJoinsPartialsAndFilters(t *testing.T) {
	path := writeLog(t, [2]string{Stdout, "a"}, [2]string{Stderr, "e1\n"}, [2]string{Stdout, "b\nc\n"}, [2]string{Stdout, "tail"})
	if got := readAll(t, path, ReadOptions{Tail: -1}); got != "stderr:e1\nstdout:ab\nstdout:c\nstdout:tail" {
		t.Errorf("all: %q", got)
	}
	if got := readAll(t, path, ReadOptions{Tail: 2}); got != "stdout:c\nstdout:tail" {
		t.Errorf("tail 2: %q", got)
	}
	if got := readAll(t, path, ReadOptions{Tail: 0}); got != "" {
		t.Errorf("tail 0: %q", got)
	}
	since := time.Date(2024, 1, 2, 3, 4, 8, 0, time.UTC) // drops the first two entries
	if got := readAll(t, path, ReadOptions{Tail: -1, Since: since}); got != "stdout:b\nstdout:c\nstdout:tail" {
		t.Errorf("since: %q", got)
	}
}

func TestFollowUntilDone(t *testing.T) {
	path := writeLog(t, [2]string{Stdout, "first\n"})
	done := make(chan struct{})
	got := make(chan string)
	go func() {
		var b strings.Builder
		Read(context.Background(), path, ReadOptions{Tail: -1, Follow: true, Done: done, Poll: time.Millisecond}, func(_ string, _ time.Time, l []byte) error {
			b.Write(l)
			return nil
		})
		got <- b.String()
	}()
	out, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	New(out).Stream(Stdout).Write([]byte("second\n"))
	out.Close()
	close(done)
	if s := <-got; s != "first\nsecond\n" {
		t.Fatalf("followed: %q", s)
	}
}

func FuzzParseEntry(f *testing.F) {
	f.Add([]byte("2024-01-02T03:04:05.000000006Z stdout F hello"))
	f.Add([]byte("2024-01-02T03:04:05Z stderr P "))
	f.Add([]byte("2024-01-02T03:04:05Z stdout F"))
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, line []byte) {
		e, err := ParseEntry(line)
		if err != nil {
			return
		}
		if e.Stream == "" || e.Time.IsZero() && !strings.HasPrefix(string(line), "0001") {
			t.Fatalf("parsed %q into %+v", line, e)
		}
	})
}
