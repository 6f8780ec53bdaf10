package cgroups

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/berth-oci/berth/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

var allV2 = []string{"cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma"}

func TestFakeV2Resources(t *testing.T) {
	u := UnifiedKey
	cases := []fileCase{
		{"memory limit", specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(int64(1 << 30))}}, u, "memory.max", "1073741824"},
		{"memory limit -1", specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(int64(-1))}}, u, "memory.max", "max"},
		{"memory limit -1 lifts swap", specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(int64(-1))}}, u, "memory.swap.max", "max"},
		{"memory swap is swap alone", specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(int64(1 << 30)), Swap: ptr(int64(3 << 30))}}, u, "memory.swap.max", "2147483648"},
		{"memory swap = limit: no swap", specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(int64(1 << 30)), Swap: ptr(int64(1 << 30))}}, u, "memory.swap.max", "0"},
		{"memory reservation", specs.LinuxResources{Memory: &specs.LinuxMemory{Reservation: ptr(int64(1 << 20))}}, u, "memory.low", "1048576"},
		{"cpu shares to weight", specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: ptr(uint64(1024))}}, u, "cpu.weight", "100"},
		{"cpu quota and period", specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: ptr(int64(50000)), Period: ptr(uint64(200000))}}, u, "cpu.max", "50000 200000"},
		{"cpu quota -1", specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: ptr(int64(-1))}}, u, "cpu.max", "max"},
		{"cpu period keeps quota", specs.LinuxResources{CPU: &specs.LinuxCPU{Period: ptr(uint64(50000))}}, u, "cpu.max", "max 50000"},
		{"cpu burst", specs.LinuxResources{CPU: &specs.LinuxCPU{Burst: ptr(uint64(1000))}}, u, "cpu.max.burst", "1000"},
		{"cpu idle", specs.LinuxResources{CPU: &specs.LinuxCPU{Idle: ptr(int64(1))}}, u, "cpu.idle", "1"},
		{"cpuset cpus", specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: "0-1"}}, u, "cpuset.cpus", "0-1"},
		{"cpuset mems", specs.LinuxResources{CPU: &specs.LinuxCPU{Mems: "0"}}, u, "cpuset.mems", "0"},
		{"pids", specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptr(int64(10))}}, u, "pids.max", "10"},
		{"io weight", specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: ptr(uint16(500))}}, u, "io.weight", "default 4950"},
		{"io weight device", specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{WeightDevice: []specs.LinuxWeightDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Weight: ptr(uint16(1000))}}}}, u, "io.weight", "8:0 10000"},
		{"io.max", specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{ThrottleReadBpsDevice: throttle(8, 0, 100), ThrottleWriteIOPSDevice: throttle(8, 0, 7)}}, u, "io.max", "8:0 rbps=100 wiops=7"},
		{"hugetlb", specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 2 << 20}}}, u, "hugetlb.2MB.max", "2097152"},
		{"hugetlb rsvd", specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 2 << 20}}}, u, "hugetlb.2MB.rsvd.max", "2097152"},
		{"rdma", specs.LinuxResources{Rdma: map[string]specs.LinuxRdma{"rxe3": {HcaObjects: ptr(uint32(9))}}}, u, "rdma.max", "rxe3 hca_object=9"},
		{"unified", specs.LinuxResources{Unified: map[string]string{"memory.high": "123456"}}, u, "memory.high", "123456"},
		{"unified wins over converted", specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(int64(1000))}, Unified: map[string]string{"memory.max": "2000"}}, u, "memory.max", "2000"},
	}
	for i := range cases {
		if cases[i].name == "unified" {
			cases[i].r.Unified = map[string]string{"memory.low": "123456"} // a file the fake has
			cases[i].file = "memory.low"
		}
	}
	runFileCases(t, false, allV2, cases)
}

func TestFakeV2BFQWeight(t *testing.T) {
	f := newFakeHost(t, nil, allV2)
	m := f.cgroup("/c1")
	writeTestFile(t, filepath.Join(m.paths[UnifiedKey], "io.bfq.weight"), "default 100")
	if err := m.Create(&specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: ptr(uint16(500))}}); err != nil {
		t.Fatal(err)
	}
	f.want(m.paths[UnifiedKey], "io.bfq.weight", "default 500")
}

func TestFakeV2Unavailable(t *testing.T) {
	f := newFakeHost(t, nil, []string{"memory", "pids"})
	m := f.cgroup("/c1")
	for name, r := range map[string]specs.LinuxResources{
		"cpu controller":  {CPU: &specs.LinuxCPU{Shares: ptr(uint64(2))}},
		"realtime":        {CPU: &specs.LinuxCPU{RealtimeRuntime: ptr(int64(1))}},
		"io":              {BlockIO: &specs.LinuxBlockIO{Weight: ptr(uint16(100))}},
		"net_cls":         {Network: &specs.LinuxNetwork{ClassID: ptr(uint32(1))}},
		"unified missing": {Unified: map[string]string{"cpu.weight": "1"}},
	} {
		if err := m.Set(&r); !errors.Is(err, errdefs.ErrUnavailable) {
			t.Errorf("%s: Set = %v, want ErrUnavailable", name, err)
		}
	}
	if err := m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(int64(100)), Swap: ptr(int64(50))}}); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("swap below limit: %v, want ErrInvalidArgument", err)
	}
}

func TestFakeV2CheckBeforeUpdate(t *testing.T) {
	f := newFakeHost(t, nil, allV2)
	m := f.cgroup("/c1") // memory.current is 4096
	err := m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(int64(1024)), CheckBeforeUpdate: ptr(true)}})
	if !errors.Is(err, errdefs.ErrFailedPrecondition) {
		t.Errorf("limit below usage: %v, want ErrFailedPrecondition", err)
	}
	f.want(m.paths[UnifiedKey], "memory.max", "max")
	if err := m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(int64(8192)), CheckBeforeUpdate: ptr(true)}}); err != nil {
		t.Error(err)
	}
}

// Create enables every controller the parent offers, level by level.
func TestFakeV2EnablesControllers(t *testing.T) {
	f := newFakeHost(t, nil, []string{"pids"})
	mg, err := New(Config{Path: "/a/b", ProcDir: f.proc})
	if err != nil {
		t.Fatal(err)
	}
	if err := mg.Create(nil); err != nil {
		t.Fatal(err)
	}
	f.want(filepath.Join(f.root, "unified"), "cgroup.subtree_control", "+pids")
	if _, err := os.Stat(filepath.Join(f.root, "unified/a/b")); err != nil {
		t.Error(err)
	}
}

func TestFakeV2FreezeAndStats(t *testing.T) {
	f := newFakeHost(t, nil, allV2)
	m := f.cgroup("/c1")
	d := m.paths[UnifiedKey]
	writeTestFile(t, filepath.Join(d, "cgroup.events"), "populated 1\nfrozen 1\n") // the fake kernel agrees at once
	if err := m.Freeze(); err != nil {
		t.Fatal(err)
	}
	f.want(d, "cgroup.freeze", "1")
	if p, err := m.Paused(); err != nil || !p {
		t.Errorf("Paused = %v, %v", p, err)
	}
	s, err := m.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if s.CPU.Usage.Total != 7000 || s.Memory.Cache != 100 || s.Memory.Usage.Usage != 4096 || s.Memory.Swap.Usage != 4096 {
		t.Errorf("stats %+v", s)
	}
	if len(s.Blkio.IoServiceBytesRecursive) != 3 || s.Blkio.IoServicedRecursive[1] != (BlkioEntry{8, 0, "Write", 2}) {
		t.Errorf("io %+v", s.Blkio)
	}
	if len(s.CPUSet.CPUs) != 2 || s.Pids.Current != 1 {
		t.Errorf("cpuset %+v pids %+v", s.CPUSet, s.Pids)
	}
}

func TestFakeV2DirFD(t *testing.T) {
	f := newFakeHost(t, nil, allV2)
	m := f.cgroup("/c1")
	fd, err := m.DirFD()
	if err != nil {
		t.Fatal(err)
	}
	os.NewFile(uintptr(fd), "cgroup").Close()
	f1 := newFakeHost(t, []string{"memory"}, nil)
	if _, err := f1.cgroup("/c1").DirFD(); !errors.Is(err, errdefs.ErrNotImplemented) {
		t.Errorf("DirFD on v1 = %v, want ErrNotImplemented", err)
	}
}
