package cgroups

import (
	"fmt"
	"strconv"

	"github.com/berth-oci/berth/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// setV2IO converts the v1 blockIO settings to the io controller. Weights go
// to io.bfq.weight when BFQ is there (same 1–1000 scale as blkio), else to
// io.weight, scaled to 1–10000; throttles become io.max lines. v2 has no
// leaf weights: setting one is an error.
func setV2IO(dir string, b *specs.LinuxBlockIO) error {
	if (b.LeafWeight != nil && *b.LeafWeight != 0) || hasLeafWeightDevice(b) {
		return fmt.Errorf("blockIO.leafWeight: cgroup v2 has no leaf weights: %w", errdefs.ErrUnavailable)
	}
	bfq := exists(dir, "io.bfq.weight")
	weight := func(w uint16) string {
		if bfq {
			return strconv.FormatUint(uint64(w), 10)
		}
		return strconv.FormatUint(blkioToIOWeight(w), 10)
	}
	file := "io.weight"
	if bfq {
		file = "io.bfq.weight"
	}
	if b.Weight != nil && *b.Weight != 0 {
		if err := writeKnob(dir, file, "default "+weight(*b.Weight), "blockIO.weight"); err != nil {
			return err
		}
	}
	for _, wd := range b.WeightDevice {
		if wd.Weight != nil {
			line := fmt.Sprintf("%d:%d %s", wd.Major, wd.Minor, weight(*wd.Weight))
			if err := writeKnob(dir, file, line, "blockIO.weightDevice"); err != nil {
				return err
			}
		}
	}
	for _, line := range ioMaxLines(b) {
		if err := writeKnob(dir, "io.max", line, "blockIO throttle"); err != nil {
			return err
		}
	}
	return nil
}

func hasLeafWeightDevice(b *specs.LinuxBlockIO) bool {
	for _, wd := range b.WeightDevice {
		if wd.LeafWeight != nil {
			return true
		}
	}
	return false
}
