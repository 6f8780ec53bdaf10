package cgroups

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/berth-oci/berth/internal/fixture"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

var cgroupSeq atomic.Int64

// testCgroupPath is a relative cgroup path no other test run uses: below
// the test's own cgroup in each hierarchy, so that whatever limits the test
// process has still bound what the test starts.
func testCgroupPath(t *testing.T) string {
	name := strings.NewReplacer("/", "-", " ", "-").Replace(t.Name())
	return fmt.Sprintf("berth-test-%d-%d-%s", os.Getpid(), cgroupSeq.Add(1), name)
}

// realV1 makes a cgroup on this host's v1 hierarchies (skipping where the
// host has none) and destroys it when the test ends.
func realV1(t *testing.T, r *specs.LinuxResources) *manager {
	t.Helper()
	fixture.RequireRoot(t)
	mg, err := New(Config{Path: testCgroupPath(t)})
	if err != nil {
		t.Fatal(err)
	}
	m := mg.(*manager)
	if m.mode == ModeV2 {
		t.Skip("host has no cgroup v1 hierarchies (pure cgroup v2)")
	}
	destroyAtCleanup(t, m)
	if err := m.Create(r); err != nil {
		t.Fatal(err)
	}
	return m
}

func destroyAtCleanup(t *testing.T, m Manager) {
	t.Cleanup(func() {
		if err := m.Destroy(); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
}

// start runs busybox with args, killed and reaped when the test ends.
func start(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(fixture.BusyboxPath, args...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return cmd
}

func mustRead(t *testing.T, dir, name string) string {
	t.Helper()
	s, err := readFile(dir, name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func wantFile(t *testing.T, dir, name, want string) {
	t.Helper()
	if got := mustRead(t, dir, name); got != want {
		t.Errorf("%s = %q, want %q", filepath.Join(dir, name), got, want)
	}
}

// hostDirOf is the directory, as the host mounts it, of the cgroup pid is in
// for the hierarchy holding ctrl ("" for cgroup2): read from /proc/PID/cgroup,
// so it shows where the kernel put the process, not where we meant to.
func hostDirOf(t *testing.T, pid int, ctrl string) string {
	t.Helper()
	h, err := readHost("")
	if err != nil {
		t.Fatal(err)
	}
	hy := h.v2
	for i := range h.v1 {
		if ctrl != "" && slices.Contains(h.v1[i].controllers, ctrl) {
			hy = &h.v1[i]
		}
	}
	if hy == nil {
		t.Fatalf("no hierarchy holds %q", ctrl)
	}
	return filepath.Join(hy.mountpoint, visiblePart(cgroupOf(t, pid, ctrl), hy.root))
}

// cgroupOf reads which cgroup pid is in for the hierarchy holding ctrl ("" for
// cgroup2).
func cgroupOf(t *testing.T, pid int, ctrl string) string {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		if ctrl == "" && parts[1] == "" {
			return parts[2]
		}
		for _, c := range strings.Split(parts[1], ",") {
			if c == ctrl && ctrl != "" {
				return parts[2]
			}
		}
	}
	t.Fatalf("pid %d is in no %q hierarchy", pid, ctrl)
	return ""
}
