package reaper

import (
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The test binary runs Main when asked, so the tests watch a real
// process: its status, its signals and the zombies it reaps.
func TestMain(m *testing.M) {
	if os.Getenv("BERTH_REAPER_TEST") == "1" {
		os.Exit(Main(os.Args[1:]))
	}
	os.Exit(m.Run())
}

func reaper(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], append([]string{"--"}, args...)...)
	cmd.Env = append(os.Environ(), "BERTH_REAPER_TEST=1")
	return cmd
}

func TestStatusPassesThrough(t *testing.T) {
	cmd := reaper("sh", "-c", "exit 7")
	if err := cmd.Run(); cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != 7 {
		t.Fatalf("status: %v", err)
	}
	cmd = reaper("no-such-command-here")
	cmd.Run()
	if got := cmd.ProcessState.ExitCode(); got != 127 {
		t.Errorf("a missing command: status %d, want 127", got)
	}
	cmd = reaper()
	cmd.Run()
	if got := cmd.ProcessState.ExitCode(); got != 125 {
		t.Errorf("no command: status %d, want 125", got)
	}
}

func TestForwardsSignals(t *testing.T) {
	cmd := reaper("sh", "-c", "trap 'echo got-term; exit 3' TERM; echo ready; while :; do sleep 0.05; done")
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 6)
	if _, err := out.Read(buf); err != nil || string(buf) != "ready\n" {
		t.Fatalf("first output %q, %v", buf, err)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	rest := make([]byte, 64)
	n, _ := out.Read(rest)
	cmd.Wait()
	if cmd.ProcessState.ExitCode() != 3 || !strings.Contains(string(rest[:n]), "got-term") {
		t.Fatalf("after SIGTERM: status %d, output %q", cmd.ProcessState.ExitCode(), rest[:n])
	}
}

func TestSignalledChild(t *testing.T) {
	cmd := reaper("sh", "-c", "kill -KILL $$")
	start := time.Now()
	cmd.Run()
	if got := cmd.ProcessState.ExitCode(); got != 137 {
		t.Fatalf("a child killed by SIGKILL: status %d, want 137 (after %v)", got, time.Since(start))
	}
}
