package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestRunPrintsAndExits(t *testing.T) {
	r := newRT(t)
	b := r.bundle(sh("echo hello; exit 3"), nil)
	out, _, code := r.run(b, "exit3")
	if out != "hello\n" || code != 3 {
		t.Fatalf("run = %q, exit %d; want hello, exit 3", out, code)
	}
	if ids := strings.TrimSpace(r.ok("list", "-q")); ids != "" {
		t.Fatalf("run left containers behind: %q", ids)
	}
}

func TestCreateStartStateDelete(t *testing.T) {
	r := newRT(t)
	dir := t.TempDir()
	b := r.bundle(sh("touch /shared/started; sleep 100"), func(s *specs.Spec) { bindHost(s, dir, "/shared") })
	pidFile := filepath.Join(t.TempDir(), "pid")
	r.ok("create", "--bundle", b, "--pid-file", pidFile, "c1")

	st := r.state("c1")
	if st["status"] != "created" || st["bundle"] != b || st["id"] != "c1" || st["ociVersion"] == "" {
		t.Fatalf("state after create = %v", st)
	}
	pid, _ := os.ReadFile(pidFile)
	if fmt.Sprint(st["pid"]) != string(pid) {
		t.Fatalf("pid file %q, state pid %v", pid, st["pid"])
	}
	// The user process must not run before start.
	time.Sleep(50 * time.Millisecond)
	if _, err := os.Stat(filepath.Join(dir, "started")); err == nil {
		t.Fatal("the process ran before start")
	}
	if e := r.fails("delete", "c1"); !strings.Contains(e, "not stopped") {
		t.Fatalf("delete of a created container: %q", e)
	}
	r.ok("start", "c1")
	if _, err := os.Stat(filepath.Join(dir, "started")); err != nil {
		// start returns once the process was executed; give it a moment to run.
		waitFor(t, func() bool { _, err := os.Stat(filepath.Join(dir, "started")); return err == nil })
	}
	if st := r.state("c1"); st["status"] != "running" {
		t.Fatalf("state after start = %v", st["status"])
	}
	if e := r.fails("start", "c1"); !strings.Contains(e, "container c1 is not created (status running): cannot start") {
		t.Fatalf("second start: %q", e)
	}
	if e := r.fails("delete", "c1"); !strings.Contains(e, "not stopped") {
		t.Fatalf("delete of a running container: %q", e)
	}
	r.ok("kill", "c1", "KILL")
	waitFor(t, func() bool { return r.state("c1")["status"] == "stopped" })
	if e := r.fails("kill", "c1"); !strings.Contains(e, "not running") {
		t.Fatalf("kill of a stopped container: %q", e)
	}
	r.ok("delete", "c1")
	if e := r.fails("state", "c1"); !strings.Contains(e, "does not exist") {
		t.Fatalf("state after delete: %q", e)
	}
}

func TestDeleteForceRunning(t *testing.T) {
	r := newRT(t)
	b := r.bundle([]string{"sleep", "100"}, nil)
	r.ok("run", "-d", "--bundle", b, "f1")
	pid := int(r.state("f1")["pid"].(float64))
	r.ok("delete", "--force", "f1")
	if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil {
		if s, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); !strings.Contains(string(s), ") Z") {
			t.Fatalf("process %d still runs after delete --force", pid)
		}
	}
	r.ok("delete", "--force", "f1") // gone already: still not an error with --force
	r.fails("delete", "f1")
}

func TestKillExitStatus(t *testing.T) {
	r := newRT(t)
	b := r.bundle([]string{"sleep", "100"}, nil)
	c := r.cmd("run", "--bundle", b, "k1")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		out, _, err := r.exec("state", "k1")
		return err == nil && strings.Contains(out, `"running"`)
	})
	r.ok("kill", "k1", "9")
	err := c.Wait()
	if c.ProcessState.ExitCode() != 137 {
		t.Fatalf("run after SIGKILL: %v, exit %d, want 137", err, c.ProcessState.ExitCode())
	}
}

func TestRunForwardsSignals(t *testing.T) {
	r := newRT(t)
	b := r.bundle(sh("trap 'echo got TERM; exit 7' TERM; echo ready; while true; do sleep 0.05; done"), nil)
	c := r.cmd("run", "--bundle", b, "sig1")
	out := &syncBuffer{}
	c.Stdout = out
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return strings.Contains(out.String(), "ready") })
	c.Process.Signal(syscallTERM)
	c.Wait()
	if code := c.ProcessState.ExitCode(); code != 7 || !strings.Contains(out.String(), "got TERM") {
		t.Fatalf("after SIGTERM to run: exit %d, output %q", code, out.String())
	}
}

func TestWrongStateAndBadInput(t *testing.T) {
	r := newRT(t)
	if e := r.fails("start", "nope"); !strings.Contains(e, "does not exist") {
		t.Fatalf("start of a missing container: %q", e)
	}
	if e := r.fails("state", "../etc"); !strings.Contains(e, "invalid container id") {
		t.Fatalf("bad id: %q", e)
	}
	b := r.bundle([]string{"true"}, nil)
	r.ok("create", "--bundle", b, "dup")
	if e := r.fails("create", "--bundle", b, "dup"); !strings.Contains(e, "already exists") {
		t.Fatalf("second create: %q", e)
	}
	if e := r.fails("kill", "dup", "NOSUCHSIG"); !strings.Contains(e, "unknown signal") {
		t.Fatalf("bad signal: %q", e)
	}
	r.ok("delete", "--force", "dup")
	bad := r.bundle([]string{"true"}, func(s *specs.Spec) { s.Process.Cwd = "relative" })
	if e := r.fails("create", "--bundle", bad, "bad"); !strings.Contains(e, "process.cwd") {
		t.Fatalf("relative cwd: %q", e)
	}
	if _, err := os.Stat(filepath.Join(r.root, "bad")); err == nil {
		t.Fatal("a refused create left its state directory")
	}
	noexe := r.bundle([]string{"/no/such/binary"}, nil)
	_, stderr, code := r.run(noexe, "noexe")
	if code == 0 || !strings.Contains(stderr, "no such file") {
		t.Fatalf("run of a missing binary: exit %d, %q", code, stderr)
	}
	if strings.TrimSpace(r.ok("list", "-q")) != "" {
		t.Fatal("failed runs left containers behind")
	}
}

func TestListAndFeatures(t *testing.T) {
	r := newRT(t)
	b := r.bundle([]string{"true"}, nil)
	r.ok("create", "--bundle", b, "l1")
	var list []map[string]any
	if err := json.Unmarshal([]byte(r.ok("list", "--format", "json")), &list); err != nil || len(list) != 1 {
		t.Fatalf("list json: %v %v", list, err)
	}
	if list[0]["id"] != "l1" || list[0]["status"] != "created" || list[0]["owner"] != "root" {
		t.Fatalf("list entry: %v", list[0])
	}
	if tab := r.ok("ls"); !strings.HasPrefix(tab, "ID") || !strings.Contains(tab, "l1") {
		t.Fatalf("list table: %q", tab)
	}
	var f map[string]any
	if err := json.Unmarshal([]byte(r.ok("features")), &f); err != nil {
		t.Fatal(err)
	}
	if f["ociVersionMax"] != specs.Version || f["linux"].(map[string]any)["selinux"].(map[string]any)["enabled"] != false {
		t.Fatalf("features: %v", f)
	}
}

func TestConcurrentContainers(t *testing.T) {
	r := newRT(t)
	const n = 4
	bundles := make([]string, n)
	for i := range bundles {
		bundles[i] = r.bundle(sh(fmt.Sprintf("echo %d", i)), nil)
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			out, stderr, err := r.exec("run", "--bundle", bundles[i], fmt.Sprintf("par%d", i))
			if err != nil || out != fmt.Sprintf("%d\n", i) {
				errs <- fmt.Errorf("container %d: %v: %q %s", i, err, out, stderr)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	// No deadline of its own: a condition that never holds is a hang
	// that go test's -timeout reports with every goroutine's stack.
	for !cond() {
		time.Sleep(10 * time.Millisecond)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
