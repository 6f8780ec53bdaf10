package cgroups

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeHost is a cgroupfs tree in t.TempDir(): a directory per hierarchy, a
// mountinfo and a /proc/self/cgroup naming them, and for each cgroup the
// files the kernel would create, so that writes land in plain files a test
// reads back. (A plain file keeps the last value written.)
type fakeHost struct {
	t    *testing.T
	root string // the directories standing for the mounts
	proc string // Config.ProcDir
	v1   []string
	v2   []string // controllers on the cgroup2 mount; nil for no cgroup2
	own  string   // the caller's cgroup, in every hierarchy
}

// The files a new cgroup has, per controller, with the kernel's defaults.
var fakeV1Files = map[string]map[string]string{
	"memory": {"memory.limit_in_bytes": "9223372036854771712", "memory.memsw.limit_in_bytes": "9223372036854771712",
		"memory.soft_limit_in_bytes": "9223372036854771712", "memory.swappiness": "60", "memory.oom_control": "oom_kill_disable 0",
		"memory.use_hierarchy": "1", "memory.usage_in_bytes": "0", "memory.max_usage_in_bytes": "0", "memory.failcnt": "0",
		"memory.memsw.usage_in_bytes": "0", "memory.memsw.max_usage_in_bytes": "0", "memory.memsw.failcnt": "0",
		"memory.stat": "cache 4096\nrss 8192\n", "cgroup.event_control": "",
		"memory.kmem.limit_in_bytes": "9223372036854771712", "memory.kmem.usage_in_bytes": "512", "memory.kmem.max_usage_in_bytes": "1024",
		"memory.kmem.failcnt": "0", "memory.kmem.tcp.limit_in_bytes": "9223372036854771712", "memory.kmem.tcp.usage_in_bytes": "0",
		"memory.kmem.tcp.max_usage_in_bytes": "0", "memory.kmem.tcp.failcnt": "0"},
	"cpu": {"cpu.shares": "1024", "cpu.cfs_period_us": "100000", "cpu.cfs_quota_us": "-1", "cpu.cfs_burst_us": "0",
		"cpu.rt_period_us": "1000000", "cpu.rt_runtime_us": "0", "cpu.idle": "0", "cpu.stat": "nr_periods 3\nnr_throttled 1\nthrottled_time 500\n"},
	"cpuacct": {"cpuacct.usage": "123", "cpuacct.usage_percpu": "100 23", "cpuacct.stat": "user 2\nsystem 1\n"},
	"cpuset":  {"cpuset.cpus": "", "cpuset.mems": "", "cpuset.cpu_exclusive": "0", "cpuset.sched_relax_domain_level": "-1"},
	"pids":    {"pids.max": "max", "pids.current": "0"},
	"blkio": {"blkio.bfq.weight": "100", "blkio.bfq.weight_device": "", "blkio.throttle.read_bps_device": "",
		"blkio.throttle.write_bps_device": "", "blkio.throttle.read_iops_device": "", "blkio.throttle.write_iops_device": "",
		"blkio.throttle.io_service_bytes_recursive": "8:0 Read 4096\n8:0 Write 0\nTotal 4096\n",
		"blkio.throttle.io_serviced_recursive":      "8:0 Read 1\nTotal 1\n"},
	"hugetlb": {"hugetlb.2MB.limit_in_bytes": "", "hugetlb.2MB.rsvd.limit_in_bytes": "", "hugetlb.2MB.usage_in_bytes": "0",
		"hugetlb.2MB.max_usage_in_bytes": "0", "hugetlb.2MB.failcnt": "0"},
	"net_cls":      {"net_cls.classid": "0"},
	"net_prio":     {"net_prio.ifpriomap": ""},
	"devices":      {"devices.allow": "", "devices.deny": "", "devices.list": "a *:* rwm"},
	"freezer":      {"freezer.state": "THAWED"},
	"rdma":         {"rdma.max": ""},
	"name=systemd": {},
}

var fakeV2Files = map[string]map[string]string{
	"": {"cgroup.procs": "", "cgroup.freeze": "0", "cgroup.events": "populated 0\nfrozen 0\n", "cgroup.subtree_control": "",
		"cgroup.kill": "", "cpu.stat": "usage_usec 7\nuser_usec 5\nsystem_usec 2\n"},
	"memory": {"memory.max": "max", "memory.swap.max": "max", "memory.low": "0", "memory.current": "4096",
		"memory.swap.current": "0", "memory.stat": "file 100\nanon 200\n", "memory.events": "max 0\noom_kill 0\n"},
	"cpu":     {"cpu.weight": "100", "cpu.max": "max 100000", "cpu.max.burst": "0", "cpu.idle": "0"},
	"cpuset":  {"cpuset.cpus": "", "cpuset.mems": "", "cpuset.cpus.effective": "0-1", "cpuset.mems.effective": "0"},
	"io":      {"io.weight": "default 100", "io.max": "", "io.stat": "8:0 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=0 dios=0\n"},
	"pids":    {"pids.max": "max", "pids.current": "1"},
	"hugetlb": {"hugetlb.2MB.max": "max", "hugetlb.2MB.rsvd.max": "max", "hugetlb.2MB.current": "0", "hugetlb.2MB.events": "max 0\n"},
	"rdma":    {"rdma.max": ""},
}

var allV1 = []string{"cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids", "hugetlb", "net_cls", "net_prio", "rdma", "name=systemd"}

func newFakeHost(t *testing.T, v1, v2 []string) *fakeHost {
	f := &fakeHost{t: t, root: t.TempDir(), proc: t.TempDir(), v1: v1, v2: v2, own: "/"}
	f.writeProc()
	for _, c := range v1 {
		f.populate(f.mount(c), c)
		if c == "cpuset" {
			f.fill(f.mount(c), map[string]string{"cpuset.cpus": "0-1", "cpuset.mems": "0"}) // the root's lists are full
		}
	}
	if v2 != nil {
		f.populateV2(filepath.Join(f.root, "unified"), v2)
	}
	return f
}

func (f *fakeHost) mount(ctrl string) string {
	return filepath.Join(f.root, strings.TrimPrefix(ctrl, "name="))
}

func (f *fakeHost) writeProc() {
	var mi, cg strings.Builder
	for i, c := range f.v1 {
		fmt.Fprintf(&mi, "%d 1 0:%d / %s rw,relatime - cgroup cgroup rw,%s\n", 30+i, 30+i, f.mount(c), c)
		fmt.Fprintf(&cg, "%d:%s:%s\n", i+1, c, f.own)
	}
	if f.v2 != nil {
		fmt.Fprintf(&mi, "99 1 0:99 / %s rw - cgroup2 cgroup2 rw\n", filepath.Join(f.root, "unified"))
		fmt.Fprintf(&cg, "0::%s\n", f.own)
	}
	fmt.Fprintf(&mi, "20 1 0:20 / /proc rw - proc proc rw\n")
	writeTestFile(f.t, filepath.Join(f.proc, "mountinfo"), mi.String())
	writeTestFile(f.t, filepath.Join(f.proc, "cgroup"), cg.String())
}

// populate makes dir a v1 cgroup of ctrl, as mkdir on cgroupfs would.
func (f *fakeHost) populate(dir, ctrl string) {
	f.t.Helper()
	files := map[string]string{"cgroup.procs": "", "tasks": ""}
	for k, v := range fakeV1Files[ctrl] {
		files[k] = v
	}
	f.fill(dir, files)
}

func (f *fakeHost) populateV2(dir string, ctrls []string) {
	f.t.Helper()
	files := map[string]string{"cgroup.controllers": strings.Join(ctrls, " ")}
	for _, c := range append([]string{""}, ctrls...) {
		for k, v := range fakeV2Files[c] {
			files[k] = v
		}
	}
	f.fill(dir, files)
}

func (f *fakeHost) fill(dir string, files map[string]string) {
	f.t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		f.t.Fatal(err)
	}
	for k, v := range files {
		if _, err := os.Stat(filepath.Join(dir, k)); err == nil && v == "" {
			continue
		}
		writeTestFile(f.t, filepath.Join(dir, k), v)
	}
}

// cgroup makes the container's cgroup in every fake hierarchy, as the
// kernel would on mkdir, and returns the manager for it.
func (f *fakeHost) cgroup(path string) *manager {
	f.t.Helper()
	mg, err := New(Config{Path: path, ProcDir: f.proc})
	if err != nil {
		f.t.Fatal(err)
	}
	m := mg.(*manager)
	for k, d := range m.paths {
		if k == UnifiedKey {
			f.populateV2(d, f.v2)
		} else {
			f.populate(d, k)
		}
	}
	return m
}

func (f *fakeHost) want(dir, file, value string) {
	f.t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		f.t.Fatal(err)
	}
	if string(data) != value {
		f.t.Errorf("%s = %q, want %q", file, data, value)
	}
}
