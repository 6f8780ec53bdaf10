package cgroups

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

// userHZ is the unit of cpuacct.stat: the kernel exports clock ticks at a
// fixed 100 per second whatever its internal HZ.
const userHZ = 100

func v1CPUUsage(dir string, u *CPUUsage) error {
	var err error
	if u.Total, err = readUint(dir, "cpuacct.usage"); err != nil {
		return err
	}
	if u.Percpu, err = readUints(dir, "cpuacct.usage_percpu"); err != nil {
		return err
	}
	if exists(dir, "cpuacct.usage_user") { // Linux 4.7: nanoseconds
		if u.PercpuUser, err = readUints(dir, "cpuacct.usage_percpu_user"); err != nil {
			return err
		}
		if u.PercpuKernel, err = readUints(dir, "cpuacct.usage_percpu_sys"); err != nil {
			return err
		}
		if u.User, err = readUint(dir, "cpuacct.usage_user"); err != nil {
			return err
		}
		u.Kernel, err = readUint(dir, "cpuacct.usage_sys")
		return err
	}
	kv, err := keyValues(dir, "cpuacct.stat")
	u.User = kv["user"] * (1e9 / userHZ)
	u.Kernel = kv["system"] * (1e9 / userHZ)
	return err
}

func readUints(dir, file string) ([]uint64, error) {
	s, err := readFile(dir, file)
	if err != nil {
		return nil, err
	}
	var out []uint64
	for _, f := range strings.Fields(s) {
		v, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", filepath.Join(dir, file), err)
		}
		out = append(out, v)
	}
	return out, nil
}

func v1Throttling(dir string, t *Throttling) error {
	kv, err := keyValues(dir, "cpu.stat")
	t.Periods, t.ThrottledPeriods, t.ThrottledTime = kv["nr_periods"], kv["nr_throttled"], kv["throttled_time"]
	return err
}

func v1CpusetFlags(dir string, c *CPUSet) error {
	flags := []struct {
		file string
		dst  *uint64
	}{
		{"cpuset.cpu_exclusive", &c.CPUExclusive}, {"cpuset.mem_hardwall", &c.MemHardwall},
		{"cpuset.mem_exclusive", &c.MemExclusive}, {"cpuset.memory_migrate", &c.MemoryMigrate},
		{"cpuset.memory_spread_page", &c.MemorySpreadPage}, {"cpuset.memory_spread_slab", &c.MemorySpreadSlab},
		{"cpuset.memory_pressure", &c.MemoryPressure}, {"cpuset.sched_load_balance", &c.SchedLoadBalance},
	}
	for _, f := range flags {
		if !exists(dir, f.file) {
			continue // some go away with kernel versions (memory_spread_*)
		}
		v, err := readUint(dir, f.file)
		if err != nil {
			return err
		}
		*f.dst = v
	}
	s, err := readFile(dir, "cpuset.sched_relax_domain_level")
	if err != nil {
		return nil // optional as well
	}
	c.SchedRelaxDomainLevel, _ = strconv.ParseInt(s, 10, 64)
	return nil
}

func v1MemoryStats(dir string, m *Memory) error {
	var err error
	if m.Raw, err = keyValues(dir, "memory.stat"); err != nil {
		return err
	}
	m.Cache = m.Raw["cache"]
	families := []struct {
		prefix string
		dst    *MemoryEntry
	}{{"memory.", &m.Usage}, {"memory.memsw.", &m.Swap}, {"memory.kmem.", &m.Kernel}, {"memory.kmem.tcp.", &m.KernelTCP}}
	for _, f := range families {
		if f.prefix != "memory." && !exists(dir, f.prefix+"usage_in_bytes") {
			continue // no swap accounting, or no kmem on this kernel
		}
		if *f.dst, err = v1MemoryEntry(dir, f.prefix); err != nil {
			return err
		}
	}
	return nil
}

func v1MemoryEntry(dir, prefix string) (MemoryEntry, error) {
	var e MemoryEntry
	var err error
	for _, f := range []struct {
		name string
		dst  *uint64
	}{{"usage_in_bytes", &e.Usage}, {"max_usage_in_bytes", &e.Max}, {"failcnt", &e.Failcnt}, {"limit_in_bytes", &e.Limit}} {
		if *f.dst, err = readUint(dir, prefix+f.name); err != nil {
			return e, err
		}
	}
	return e, nil
}

// v1BlkioStats reads the recursive counters of the first scheduler that has
// them: CFQ (before 5.0), BFQ, else the throttling layer, which counts all
// I/O whatever the scheduler.
func v1BlkioStats(dir string, b *Blkio) error {
	prefix := "blkio.throttle."
	for _, p := range []string{"blkio.", "blkio.bfq."} {
		if exists(dir, p+"io_service_bytes_recursive") {
			prefix = p
			break
		}
	}
	var err error
	if b.IoServiceBytesRecursive, err = blkioEntries(dir, prefix+"io_service_bytes_recursive"); err != nil {
		return err
	}
	b.IoServicedRecursive, err = blkioEntries(dir, prefix+"io_serviced_recursive")
	return err
}

// blkioEntries parses "8:0 Read 4096" lines; the closing "Total n" line,
// which names no device, is left out.
func blkioEntries(dir, file string) ([]BlkioEntry, error) {
	s, err := readFile(dir, file)
	if err != nil {
		return nil, err
	}
	var out []BlkioEntry
	for _, line := range strings.Split(s, "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		maj, min, ok := parseDevNum(f[0])
		v, err := strconv.ParseUint(f[2], 10, 64)
		if !ok || err != nil {
			return nil, fmt.Errorf("parse %s line %q: %w", filepath.Join(dir, file), line, errInvalidLine)
		}
		out = append(out, BlkioEntry{Major: maj, Minor: min, Op: f[1], Value: v})
	}
	return out, nil
}

func parseDevNum(s string) (maj, min uint64, ok bool) {
	a, b, found := strings.Cut(s, ":")
	maj, err1 := strconv.ParseUint(a, 10, 64)
	min, err2 := strconv.ParseUint(b, 10, 64)
	return maj, min, found && err1 == nil && err2 == nil
}
