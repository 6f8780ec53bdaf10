package cgroups

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-oci/berth/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// fileCase: setting r writes value to file in the directory of ctrl.
type fileCase struct {
	name  string
	r     specs.LinuxResources
	ctrl  string
	file  string
	value string
}

// runFileCases runs each case on a fake host with the v1 hierarchy of its
// controller alone (v1 true) or a cgroup2 mount with v2 controllers.
func runFileCases(t *testing.T, v1 bool, v2 []string, cases []fileCase) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var f *fakeHost
			if v1 {
				f = newFakeHost(t, []string{tc.ctrl}, v2)
			} else {
				f = newFakeHost(t, nil, v2)
			}
			m := f.cgroup("/c1")
			if err := m.Create(&tc.r); err != nil {
				t.Fatal(err)
			}
			f.want(m.paths[tc.ctrl], tc.file, tc.value)
		})
	}
}

func TestFakeV1Resources(t *testing.T) {
	cases := []fileCase{
		{"memory limit", specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(int64(1 << 30))}}, "memory", "memory.limit_in_bytes", "1073741824"},
		{"memory limit -1 lifts memsw", specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(int64(-1))}}, "memory", "memory.memsw.limit_in_bytes", "-1"},
		{"memory swap", specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(int64(1 << 30)), Swap: ptr(int64(2 << 30))}}, "memory", "memory.memsw.limit_in_bytes", "2147483648"},
		{"memory reservation", specs.LinuxResources{Memory: &specs.LinuxMemory{Reservation: ptr(int64(1 << 20))}}, "memory", "memory.soft_limit_in_bytes", "1048576"},
		{"memory swappiness", specs.LinuxResources{Memory: &specs.LinuxMemory{Swappiness: ptr(uint64(10))}}, "memory", "memory.swappiness", "10"},
		{"memory disableOOMKiller", specs.LinuxResources{Memory: &specs.LinuxMemory{DisableOOMKiller: ptr(true)}}, "memory", "memory.oom_control", "1"},
		{"memory kernel", specs.LinuxResources{Memory: &specs.LinuxMemory{Kernel: ptr(int64(64 << 20))}}, "memory", "memory.kmem.limit_in_bytes", "67108864"},
		{"memory kernelTCP", specs.LinuxResources{Memory: &specs.LinuxMemory{KernelTCP: ptr(int64(8 << 20))}}, "memory", "memory.kmem.tcp.limit_in_bytes", "8388608"},
		{"memory kernelTCP -1", specs.LinuxResources{Memory: &specs.LinuxMemory{KernelTCP: ptr(int64(-1))}}, "memory", "memory.kmem.tcp.limit_in_bytes", "-1"},
		{"memory useHierarchy", specs.LinuxResources{Memory: &specs.LinuxMemory{UseHierarchy: ptr(true)}}, "memory", "memory.use_hierarchy", "1"},
		{"cpu shares", specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: ptr(uint64(1024))}}, "cpu", "cpu.shares", "1024"},
		{"cpu quota", specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: ptr(int64(50000))}}, "cpu", "cpu.cfs_quota_us", "50000"},
		{"cpu quota -1", specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: ptr(int64(-1))}}, "cpu", "cpu.cfs_quota_us", "-1"},
		{"cpu period", specs.LinuxResources{CPU: &specs.LinuxCPU{Period: ptr(uint64(250000))}}, "cpu", "cpu.cfs_period_us", "250000"},
		{"cpu burst", specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: ptr(int64(50000)), Burst: ptr(uint64(20000))}}, "cpu", "cpu.cfs_burst_us", "20000"},
		{"cpu realtime runtime", specs.LinuxResources{CPU: &specs.LinuxCPU{RealtimeRuntime: ptr(int64(950000))}}, "cpu", "cpu.rt_runtime_us", "950000"},
		{"cpu realtime period", specs.LinuxResources{CPU: &specs.LinuxCPU{RealtimePeriod: ptr(uint64(1000000))}}, "cpu", "cpu.rt_period_us", "1000000"},
		{"cpu idle", specs.LinuxResources{CPU: &specs.LinuxCPU{Idle: ptr(int64(1))}}, "cpu", "cpu.idle", "1"},
		{"cpuset cpus", specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: "1"}}, "cpuset", "cpuset.cpus", "1"},
		{"cpuset mems", specs.LinuxResources{CPU: &specs.LinuxCPU{Mems: "0"}}, "cpuset", "cpuset.mems", "0"},
		{"cpuset filled from parent", specs.LinuxResources{}, "cpuset", "cpuset.cpus", "0-1"},
		{"pids limit", specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptr(int64(32))}}, "pids", "pids.max", "32"},
		{"pids -1", specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptr(int64(-1))}}, "pids", "pids.max", "max"},
		{"pids 0 is a limit", specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptr(int64(0))}}, "pids", "pids.max", "0"},
		{"blkio weight (bfq)", specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: ptr(uint16(300))}}, "blkio", "blkio.bfq.weight", "300"},
		{"blkio weight device", specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{WeightDevice: []specs.LinuxWeightDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Weight: ptr(uint16(500))}}}}, "blkio", "blkio.bfq.weight_device", "8:0 500"},
		{"blkio read bps", specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{ThrottleReadBpsDevice: throttle(8, 0, 1<<20)}}, "blkio", "blkio.throttle.read_bps_device", "8:0 1048576"},
		{"blkio write bps", specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{ThrottleWriteBpsDevice: throttle(8, 16, 100)}}, "blkio", "blkio.throttle.write_bps_device", "8:16 100"},
		{"blkio read iops", specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{ThrottleReadIOPSDevice: throttle(8, 0, 300)}}, "blkio", "blkio.throttle.read_iops_device", "8:0 300"},
		{"blkio write iops", specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{ThrottleWriteIOPSDevice: throttle(8, 0, 0)}}, "blkio", "blkio.throttle.write_iops_device", "8:0 0"},
		{"hugetlb", specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 4 << 20}}}, "hugetlb", "hugetlb.2MB.limit_in_bytes", "4194304"},
		{"hugetlb rsvd", specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 4 << 20}}}, "hugetlb", "hugetlb.2MB.rsvd.limit_in_bytes", "4194304"},
		{"net_cls", specs.LinuxResources{Network: &specs.LinuxNetwork{ClassID: ptr(uint32(0x100001))}}, "net_cls", "net_cls.classid", "1048577"},
		{"net_prio", specs.LinuxResources{Network: &specs.LinuxNetwork{Priorities: []specs.LinuxInterfacePriority{{Name: "eth0", Priority: 5}}}}, "net_prio", "net_prio.ifpriomap", "eth0 5"},
		{"rdma", specs.LinuxResources{Rdma: map[string]specs.LinuxRdma{"mlx5_1": {HcaHandles: ptr(uint32(3)), HcaObjects: ptr(uint32(10000))}}}, "rdma", "rdma.max", "mlx5_1 hca_handle=3 hca_object=10000"},
		{"devices last rule", specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{dev(false, "", -1, -1, "rwm"), dev(true, "c", 1, 3, "rwm")}}, "devices", "devices.allow", "c 1:3 rwm"},
		{"devices deny-all first", specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{dev(true, "c", 1, 3, "rwm")}}, "devices", "devices.deny", "a"},
	}
	runFileCases(t, true, nil, cases)
}

func TestSwapFirst(t *testing.T) {
	cases := []struct {
		cur  uint64
		swap int64
		want bool
	}{
		{1000, 8000, true},  // growing: memsw first
		{8000, 2000, false}, // shrinking below the current limit: memory first
		{1000, 1000, true},  // equal: either order works
		{1000, -1, true},    // unlimited memsw first
	}
	for _, tc := range cases {
		if got := swapFirst(tc.cur, tc.swap); got != tc.want {
			t.Errorf("swapFirst(%d, %d) = %v, want %v", tc.cur, tc.swap, got, tc.want)
		}
	}
}

// Where the kernel lacks a file (no swap accounting, no kmem), the limit is
// skipped as runc does, and the rest is still written.
func TestFakeV1MemoryFilesAbsent(t *testing.T) {
	f := newFakeHost(t, []string{"memory"}, nil)
	m := f.cgroup("/c1")
	d := m.paths["memory"]
	for _, name := range []string{"memory.memsw.limit_in_bytes", "memory.kmem.limit_in_bytes", "memory.kmem.tcp.limit_in_bytes"} {
		if err := os.Remove(filepath.Join(d, name)); err != nil {
			t.Fatal(err)
		}
	}
	r := &specs.LinuxResources{Memory: &specs.LinuxMemory{
		Limit: ptr(int64(1 << 30)), Swap: ptr(int64(2 << 30)), Kernel: ptr(int64(1 << 20)), KernelTCP: ptr(int64(1 << 20)), Swappiness: ptr(uint64(0)),
	}}
	if err := m.Create(r); err != nil {
		t.Fatal(err)
	}
	f.want(d, "memory.limit_in_bytes", "1073741824")
	f.want(d, "memory.swappiness", "0")
	for _, name := range []string{"memory.memsw.limit_in_bytes", "memory.kmem.limit_in_bytes", "memory.kmem.tcp.limit_in_bytes"} {
		if _, err := os.Stat(filepath.Join(d, name)); err == nil {
			t.Errorf("%s written although the kernel has no such file", name)
		}
	}
}

// Errors name the file and the value that could not be written.
func TestFakeV1ErrorNamesFileAndValue(t *testing.T) {
	f := newFakeHost(t, []string{"pids"}, nil)
	m := f.cgroup("/c1")
	file := filepath.Join(m.paths["pids"], "pids.max")
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	err := m.Set(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptr(int64(42))}})
	if err == nil || !strings.Contains(err.Error(), file+` "42"`) {
		t.Errorf("Set = %v, want an error naming %s and \"42\"", err, file)
	}
}

func TestFakeV1Idempotent(t *testing.T) {
	f := newFakeHost(t, allV1, nil)
	m := f.cgroup("/c1")
	r := &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptr(int64(5))}}
	for range 2 {
		if err := m.Create(r); err != nil {
			t.Fatal(err)
		}
	}
	f.want(m.paths["pids"], "pids.max", "5")
}

// Bad input is refused before any directory is made.
func TestFakeV1RejectsBeforeTouching(t *testing.T) {
	bad := []specs.LinuxResources{
		{Devices: []specs.LinuxDeviceCgroup{{Type: "x", Access: "r"}}},
		{Memory: &specs.LinuxMemory{Swappiness: ptr(uint64(101))}},
		{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB/../../x", Limit: 1}}},
		{Unified: map[string]string{"../memory.max": "1"}},
		{Unified: map[string]string{"cgroup.procs": "1"}},
		{Network: &specs.LinuxNetwork{Priorities: []specs.LinuxInterfacePriority{{Name: "eth0 1\nlo", Priority: 1}}}},
		{Rdma: map[string]specs.LinuxRdma{"mlx": {}}},
		{CPU: &specs.LinuxCPU{Cpus: "0-1\n"}},
		{CPU: &specs.LinuxCPU{Quota: ptr(int64(1000)), Burst: ptr(uint64(2000))}},
		{BlockIO: &specs.LinuxBlockIO{WeightDevice: []specs.LinuxWeightDevice{{}}}},
	}
	f := newFakeHost(t, allV1, nil)
	mg, err := New(Config{Path: "/c1", ProcDir: f.proc})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range bad {
		err = mg.Create(&r)
		if !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("case %d: Create = %v, want ErrInvalidArgument", i, err)
		}
		for _, d := range mg.(*manager).dirs() {
			if _, err := os.Stat(d); err == nil {
				t.Errorf("case %d: %s made despite the error", i, d)
			}
		}
	}
}

// A failing write takes away the directories Create made.
func TestFakeV1FailureRemovesDirs(t *testing.T) {
	ctrls := []string{"memory", "cpu", "cpuset", "pids"} // no freezer: the fit check would read its missing state first
	f := newFakeHost(t, ctrls, nil)
	mg, err := New(Config{Path: "/a/b", ProcDir: f.proc})
	if err != nil {
		t.Fatal(err)
	}
	// The fake kernel populates nothing: the first write fails with ENOENT.
	err = mg.Create(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptr(int64(1))}})
	if err == nil || !strings.Contains(err.Error(), "pids.max") {
		t.Fatalf("Create = %v, want an error naming pids.max", err)
	}
	for _, c := range ctrls {
		if _, err := os.Stat(filepath.Join(f.mount(c), "a")); err == nil {
			t.Errorf("%s/a left behind", c)
		}
	}
}

// Create refuses a cgroup that already holds processes or is frozen, and
// writes nothing to it.
func TestFakeV1CreateRefusesUsedCgroup(t *testing.T) {
	for name, file := range map[string][2]string{
		"processes": {"cgroup.procs", "4242\n"},
		"frozen":    {"freezer.state", "FROZEN\n"},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFakeHost(t, allV1, nil)
			m := f.cgroup("/c1")
			writeTestFile(t, filepath.Join(m.paths["freezer"], file[0]), file[1])
			err := m.Create(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptr(int64(5))}})
			if !errors.Is(err, errdefs.ErrFailedPrecondition) {
				t.Errorf("Create = %v, want ErrFailedPrecondition", err)
			}
			f.want(m.paths["pids"], "pids.max", "max")
		})
	}
}

func TestFakeV1MissingController(t *testing.T) {
	f := newFakeHost(t, []string{"memory", "cpu", "pids"}, nil)
	m := f.cgroup("/c1")
	for name, r := range map[string]specs.LinuxResources{
		"net_cls": {Network: &specs.LinuxNetwork{ClassID: ptr(uint32(1))}},
		"blkio":   {BlockIO: &specs.LinuxBlockIO{Weight: ptr(uint16(100))}},
		"hugetlb": {HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 1}}},
		"devices": {Devices: []specs.LinuxDeviceCgroup{dev(true, "c", 1, 3, "r")}},
		"unified": {Unified: map[string]string{"memory.high": "1"}},
		"cpuset":  {CPU: &specs.LinuxCPU{Cpus: "0"}},
	} {
		if err := m.Set(&r); !errors.Is(err, errdefs.ErrUnavailable) {
			t.Errorf("%s: Set = %v, want ErrUnavailable", name, err)
		}
	}
	if err := m.Freeze(); !errors.Is(err, errdefs.ErrUnavailable) {
		t.Errorf("Freeze without freezer = %v, want ErrUnavailable", err)
	}
}

func TestFakeV1Stats(t *testing.T) {
	f := newFakeHost(t, allV1, nil)
	m := f.cgroup("/c1")
	s, err := m.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if s.CPU.Usage.Total != 123 || s.CPU.Usage.User != 2e7 || s.CPU.Usage.Kernel != 1e7 || len(s.CPU.Usage.Percpu) != 2 {
		t.Errorf("cpu usage %+v", s.CPU.Usage)
	}
	if s.CPU.Throttling != (Throttling{3, 1, 500}) {
		t.Errorf("throttling %+v", s.CPU.Throttling)
	}
	if s.Memory.Cache != 4096 || s.Memory.Raw["rss"] != 8192 || s.Memory.Usage.Limit != 9223372036854771712 ||
		s.Memory.Kernel.Usage != 512 || s.Memory.Kernel.Max != 1024 || s.Memory.KernelTCP.Limit != 9223372036854771712 {
		t.Errorf("memory %+v", s.Memory)
	}
	if len(s.Blkio.IoServiceBytesRecursive) != 2 || s.Blkio.IoServiceBytesRecursive[0] != (BlkioEntry{8, 0, "Read", 4096}) {
		t.Errorf("blkio %+v", s.Blkio)
	}
	if _, ok := s.Hugetlb["2MB"]; !ok || len(s.Hugetlb) != 1 {
		t.Errorf("hugetlb %+v", s.Hugetlb)
	}
	if s.Pids.Limit != 0 || s.CPUSet.SchedRelaxDomainLevel != -1 {
		t.Errorf("pids %+v cpuset %+v", s.Pids, s.CPUSet)
	}
}
