package cgroups

import (
	"fmt"

	"github.com/berth-oci/berth/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// setV1Blkio writes the blkio controller's files. Weights went to CFQ's
// blkio.weight until Linux 5.0 removed CFQ; BFQ took them over as
// blkio.bfq.weight, so the first of the two that exists is used. Leaf
// weights were CFQ's alone.
func setV1Blkio(dir string, b *specs.LinuxBlockIO) error {
	weightFile, weightDevFile := "blkio.weight", "blkio.weight_device"
	if !exists(dir, weightFile) && exists(dir, "blkio.bfq.weight") {
		weightFile, weightDevFile = "blkio.bfq.weight", "blkio.bfq.weight_device"
	}
	if b.Weight != nil && *b.Weight != 0 {
		if err := writeKnob(dir, weightFile, fmt.Sprint(*b.Weight), "blockIO.weight"); err != nil {
			return err
		}
	}
	if b.LeafWeight != nil && *b.LeafWeight != 0 {
		if err := writeKnob(dir, "blkio.leaf_weight", fmt.Sprint(*b.LeafWeight), "blockIO.leafWeight (CFQ only)"); err != nil {
			return err
		}
	}
	for _, wd := range b.WeightDevice {
		dev := fmt.Sprintf("%d:%d ", wd.Major, wd.Minor)
		if wd.Weight != nil {
			if err := writeKnob(dir, weightDevFile, dev+fmt.Sprint(*wd.Weight), "blockIO.weightDevice"); err != nil {
				return err
			}
		}
		if wd.LeafWeight != nil {
			if err := writeKnob(dir, "blkio.leaf_weight_device", dev+fmt.Sprint(*wd.LeafWeight), "blockIO.weightDevice leafWeight (CFQ only)"); err != nil {
				return err
			}
		}
	}
	throttles := []struct {
		file string
		devs []specs.LinuxThrottleDevice
	}{
		{"blkio.throttle.read_bps_device", b.ThrottleReadBpsDevice},
		{"blkio.throttle.write_bps_device", b.ThrottleWriteBpsDevice},
		{"blkio.throttle.read_iops_device", b.ThrottleReadIOPSDevice},
		{"blkio.throttle.write_iops_device", b.ThrottleWriteIOPSDevice},
	}
	for _, t := range throttles {
		for _, d := range t.devs {
			// 0 removes the device's limit on v1.
			if err := writeKnob(dir, t.file, fmt.Sprintf("%d:%d %d", d.Major, d.Minor, d.Rate), "blockIO throttle"); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeKnob writes a file that a kernel may lack; its absence is reported as
// the setting being unavailable rather than as a bare ENOENT.
func writeKnob(dir, file, value, setting string) error {
	if !exists(dir, file) {
		return fmt.Errorf("%s: this kernel has no %s in %s: %w", setting, file, dir, errdefs.ErrUnavailable)
	}
	return writeFile(dir, file, value)
}
