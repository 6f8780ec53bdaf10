package cgroups

import (
	"fmt"

	"github.com/berth-oci/berth/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Set sends each group of resources to the hierarchy that has its
// controller: the v1 hierarchy when one is mounted, else the cgroup2
// directory when the controller is enabled there. On a v1 host that is
// always v1, on a v2 host always cgroup2, and on a hybrid host it is decided
// per controller (on this kind of host hugetlb, say, lives on the cgroup2
// mount while memory is v1). A resource whose controller is nowhere is an
// error wrapping errdefs.ErrUnavailable; unified keys need cgroup2.
func (m *manager) Set(r *specs.LinuxResources) error {
	if r == nil {
		return nil
	}
	if err := validate(r); err != nil {
		return err
	}
	steps := []func(*specs.LinuxResources) error{
		m.setMemory, m.setCPU, m.setCpuset, m.setPids, m.setBlockIO,
		m.setHugetlb, m.setNetwork, m.setRdma, m.setDevices, m.setUnified,
	}
	for _, step := range steps {
		if err := step(r); err != nil {
			return fmt.Errorf("set cgroup resources: %w", err)
		}
	}
	return nil
}

// route finds where controller ctrl lives: its v1 directory, or the cgroup2
// directory when the controller is enabled there.
func (m *manager) route(ctrl string) (dir string, v2 bool) {
	if d, ok := m.paths[ctrl]; ok {
		return d, false
	}
	if d, ok := m.paths[UnifiedKey]; ok && v2Has(d, ctrl) {
		return d, true
	}
	return "", false
}

func missing(setting, ctrl string) error {
	return fmt.Errorf("%s: the %s controller is neither a mounted v1 hierarchy nor enabled on cgroup2 here: %w", setting, ctrl, errdefs.ErrUnavailable)
}

func (m *manager) setMemory(r *specs.LinuxResources) error {
	if r.Memory == nil {
		return nil
	}
	dir, v2 := m.route("memory")
	switch {
	case dir == "" && memorySet(r.Memory):
		return missing("memory", "memory")
	case dir == "":
		return nil
	case v2:
		return setV2Memory(dir, r.Memory)
	}
	return setV1Memory(dir, r.Memory)
}

func memorySet(m *specs.LinuxMemory) bool {
	return nonZero(m.Limit) != nil || nonZero(m.Swap) != nil || nonZero(m.Reservation) != nil ||
		m.Swappiness != nil || m.DisableOOMKiller != nil || m.UseHierarchy != nil
}

func (m *manager) setCPU(r *specs.LinuxResources) error {
	c := r.CPU
	if c == nil {
		return nil
	}
	set := c.Shares != nil || c.Quota != nil || c.Period != nil || c.Burst != nil ||
		c.RealtimePeriod != nil || c.RealtimeRuntime != nil || c.Idle != nil
	dir, v2 := m.route("cpu")
	switch {
	case dir == "" && set:
		return missing("cpu", "cpu")
	case dir == "":
		return nil
	case v2:
		return setV2CPU(dir, c)
	}
	return setV1CPU(dir, c)
}

func (m *manager) setCpuset(r *specs.LinuxResources) error {
	if r.CPU == nil || (r.CPU.Cpus == "" && r.CPU.Mems == "") {
		return nil
	}
	dir, _ := m.route("cpuset")
	if dir == "" {
		return missing("cpu.cpus/mems", "cpuset")
	}
	return setCpuset(dir, r.CPU)
}

func (m *manager) setPids(r *specs.LinuxResources) error {
	if r.Pids == nil || r.Pids.Limit == nil {
		return nil
	}
	dir, _ := m.route("pids")
	if dir == "" {
		return missing("pids", "pids")
	}
	return setPids(dir, r.Pids)
}

func (m *manager) setBlockIO(r *specs.LinuxResources) error {
	if r.BlockIO == nil {
		return nil
	}
	if dir, ok := m.paths["blkio"]; ok {
		return setV1Blkio(dir, r.BlockIO)
	}
	if dir, v2 := m.route("io"); v2 {
		return setV2IO(dir, r.BlockIO)
	}
	return missing("blockIO", "blkio/io")
}

func (m *manager) setHugetlb(r *specs.LinuxResources) error {
	if len(r.HugepageLimits) == 0 {
		return nil
	}
	dir, v2 := m.route("hugetlb")
	if dir == "" {
		return missing("hugepageLimits", "hugetlb")
	}
	return setHugetlb(dir, r.HugepageLimits, v2)
}

// setNetwork: net_cls and net_prio exist on v1 only; cgroup2 classifies
// traffic with eBPF or by cgroup path instead, with no equivalent file.
func (m *manager) setNetwork(r *specs.LinuxResources) error {
	n := r.Network
	if n == nil {
		return nil
	}
	if n.ClassID != nil {
		dir, ok := m.paths["net_cls"]
		if !ok {
			return missing("network.classID", "net_cls")
		}
		if err := setV1NetCls(dir, n); err != nil {
			return err
		}
	}
	if len(n.Priorities) > 0 {
		dir, ok := m.paths["net_prio"]
		if !ok {
			return missing("network.priorities", "net_prio")
		}
		return setV1NetPrio(dir, n)
	}
	return nil
}

func (m *manager) setRdma(r *specs.LinuxResources) error {
	if len(r.Rdma) == 0 {
		return nil
	}
	dir, _ := m.route("rdma")
	if dir == "" {
		return missing("rdma", "rdma")
	}
	return setRdma(dir, r.Rdma)
}

// setDevices: the v1 devices hierarchy when mounted, else an eBPF filter on
// the cgroup2 directory (the device controller of cgroup2 is that program,
// not a file, and needs no enabling).
func (m *manager) setDevices(r *specs.LinuxResources) error {
	if len(r.Devices) == 0 {
		return nil
	}
	rules, err := parseDeviceRules(r.Devices)
	if err != nil {
		return err
	}
	if dir, ok := m.paths["devices"]; ok {
		return setV1Devices(dir, rules)
	}
	if dir, ok := m.paths[UnifiedKey]; ok {
		err := setV2Devices(dir, rules)
		if m.rootless && isPermission(err) {
			// Loading a device program needs CAP_BPF and CAP_SYS_ADMIN in
			// the initial user namespace; a rootless container can create no
			// device node anyway, and sees only those bound in.
			return nil
		}
		return err
	}
	if m.rootless {
		return nil // no devices cgroup could be made; the same reasoning holds
	}
	return missing("devices", "devices")
}

func (m *manager) setUnified(r *specs.LinuxResources) error {
	if len(r.Unified) == 0 {
		return nil
	}
	dir, ok := m.paths[UnifiedKey]
	if !ok {
		return fmt.Errorf("unified: needs a cgroup v2 hierarchy, and this host has only v1: %w", errdefs.ErrUnavailable)
	}
	return setUnified(dir, r.Unified)
}
