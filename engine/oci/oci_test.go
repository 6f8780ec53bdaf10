package oci

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/berth-oci/berth/errdefs"
)

func TestLogError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.json")
	os.WriteFile(path, []byte(`{"level":"warning","msg":"ambient capability not raised"}
not json at all
{"level":"error","msg":"first"}
{"level":"error","msg":"exec: \"x\": executable file not found in $PATH"}
`), 0o644)
	err := LogError(path)
	if err == nil || err.Error() != `exec: "x": executable file not found in $PATH` {
		t.Fatalf("LogError = %v", err)
	}
	if ExitCode(err) != 127 {
		t.Errorf("ExitCode(%v) = %d, want 127", err, ExitCode(err))
	}
	os.WriteFile(path, []byte(`{"level":"warning","msg":"only a warning"}`+"\n"), 0o644)
	if err := LogError(path); err != nil {
		t.Errorf("a log with warnings only gave %v", err)
	}
	if err := LogError(filepath.Join(t.TempDir(), "none")); err != nil {
		t.Errorf("a missing log gave %v", err)
	}
}

func TestExitCode(t *testing.T) {
	for msg, want := range map[string]int{
		"exec: \"/etc\": is a directory":             126,
		"open /bin/x: permission denied":             126,
		"exec /bin/x: exec format error":             126,
		"stat /nope: no such file or directory":      127,
		"cgroup: cannot write memory.limit_in_bytes": 125,
	} {
		if got := ExitCode(errors.New(msg)); got != want {
			t.Errorf("ExitCode(%q) = %d, want %d", msg, got, want)
		}
	}
}

func TestLastLine(t *testing.T) {
	if got := lastLine("noise\ntime=\"x\" level=error msg=\"container not running\"\n"); got != "container not running" {
		t.Errorf("lastLine of a text log: %q", got)
	}
	if got := lastLine("plain message\n"); got != "plain message" {
		t.Errorf("lastLine of plain text: %q", got)
	}
}

// A state directory the runtime does not have is reported as not found
// without running it, and delete of it is no error.
func TestMissingContainer(t *testing.T) {
	r := &Runtime{Path: "/nonexistent/runtime", Root: t.TempDir()}
	if _, err := r.State(context.Background(), "abc"); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("State of a missing container: %v", err)
	}
	if err := r.Delete(context.Background(), "abc", true); err != nil {
		t.Errorf("Delete of a missing container: %v", err)
	}
}
