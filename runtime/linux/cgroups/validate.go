package cgroups

import (
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/berth-oci/berth/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// validate checks what can be checked without the kernel, so that bad input
// is refused before the first file is written.
func validate(r *specs.LinuxResources) error {
	if r == nil {
		return nil
	}
	checks := []func(*specs.LinuxResources) error{
		validateDevices, validateMemory, validateCPU, validateBlockIO,
		validateHugepages, validateNetwork, validateRdma, validateUnified,
	}
	for _, check := range checks {
		if err := check(r); err != nil {
			return fmt.Errorf("linux.resources.%w", err)
		}
	}
	return nil
}

func invalid(format string, args ...any) error {
	return fmt.Errorf(format+": %w", append(args, errdefs.ErrInvalidArgument)...)
}

func validateDevices(r *specs.LinuxResources) error {
	for i, d := range r.Devices {
		if _, err := parseDeviceRule(d); err != nil {
			return invalid("devices[%d]: %v", i, err)
		}
	}
	return nil
}

func validateMemory(r *specs.LinuxResources) error {
	if m := r.Memory; m != nil && m.Swappiness != nil && *m.Swappiness > 100 {
		return invalid("memory.swappiness %d: must be 0 to 100", *m.Swappiness)
	}
	return nil
}

// cpuList is the kernel's list format: "0-3,7". Compiled on first use,
// not at the start of every process (the container's init included).
var cpuList = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*$`)
})

func validateCPU(r *specs.LinuxResources) error {
	c := r.CPU
	if c == nil {
		return nil
	}
	if c.Quota != nil && *c.Quota > 0 && c.Burst != nil && *c.Burst > uint64(*c.Quota) {
		return invalid("cpu.burst %d: larger than cpu.quota %d", *c.Burst, *c.Quota)
	}
	if c.Cpus != "" && !cpuList().MatchString(c.Cpus) {
		return invalid("cpu.cpus %q: want a list like 0-3,7", c.Cpus)
	}
	if c.Mems != "" && !cpuList().MatchString(c.Mems) {
		return invalid("cpu.mems %q: want a list like 0-3,7", c.Mems)
	}
	return nil
}

func validateBlockIO(r *specs.LinuxResources) error {
	b := r.BlockIO
	if b == nil {
		return nil
	}
	for i, w := range b.WeightDevice {
		if w.Weight == nil && w.LeafWeight == nil {
			return invalid("blockIO.weightDevice[%d] (%d:%d): needs weight or leafWeight", i, w.Major, w.Minor)
		}
	}
	for _, list := range [][]specs.LinuxThrottleDevice{b.ThrottleReadBpsDevice, b.ThrottleWriteBpsDevice, b.ThrottleReadIOPSDevice, b.ThrottleWriteIOPSDevice} {
		for _, t := range list {
			if t.Major < 0 || t.Minor < 0 {
				return invalid("blockIO throttle device %d:%d: negative number", t.Major, t.Minor)
			}
		}
	}
	return nil
}

// pageSize is the hugepage size format of the spec: "2MB", "1GB", "64KB".
var pageSize = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[1-9][0-9]*(KB|MB|GB|TB|PB)$`)
})

func validateHugepages(r *specs.LinuxResources) error {
	for i, h := range r.HugepageLimits {
		if !pageSize().MatchString(h.Pagesize) {
			return invalid("hugepageLimits[%d].pageSize %q: want a size like 2MB or 1GB", i, h.Pagesize)
		}
	}
	return nil
}

// name is what may stand as one word on a cgroup file line (interface and
// RDMA device names).
func badName(s string) bool {
	return s == "" || strings.ContainsAny(s, " \t\n\r/\x00")
}

func validateNetwork(r *specs.LinuxResources) error {
	if r.Network == nil {
		return nil
	}
	for i, p := range r.Network.Priorities {
		if badName(p.Name) {
			return invalid("network.priorities[%d].name %q: not an interface name", i, p.Name)
		}
	}
	return nil
}

func validateRdma(r *specs.LinuxResources) error {
	for dev, l := range r.Rdma {
		if badName(dev) {
			return invalid("rdma %q: not a device name", dev)
		}
		if l.HcaHandles == nil && l.HcaObjects == nil {
			return invalid("rdma %q: needs hcaHandles or hcaObjects", dev)
		}
	}
	return nil
}

func validateUnified(r *specs.LinuxResources) error {
	for k, v := range r.Unified {
		if err := checkUnifiedKey(k); err != nil {
			return invalid("unified[%q]: %v", k, err)
		}
		if strings.ContainsRune(v, 0) {
			return invalid("unified[%q]: value contains a NUL byte", k)
		}
	}
	return nil
}

// checkUnifiedKey allows a file name of the cgroup directory, "ctrl.knob",
// and nothing that moves processes: those go through Add.
func checkUnifiedKey(k string) error {
	switch {
	case k == "" || k == "." || k == "..":
		return fmt.Errorf("not a file name")
	case strings.ContainsAny(k, "/\x00"):
		return fmt.Errorf("must name a file in the cgroup directory, not a path")
	case !strings.Contains(k, "."):
		return fmt.Errorf("want controller.file, like memory.high")
	case k == "cgroup.procs" || k == "cgroup.threads":
		return fmt.Errorf("processes are moved by the runtime, not by resources")
	}
	return nil
}
