package progress

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

func events(id string) []Event {
	t0 := time.Unix(1000, 0)
	return []Event{
		{Kind: Start, ID: id, Label: "layer", Total: 2_000_000, Time: t0},
		{Kind: Bytes, ID: id, Current: 1_000_000, Time: t0.Add(time.Second)},
		{Kind: Done, ID: id, Current: 2_000_000, Time: t0.Add(2 * time.Second)},
	}
}

func TestPlainOneLinePerFinishedBlob(t *testing.T) {
	var buf bytes.Buffer
	p := NewPlain(&buf)
	for _, e := range events("sha256:0123456789abcdef0123") {
		p.Report(e)
	}
	p.Report(Event{Kind: Skipped, ID: "sha256:aaaaaaaaaaaaaaaa", Label: "config"})
	p.Report(Event{Kind: Mounted, ID: "sha256:bbbbbbbbbbbbbbbb", Label: "layer"})
	p.Report(Event{Kind: Failed, ID: "sha256:cccccccccccccccc", Label: "layer", Err: errors.New("boom")})
	p.Report(Event{Kind: Done, ID: "sha256:dddddddddddddddd", Label: "manifest", Current: 1200})
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	want := "layer 0123456789ab: done, 2.0 MB in 2s (1.0 MB/s)\n" +
		"config aaaaaaaaaaaa: already present\n" +
		"layer bbbbbbbbbbbb: mounted from another repository\n" +
		"layer cccccccccccc: failed: boom\n" +
		"manifest dddddddddddd: done, 1.2 kB\n"
	if buf.String() != want {
		t.Fatalf("plain output:\n%s\nwant:\n%s", buf.String(), want)
	}
}

func TestTerminalDrawsBarsAndOutcome(t *testing.T) {
	var buf bytes.Buffer
	r := NewTerminal(&buf, 100)
	for _, e := range events("sha256:0123456789abcdef0123") {
		r.Report(e)
	}
	r.Report(Event{Kind: Skipped, ID: "sha256:aaaaaaaaaaaaaaaa", Label: "config"})
	r.Report(Event{Kind: Failed, ID: "sha256:eeeeeeeeeeeeeeee", Label: "layer"}) // no Err: no panic
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"layer 0123456789ab", "[====", "2.0 MB / 2.0 MB", "1.0 MB/s", "done", "config aaaaaaaaaaaa", "already present"} {
		if !strings.Contains(out, want) {
			t.Errorf("terminal output lacks %q:\n%q", want, out)
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if len(line) > 100+len("\x1b[2K")+len("\x1b[9A") {
			t.Errorf("line wider than the terminal: %q", line)
		}
	}
}

func TestNewRendererPlainWhenNotATerminal(t *testing.T) {
	if _, ok := NewRenderer(&bytes.Buffer{}).(*Plain); !ok {
		t.Fatal("a buffer should get the plain renderer")
	}
}

func TestHumanSize(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 999: "999 B", 1000: "1.0 kB", 1_500_000: "1.5 MB", 3_200_000_000: "3.2 GB"} {
		if got := HumanSize(n); got != want {
			t.Errorf("HumanSize(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestRecorderCounts(t *testing.T) {
	var r Recorder
	var rep Reporter = &r
	rep.Report(Event{Kind: Skipped})
	rep.Report(Event{Kind: Skipped})
	OrDiscard(nil).Report(Event{Kind: Done})
	if r.Count(Skipped) != 2 || r.Count(Done) != 0 {
		t.Fatalf("counts: %v", r.Events())
	}
}
