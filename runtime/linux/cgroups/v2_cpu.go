package cgroups

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/berth-oci/berth/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// setV2CPU writes cpu.weight (converted from shares), cpu.max ("quota
// period"), cpu.max.burst and cpu.idle. v2 has no realtime group scheduling
// knobs: setting them is an error.
func setV2CPU(dir string, c *specs.LinuxCPU) error {
	if (c.RealtimeRuntime != nil && *c.RealtimeRuntime != 0) || (c.RealtimePeriod != nil && *c.RealtimePeriod != 0) {
		return fmt.Errorf("cpu.realtimeRuntime/realtimePeriod: cgroup v2 has no realtime group scheduling: %w", errdefs.ErrUnavailable)
	}
	var weight *uint64
	if c.Shares != nil && *c.Shares != 0 {
		weight = ptrTo(sharesToWeight(*c.Shares))
	}
	if err := setWeightAndIdle(dir, "cpu.weight", weight, c.Idle); err != nil {
		return err
	}
	var cfs []write
	if c.Burst != nil {
		cfs = append(cfs, write{"cpu.max.burst", strconv.FormatUint(*c.Burst, 10)})
	}
	quota := c.Quota != nil && *c.Quota != 0
	period := c.Period != nil && *c.Period != 0
	if quota || period {
		v, err := cpuMax(dir, c, quota, period)
		if err != nil {
			return err
		}
		cfs = append(cfs, write{"cpu.max", v})
	}
	return writeOrdered(dir, cfs)
}

func ptrTo[T any](v T) *T { return &v }

// cpuMax renders cpu.max. The file holds quota and period together, so an
// update naming only the period keeps the quota in force.
func cpuMax(dir string, c *specs.LinuxCPU, quota, period bool) (string, error) {
	q := "max"
	if quota && *c.Quota > 0 {
		q = strconv.FormatInt(*c.Quota, 10)
	}
	if !quota {
		cur, err := readFile(dir, "cpu.max")
		if err != nil {
			return "", err
		}
		q, _, _ = strings.Cut(cur, " ")
	}
	if !period {
		return q, nil // the kernel keeps the period
	}
	return q + " " + strconv.FormatUint(*c.Period, 10), nil
}
