package cgroups

import (
	"fmt"
	"os"
	"strings"
)

// Stats reads each counter family from wherever its controller lives, as Set
// routes writes. A family whose controller the host lacks stays zero.
func (m *manager) Stats() (*Stats, error) {
	s := &Stats{Hugetlb: map[string]Hugetlb{}}
	steps := []func(*Stats) error{m.cpuStats, m.cpusetStats, m.memoryStats, m.pidsStats, m.ioStats, m.hugetlbStats}
	for _, step := range steps {
		if err := step(s); err != nil {
			return nil, fmt.Errorf("cgroup stats: %w", err)
		}
	}
	return s, nil
}

func (m *manager) cpuStats(s *Stats) error {
	if d, ok := m.paths["cpuacct"]; ok {
		if err := v1CPUUsage(d, &s.CPU.Usage); err != nil {
			return err
		}
		if d, ok := m.paths["cpu"]; ok {
			return v1Throttling(d, &s.CPU.Throttling)
		}
		return nil
	}
	if d, ok := m.paths[UnifiedKey]; ok && exists(d, "cpu.stat") {
		return v2CPUStats(d, &s.CPU)
	}
	return nil
}

func (m *manager) cpusetStats(s *Stats) error {
	d, v2 := m.route("cpuset")
	if d == "" {
		return nil
	}
	cpus, mems := "cpuset.cpus", "cpuset.mems"
	if v2 {
		cpus, mems = "cpuset.cpus.effective", "cpuset.mems.effective"
	}
	var err error
	if s.CPUSet.CPUs, err = readList(d, cpus); err != nil {
		return err
	}
	if s.CPUSet.Mems, err = readList(d, mems); err != nil || v2 {
		return err
	}
	return v1CpusetFlags(d, &s.CPUSet)
}

func (m *manager) memoryStats(s *Stats) error {
	d, v2 := m.route("memory")
	switch {
	case d == "":
		return nil
	case v2:
		return v2MemoryStats(d, &s.Memory)
	}
	return v1MemoryStats(d, &s.Memory)
}

func (m *manager) pidsStats(s *Stats) error {
	d, _ := m.route("pids")
	if d == "" {
		return nil
	}
	var err error
	if s.Pids.Current, err = readUint(d, "pids.current"); err != nil {
		return err
	}
	if s.Pids.Limit, err = readUint(d, "pids.max"); s.Pids.Limit == maxUint {
		s.Pids.Limit = 0 // runc reports no limit as 0
	}
	return err
}

func (m *manager) ioStats(s *Stats) error {
	if d, ok := m.paths["blkio"]; ok {
		return v1BlkioStats(d, &s.Blkio)
	}
	if d, v2 := m.route("io"); v2 {
		return v2IOStats(d, &s.Blkio)
	}
	return nil
}

func (m *manager) hugetlbStats(s *Stats) error {
	d, v2 := m.route("hugetlb")
	if d == "" {
		return nil
	}
	suffix := ".limit_in_bytes"
	if v2 {
		suffix = ".max"
	}
	entries, err := os.ReadDir(d)
	if err != nil {
		return fmt.Errorf("read %s: %w", d, bareErr(err))
	}
	for _, e := range entries {
		size, isHuge := strings.CutPrefix(e.Name(), "hugetlb.")
		size, isLimit := strings.CutSuffix(size, suffix)
		if !isHuge || !isLimit || strings.Contains(size, ".") {
			continue // not a page size's limit file (rsvd, events, …)
		}
		h, err := hugetlbUsage(d, size, v2)
		if err != nil {
			return err
		}
		s.Hugetlb[size] = h
	}
	return nil
}

func hugetlbUsage(dir, size string, v2 bool) (Hugetlb, error) {
	var h Hugetlb
	var err error
	p := "hugetlb." + size + "."
	if v2 {
		if h.Usage, err = readUint(dir, p+"current"); err != nil {
			return h, err
		}
		ev, err := keyValues(dir, p+"events")
		h.Failcnt = ev["max"]
		return h, err
	}
	if h.Usage, err = readUint(dir, p+"usage_in_bytes"); err != nil {
		return h, err
	}
	if h.Max, err = readUint(dir, p+"max_usage_in_bytes"); err != nil {
		return h, err
	}
	h.Failcnt, err = readUint(dir, p+"failcnt")
	return h, err
}
