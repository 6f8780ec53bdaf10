package cgroups

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestRealV1CreateAddDestroy(t *testing.T) {
	r := &specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: ptr(int64(64 << 20)), Reservation: ptr(int64(32 << 20))},
		CPU:    &specs.LinuxCPU{Shares: ptr(uint64(512)), Quota: ptr(int64(50000)), Period: ptr(uint64(100000)), Cpus: "0"},
		Pids:   &specs.LinuxPids{Limit: ptr(int64(100))},
		Devices: append([]specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}},
			specs.LinuxDeviceCgroup{Allow: true, Type: "c", Major: ptr(int64(1)), Minor: ptr(int64(3)), Access: "rwm"},
			specs.LinuxDeviceCgroup{Allow: true, Type: "c", Major: ptr(int64(1)), Minor: ptr(int64(5)), Access: "rw"}),
	}
	m := realV1(t, r)
	wantFile(t, m.paths["memory"], "memory.limit_in_bytes", strconv.Itoa(64<<20))
	wantFile(t, m.paths["memory"], "memory.soft_limit_in_bytes", strconv.Itoa(32<<20))
	wantFile(t, m.paths["cpu"], "cpu.shares", "512")
	wantFile(t, m.paths["cpu"], "cpu.cfs_quota_us", "50000")
	wantFile(t, m.paths["cpu"], "cpu.cfs_period_us", "100000")
	wantFile(t, m.paths["pids"], "pids.max", "100")
	wantFile(t, m.paths["cpuset"], "cpuset.cpus", "0")
	wantFile(t, m.paths["devices"], "devices.list", "c 1:3 rwm\nc 1:5 rw")

	cmd := start(t, "sleep", "1000")
	pid := cmd.Process.Pid
	if err := m.Add(pid); err != nil {
		t.Fatal(err)
	}
	inner := strings.TrimPrefix(m.paths["memory"], "/sys/fs/cgroup/memory")
	for _, ctrl := range []string{"memory", "cpu", "pids", "devices", "freezer", "cpuset"} {
		if got := cgroupOf(t, pid, ctrl); got != inner {
			t.Errorf("pid in %s cgroup %q, want %q", ctrl, got, inner)
		}
	}
	pids, err := m.Pids()
	if err != nil || !slices.Equal(pids, []int{pid}) {
		t.Fatalf("Pids() = %v, %v; want [%d]", pids, err, pid)
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
	script := `for f in "$@"; do echo 0 > "$f" || exit 1; done; echo joined; exec sleep 1000`
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
	inner := strings.TrimPrefix(m.paths["pids"], "/sys/fs/cgroup/pids")
	for _, ctrl := range []string{"memory", "cpu", "pids", "devices", "name=systemd"} {
		if got := cgroupOf(t, pid, ctrl); got != inner {
			t.Errorf("pid in %s cgroup %q, want %q", ctrl, got, inner)
		}
	}
}
