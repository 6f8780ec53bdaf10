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
	if c.Shares != nil && *c.Shares != 0 {
		if err := setV1Shares(dir, *c.Shares); err != nil {
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
	if err := writeOrdered(dir, rt); err != nil {
		return err
	}
	return writeIfSet(dir, "cpu.idle", c.Idle)
}

// setV1Shares writes cpu.shares and reads it back: the kernel clamps a value
// outside 2–262144 silently, and a silently different weight is a surprise.
func setV1Shares(dir string, shares uint64) error {
	if err := writeFile(dir, "cpu.shares", strconv.FormatUint(shares, 10)); err != nil {
		return err
	}
	got, err := readUint(dir, "cpu.shares")
	if err != nil {
		return err
	}
	if got != shares {
		return invalid("cpu.shares %d: the kernel set %d instead (it accepts 2 to 262144)", shares, got)
	}
	return nil
}
