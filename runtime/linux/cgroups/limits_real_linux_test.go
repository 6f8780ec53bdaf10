package cgroups

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/berth-oci/berth/internal/fixture"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// eventually polls cond until it holds. The bound only keeps a broken
// kernel or test from hanging the run; nothing here is timed.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 4000 {
		if cond() {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("gave up waiting for %s", what)
}

// SAFETY: the forking shell runs only once the host has seen it inside a
// cgroup whose pids.max is 20; it forks at most 200 children, each sleeping
// 5 seconds, and Destroy kills them all when the test ends.
func TestRealPidsLimitStopsForks(t *testing.T) {
	const limit = 20
	m := realV1(t, &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptr(int64(limit))}})
	// Files, not pipes: the sleeping children inherit them, and Wait would
	// wait for a pipe's last writer.
	tmp := t.TempDir()
	out, err := os.Create(filepath.Join(tmp, "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	errOut, err := os.Create(filepath.Join(tmp, "err"))
	if err != nil {
		t.Fatal(err)
	}
	defer errOut.Close()
	// ash gives up at the first fork the kernel refuses ("can't fork").
	script := `read go || exit 100
i=0
while [ $i -lt 200 ]; do
	sleep 5 &
	i=$((i+1))
	echo $i
done
echo finished`
	cmd := exec.Command(fixture.BusyboxPath, "sh", "-c", script)
	cmd.Stdout, cmd.Stderr = out, errOut
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	if err := m.Add(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	dir := hostDirOf(t, cmd.Process.Pid, "pids")
	if got := mustRead(t, dir, "pids.max"); dir != m.paths["pids"] || got != strconv.Itoa(limit) {
		t.Fatalf("the shell is in %s with pids.max %s; refusing to let it fork", dir, got)
	}
	if _, err := stdin.Write([]byte("go\n")); err != nil {
		t.Fatal(err)
	}
	waitErr := cmd.Wait()

	data, err := os.ReadFile(out.Name())
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := os.ReadFile(errOut.Name())
	if err != nil {
		t.Fatal(err)
	}
	forked := len(strings.Fields(string(data)))
	t.Logf("forked %d children before the kernel refused; shell said %q", forked, bytes.TrimSpace(stderr))
	if waitErr == nil || forked >= limit || forked == 0 || !bytes.Contains(stderr, []byte("fork")) {
		t.Errorf("shell exit %v after %d forks (stderr %q); want it stopped by the kernel below %d", waitErr, forked, stderr, limit)
	}
	if cur, err := readUint(dir, "pids.current"); err != nil || cur > limit {
		t.Errorf("pids.current = %d, %v; want at most %d", cur, err, limit)
	}
	if ev, err := keyValues(dir, "pids.events"); err == nil && ev["max"] == 0 {
		t.Errorf("pids.events counts no refused fork: %v", ev)
	}
}

// SAFETY: the helper allocates only once the host has seen it inside a
// cgroup limited to 32 MiB, and asks for 128 MiB at most.
func TestRealMemoryLimitOOM(t *testing.T) {
	const limit = 32 << 20
	// Swappiness 0 and memory+swap = memory keep a host with swap from
	// swapping the helper out instead of killing it.
	m := realV1(t, &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(int64(limit)), Swap: ptr(int64(limit)), Swappiness: ptr(uint64(0))}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events, err := m.OOMEvents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	h := startHelper(t, "alloc", "128")
	pid := h.cmd.Process.Pid
	if err := m.Add(pid); err != nil {
		t.Fatal(err)
	}
	dir := hostDirOf(t, pid, "memory")
	if got, err := readUint(dir, "memory.limit_in_bytes"); dir != m.paths["memory"] || err != nil || got != limit {
		t.Fatalf("the helper is in %s with limit %d (%v); refusing to let it allocate", dir, got, err)
	}
	h.goAhead(t)
	var last string
	for {
		line, err := h.out.ReadString('\n')
		if err != nil {
			break
		}
		last = strings.TrimSpace(line)
		if last == "done" {
			t.Fatal("the helper allocated 128 MiB under a 32 MiB limit")
		}
	}
	var exit *exec.ExitError
	if err := h.cmd.Wait(); !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("helper ended with %v after %q; want killed by the OOM killer", err, last)
	}
	select {
	case <-events:
	case <-time.After(30 * time.Second): // a safety net, not a timing
		t.Fatal("no OOM event after the OOM kill")
	}
	if kv, err := keyValues(dir, "memory.oom_control"); err != nil || kv["oom_kill"] == 0 {
		t.Errorf("memory.oom_control = %v, %v; want oom_kill counted", kv, err)
	}

	// Removing the cgroup ends the event stream.
	if err := m.Destroy(); err != nil {
		t.Fatal(err)
	}
	select {
	case _, open := <-events:
		if open {
			t.Error("an OOM event after Destroy")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("OOM channel still open after Destroy")
	}
}

func readCounter(t *testing.T, file string) int {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	return n
}

func TestRealFreezeThaw(t *testing.T) {
	m := realV1(t, nil)
	file := filepath.Join(t.TempDir(), "counter")
	h := startHelper(t, "count", file)
	if err := m.Add(h.cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	h.goAhead(t)
	eventually(t, "the counter to start", func() bool { return readCounter(t, file) > 0 })

	if err := m.Freeze(); err != nil {
		t.Fatal(err)
	}
	if p, err := m.Paused(); err != nil || !p {
		t.Fatalf("Paused() = %v, %v after Freeze", p, err)
	}
	frozen := readCounter(t, file)
	time.Sleep(100 * time.Millisecond) // a hundred ticks of the counter, were it running
	if got := readCounter(t, file); got != frozen {
		t.Errorf("counter moved from %d to %d while frozen", frozen, got)
	}

	if err := m.Thaw(); err != nil {
		t.Fatal(err)
	}
	if p, err := m.Paused(); err != nil || p {
		t.Fatalf("Paused() = %v, %v after Thaw", p, err)
	}
	eventually(t, "the counter to resume", func() bool { return readCounter(t, file) > frozen })
}

// Signal reaches every process, and a paused cgroup stays paused after a
// signal other than SIGKILL.
func TestRealSignal(t *testing.T) {
	m := realV1(t, nil)
	a, b := start(t, "sleep", "30"), start(t, "sleep", "30")
	for _, c := range []*exec.Cmd{a, b} {
		if err := m.Add(c.Process.Pid); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Freeze(); err != nil {
		t.Fatal(err)
	}
	if err := m.Signal(unix.SIGCONT); err != nil {
		t.Fatal(err)
	}
	if p, err := m.Paused(); err != nil || !p {
		t.Errorf("Paused() = %v, %v after SIGCONT to a paused cgroup", p, err)
	}
	if err := m.Signal(unix.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := m.Thaw(); err != nil { // frozen tasks handle SIGTERM once thawed
		t.Fatal(err)
	}
	for _, c := range []*exec.Cmd{a, b} {
		var exit *exec.ExitError
		if err := c.Wait(); !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGTERM {
			t.Errorf("pid %d: %v, want killed by SIGTERM", c.Process.Pid, err)
		}
	}
}

func TestRealSetLive(t *testing.T) {
	m := realV1(t, &specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: ptr(int64(64 << 20)), Swappiness: ptr(uint64(0))}, // no swapping out below
		Pids:   &specs.LinuxPids{Limit: ptr(int64(10))},
		CPU:    &specs.LinuxCPU{Quota: ptr(int64(20000)), Period: ptr(uint64(100000))},
	})
	h := startHelper(t, "alloc", "16")
	if err := m.Add(h.cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	mem := m.paths["memory"]
	if got := mustRead(t, mem, "memory.limit_in_bytes"); got != strconv.Itoa(64<<20) {
		t.Fatalf("memory limit %s before the helper allocates", got)
	}
	h.goAhead(t)
	for {
		line, err := h.out.ReadString('\n')
		if err != nil {
			t.Fatalf("helper stopped before allocating 16 MiB: %v", err)
		}
		if line == "done\n" {
			break
		}
	}

	swap := exists(mem, "memory.memsw.limit_in_bytes")
	type step struct {
		r     specs.LinuxResources
		files map[string]string // "ctrl/file" → value
	}
	steps := []step{
		{specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(int64(128 << 20)), Swap: ptr(int64(256 << 20))}},
			map[string]string{"memory/memory.limit_in_bytes": "134217728", "memory/memory.memsw.limit_in_bytes": "268435456"}},
		{specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(int64(48 << 20)), Swap: ptr(int64(48 << 20))}},
			map[string]string{"memory/memory.limit_in_bytes": "50331648", "memory/memory.memsw.limit_in_bytes": "50331648"}},
		{specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptr(int64(50))}}, map[string]string{"pids/pids.max": "50"}},
		{specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptr(int64(-1))}}, map[string]string{"pids/pids.max": "max"}},
		{specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: ptr(int64(30000)), Period: ptr(uint64(50000))}},
			map[string]string{"cpu/cpu.cfs_quota_us": "30000", "cpu/cpu.cfs_period_us": "50000"}},
		{specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: ptr(int64(-1)), Shares: ptr(uint64(2048))}},
			map[string]string{"cpu/cpu.cfs_quota_us": "-1", "cpu/cpu.shares": "2048"}},
	}
	if exists(m.paths["cpu"], "cpu.idle") { // Linux 5.15
		// The kernel refuses shares while idle: leaving idle goes first.
		steps = append(steps,
			step{specs.LinuxResources{CPU: &specs.LinuxCPU{Idle: ptr(int64(1))}}, map[string]string{"cpu/cpu.idle": "1"}},
			step{specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: ptr(uint64(512)), Idle: ptr(int64(0))}},
				map[string]string{"cpu/cpu.idle": "0", "cpu/cpu.shares": "512"}})
	}
	for i, s := range steps {
		if err := m.Set(&s.r); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		for key, want := range s.files {
			ctrl, file, _ := strings.Cut(key, "/")
			if file == "memory.memsw.limit_in_bytes" && !swap {
				continue
			}
			wantFile(t, m.paths[ctrl], file, want)
		}
	}

	// A limit below what the helper holds: v1 refuses it, and the error
	// names the file, the value and the usage; the old limit stays.
	err := m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(int64(4 << 20))}})
	if !errors.Is(err, unix.EBUSY) || !strings.Contains(err.Error(), `memory.limit_in_bytes "4194304"`) || !strings.Contains(err.Error(), "usage") {
		t.Errorf("limit below usage: %v; want EBUSY naming memory.limit_in_bytes, the value and the usage", err)
	}
	wantFile(t, mem, "memory.limit_in_bytes", "50331648")
}

func TestRealStatsMove(t *testing.T) {
	m := realV1(t, &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(int64(64 << 20))}, Pids: &specs.LinuxPids{Limit: ptr(int64(50))}})
	h := startHelper(t, "alloc", "8")
	if err := m.Add(h.cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	before, err := m.Stats()
	if err != nil {
		t.Fatal(err)
	}
	h.goAhead(t)
	for {
		line, err := h.out.ReadString('\n')
		if err != nil {
			t.Fatalf("helper stopped: %v", err)
		}
		if line == "done\n" {
			break
		}
	}
	after, err := m.Stats()
	if err != nil {
		t.Fatal(err)
	}
	// Most of the 8 MiB: pages the Go runtime faulted in before the move
	// stay charged to the old cgroup.
	if after.Memory.Usage.Usage < before.Memory.Usage.Usage+4<<20 || after.Memory.Usage.Limit != 64<<20 {
		t.Errorf("memory usage %d → %d (limit %d); want about 8 MiB more under a 64 MiB limit", before.Memory.Usage.Usage, after.Memory.Usage.Usage, after.Memory.Usage.Limit)
	}
	if after.CPU.Usage.Total <= before.CPU.Usage.Total || len(after.CPU.Usage.Percpu) == 0 {
		t.Errorf("cpu usage %d → %d, percpu %v; want it to grow", before.CPU.Usage.Total, after.CPU.Usage.Total, after.CPU.Usage.Percpu)
	}
	if after.Pids.Current == 0 || after.Pids.Limit != 50 {
		t.Errorf("pids %+v, want the helper's tasks under a limit of 50", after.Pids)
	}
	if len(after.Memory.Raw) == 0 || len(after.CPUSet.CPUs) == 0 {
		t.Errorf("memory.stat %v, cpuset %v: want them read", after.Memory.Raw, after.CPUSet)
	}
}
