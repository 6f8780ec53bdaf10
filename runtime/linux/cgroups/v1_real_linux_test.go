package cgroups

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/internal/fixture"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestRealV1CreateAddDestroy(t *testing.T) {
	r := &specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: ptr(int64(64 << 20)), Reservation: ptr(int64(32 << 20)),
			Swap: ptr(int64(96 << 20)), Swappiness: ptr(uint64(10)), KernelTCP: ptr(int64(16 << 20))},
		CPU: &specs.LinuxCPU{Shares: ptr(uint64(512)), Quota: ptr(int64(50000)), Period: ptr(uint64(100000)),
			Burst: ptr(uint64(10000)), Cpus: "0", Mems: "0", Idle: ptr(int64(0))},
		Pids:    &specs.LinuxPids{Limit: ptr(int64(100))},
		BlockIO: &specs.LinuxBlockIO{Weight: ptr(uint16(300))},
		Devices: []specs.LinuxDeviceCgroup{dev(false, "", -1, -1, "rwm"), dev(true, "c", 1, 3, "rwm"), dev(true, "c", 1, 5, "rw")},
	}
	m := realV1(t, r)
	wantFile(t, m.paths["memory"], "memory.limit_in_bytes", strconv.Itoa(64<<20))
	wantFile(t, m.paths["memory"], "memory.soft_limit_in_bytes", strconv.Itoa(32<<20))
	if exists(m.paths["memory"], "memory.memsw.limit_in_bytes") {
		wantFile(t, m.paths["memory"], "memory.memsw.limit_in_bytes", strconv.Itoa(96<<20))
	}
	if exists(m.paths["memory"], "memory.kmem.tcp.limit_in_bytes") {
		wantFile(t, m.paths["memory"], "memory.kmem.tcp.limit_in_bytes", strconv.Itoa(16<<20))
	}
	wantFile(t, m.paths["memory"], "memory.swappiness", "10")
	wantFile(t, m.paths["cpu"], "cpu.shares", "512")
	wantFile(t, m.paths["cpu"], "cpu.cfs_quota_us", "50000")
	wantFile(t, m.paths["cpu"], "cpu.cfs_period_us", "100000")
	if exists(m.paths["cpu"], "cpu.cfs_burst_us") {
		wantFile(t, m.paths["cpu"], "cpu.cfs_burst_us", "10000")
	}
	wantFile(t, m.paths["pids"], "pids.max", "100")
	wantFile(t, m.paths["cpuset"], "cpuset.cpus", "0")
	wantFile(t, m.paths["cpuset"], "cpuset.mems", "0")
	wantFile(t, m.paths["devices"], "devices.list", "c 1:3 rwm\nc 1:5 rw")
	if d, ok := m.paths["blkio"]; ok {
		switch {
		case exists(d, "blkio.weight"):
			wantFile(t, d, "blkio.weight", "300")
		case exists(d, "blkio.bfq.weight"):
			wantFile(t, d, "blkio.bfq.weight", "300")
		}
	}

	cmd := start(t, "sleep", "30")
	pid := cmd.Process.Pid
	if err := m.Add(pid); err != nil {
		t.Fatal(err)
	}
	for ctrl, dir := range m.paths {
		if ctrl == UnifiedKey {
			ctrl = ""
		}
		if got := hostDirOf(t, pid, ctrl); got != dir {
			t.Errorf("pid in %q cgroup %s, want %s", ctrl, got, dir)
		}
	}
	pids, err := m.Pids()
	if err != nil || !slices.Equal(pids, []int{pid}) {
		t.Fatalf("Pids() = %v, %v; want [%d]", pids, err, pid)
	}
	if err := m.Create(r); !errors.Is(err, errdefs.ErrFailedPrecondition) {
		t.Errorf("Create on a cgroup in use = %v, want ErrFailedPrecondition", err)
	}

	if err := m.Destroy(); err != nil {
		t.Fatal(err)
	}
	var exit *exec.ExitError
	if err := cmd.Wait(); !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Errorf("process after Destroy: %v, want killed by SIGKILL", err)
	}
	for _, d := range m.dirs() {
		if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s still there after Destroy (%v)", d, err)
		}
	}
	if err := m.Destroy(); err != nil {
		t.Errorf("second Destroy: %v", err)
	}
}

// The container's init joins by writing "0" to each JoinFiles file itself.
func TestRealV1JoinFiles(t *testing.T) {
	m := realV1(t, nil)
	files := m.JoinFiles()
	if len(files) < 2 {
		t.Fatalf("JoinFiles() = %v, want one file per hierarchy", files)
	}
	script := `for f in "$@"; do echo 0 > "$f" || exit 1; done; echo joined; exec sleep 30`
	cmd := exec.Command("/bin/busybox", append([]string{"sh", "-c", script, "sh"}, files...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line != "joined\n" {
		t.Fatalf("child did not join: said %q", line)
	}
	pid := cmd.Process.Pid
	pids, err := m.Pids()
	if err != nil || !slices.Equal(pids, []int{pid}) {
		t.Fatalf("Pids() = %v, %v; want [%d]", pids, err, pid)
	}
	for ctrl, dir := range m.paths {
		if ctrl == UnifiedKey {
			ctrl = ""
		}
		if got := hostDirOf(t, pid, ctrl); got != dir {
			t.Errorf("pid in %q cgroup %s, want %s", ctrl, got, dir)
		}
	}
}

// The device list is reset on every Set that names devices; v1 refuses
// that once the container has made child cgroups, and says why.
func TestRealV1DevicesWithChildren(t *testing.T) {
	r := &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{dev(false, "", -1, -1, "rwm"), dev(true, "c", 1, 3, "rw")}}
	m := realV1(t, r)
	if err := os.Mkdir(filepath.Join(m.paths["devices"], "nested"), 0o755); err != nil {
		t.Fatal(err)
	}
	r.Devices = append(r.Devices, dev(true, "c", 1, 5, "r"))
	err := m.Set(r)
	if !errors.Is(err, syscall.EINVAL) || !strings.Contains(err.Error(), "child cgroups") {
		t.Errorf("Set devices with a child cgroup: %v, want EINVAL explaining the child cgroups", err)
	}
	wantFile(t, m.paths["devices"], "devices.list", "c 1:3 rw")
	// Destroy (at cleanup) removes the nested cgroup too.
}

// A value the kernel refuses fails Create with the file and value named,
// and takes away every directory Create made.
func TestRealV1CreateFailureLeavesNothing(t *testing.T) {
	fixture.RequireRoot(t)
	mg, err := New(Config{Path: testCgroupPath(t) + "/inner"})
	if err != nil {
		t.Fatal(err)
	}
	m := mg.(*manager)
	if m.mode == ModeV2 {
		t.Skip("host has no cgroup v1 hierarchies (pure cgroup v2)")
	}
	destroyAtCleanup(t, m) // in case the test fails
	err = m.Create(&specs.LinuxResources{
		Pids: &specs.LinuxPids{Limit: ptr(int64(10))},
		CPU:  &specs.LinuxCPU{Cpus: "4095"}, // no such CPU
	})
	if err == nil || !strings.Contains(err.Error(), `cpuset.cpus "4095"`) {
		t.Fatalf("Create = %v, want an error naming cpuset.cpus and \"4095\"", err)
	}
	for _, d := range m.dirs() {
		for _, p := range []string{d, filepath.Dir(d)} {
			if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s left behind by a failed Create (%v)", p, err)
			}
		}
	}
}
