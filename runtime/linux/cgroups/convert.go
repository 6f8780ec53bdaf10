package cgroups

import (
	"fmt"
	"math"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// sharesToWeight maps v1 cpu.shares (2–262144, default 1024) to v2 cpu.weight
// (1–10000, default 100) as runc and crun do since 2025: on a log scale, the
// parabola through the minimum (2 → 1), the default (1024 → 100) and the
// maximum (262144 → 10000). The older linear map sent the default 1024 to
// 39, far below a v2 cgroup's default. 0 means unset and stays 0.
func sharesToWeight(shares uint64) uint64 {
	switch {
	case shares == 0:
		return 0
	case shares <= 2:
		return 1
	case shares >= 262144:
		return 10000
	}
	// x = log2(shares) passes 1, 10, 18 where y = log10(weight) is 0, 2, 4;
	// Lagrange's form of the parabola through those points:
	x := math.Log2(float64(shares))
	y := 2*(x-1)*(x-18)/((10-1)*(10-18)) + 4*(x-1)*(x-10)/((18-1)*(18-10))
	return uint64(math.Ceil(math.Pow(10, y) - 1e-9)) // 1e-9: 1024 must give 100, not 101 by rounding
}

// blkioToIOWeight maps a v1 blkio weight (10–1000) linearly onto v2
// io.weight (1–10000). 0 means unset.
func blkioToIOWeight(w uint16) uint64 {
	switch {
	case w == 0:
		return 0
	case w <= 10:
		return 1
	}
	return 1 + (uint64(w)-10)*9999/990
}

// swapV2 converts the spec's swap (memory+swap, the v1 memsw limit) into
// v2's memory.swap.max (swap alone) given the memory limit in force. "" means
// write nothing. As in runc, 0 means unset, and lifting the memory limit
// without naming swap lifts swap too.
func swapV2(swap, limit int64) (string, error) {
	switch {
	case swap == 0 && limit == -1:
		return "max", nil
	case swap == 0:
		return "", nil
	case swap < 0:
		return "max", nil
	case limit <= 0:
		return "", invalid("memory.swap %d: a swap limit needs a memory limit", swap)
	case swap < limit:
		return "", invalid("memory.swap %d: memory+swap must not be below memory.limit %d", swap, limit)
	}
	return strconv.FormatInt(swap-limit, 10), nil
}

// maxValue renders a v2 limit: negative is "max".
func maxValue(v int64) string {
	if v < 0 {
		return "max"
	}
	return strconv.FormatInt(v, 10)
}

// ioMaxLines turns the four v1 throttle lists into io.max lines, one per
// device with every key it has: "8:0 rbps=1048576 wiops=120". A rate of 0,
// which removes the limit on v1, is "max".
func ioMaxLines(b *specs.LinuxBlockIO) []string {
	var order []string
	lines := map[string]string{}
	add := func(key string, devs []specs.LinuxThrottleDevice) {
		for _, d := range devs {
			dev := fmt.Sprintf("%d:%d", d.Major, d.Minor)
			if _, ok := lines[dev]; !ok {
				order = append(order, dev)
				lines[dev] = dev
			}
			v := "max"
			if d.Rate != 0 {
				v = strconv.FormatUint(d.Rate, 10)
			}
			lines[dev] += " " + key + "=" + v
		}
	}
	add("rbps", b.ThrottleReadBpsDevice)
	add("wbps", b.ThrottleWriteBpsDevice)
	add("riops", b.ThrottleReadIOPSDevice)
	add("wiops", b.ThrottleWriteIOPSDevice)
	out := make([]string, 0, len(order))
	for _, dev := range order {
		out = append(out, lines[dev])
	}
	return out
}
