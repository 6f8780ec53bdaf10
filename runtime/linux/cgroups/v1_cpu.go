package cgroups

import (
	"errors"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// write is one pending file write.
type write struct{ file, value string }

// writeOrdered writes each value; one the kernel refuses with EINVAL is tried
// again after the others, because CFS checks each value against the current
// state: a new period against the old quota, a burst against the quota, a
// realtime period against the runtime. The right order depends on whether
// the values grow or shrink, and trying twice finds it.
func writeOrdered(dir string, writes []write) error {
	var retry []write
	for _, w := range writes {
		err := writeFile(dir, w.file, w.value)
		if errors.Is(err, unix.EINVAL) && len(writes) > 1 {
			retry = append(retry, w)
		} else if err != nil {
			return err
		}
	}
	for _, w := range retry {
		if err := writeFile(dir, w.file, w.value); err != nil {
			return err
		}
	}
	return nil
}

func setV1CPU(dir string, c *specs.LinuxCPU) error {
	if err := setWeightAndIdle(dir, "cpu.shares", nonZeroU(c.Shares), c.Idle); err != nil {
		return err
	}
	if c.Shares != nil && *c.Shares != 0 {
		if err := checkShares(dir, *c.Shares); err != nil {
			return err
		}
	}
	var cfs []write
	if c.Period != nil && *c.Period != 0 {
		cfs = append(cfs, write{"cpu.cfs_period_us", strconv.FormatUint(*c.Period, 10)})
	}
	if c.Burst != nil {
		cfs = append(cfs, write{"cpu.cfs_burst_us", strconv.FormatUint(*c.Burst, 10)})
	}
	if c.Quota != nil && *c.Quota != 0 {
		cfs = append(cfs, write{"cpu.cfs_quota_us", strconv.FormatInt(max(*c.Quota, -1), 10)})
	}
	if err := writeOrdered(dir, cfs); err != nil {
		return err
	}
	var rt []write
	if c.RealtimePeriod != nil && *c.RealtimePeriod != 0 {
		rt = append(rt, write{"cpu.rt_period_us", strconv.FormatUint(*c.RealtimePeriod, 10)})
	}
	if c.RealtimeRuntime != nil && *c.RealtimeRuntime != 0 {
		rt = append(rt, write{"cpu.rt_runtime_us", strconv.FormatInt(*c.RealtimeRuntime, 10)})
	}
	return writeOrdered(dir, rt)
}

// setWeightAndIdle writes the weight file (v1 cpu.shares, v2 cpu.weight)
// and cpu.idle as one ordered group: the kernel refuses a weight for a
// cgroup that is idle, so leaving idle must come first and entering it
// last, which writeOrdered's second round sorts out.
func setWeightAndIdle(dir, weightFile string, weight *uint64, idle *int64) error {
	var w []write
	if weight != nil {
		w = append(w, write{weightFile, strconv.FormatUint(*weight, 10)})
	}
	if idle != nil {
		w = append(w, write{"cpu.idle", strconv.FormatInt(*idle, 10)})
	}
	return writeOrdered(dir, w)
}

func nonZeroU(p *uint64) *uint64 {
	if p == nil || *p == 0 {
		return nil
	}
	return p
}

// checkShares reads cpu.shares back: the kernel clamps a value outside
// 2–262144 silently, and a silently different weight is a surprise.
func checkShares(dir string, shares uint64) error {
	got, err := readUint(dir, "cpu.shares")
	if err != nil {
		return err
	}
	if got != shares {
		return invalid("cpu.shares %d: the kernel set %d instead (it accepts 2 to 262144)", shares, got)
	}
	return nil
}
