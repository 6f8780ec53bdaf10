package cgroups

import (
	"fmt"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// setRdma writes one rdma.max line per device, the same format on v1 and v2:
// "mlx5_1 hca_handle=3 hca_object=10000". A field left out keeps its value.
func setRdma(dir string, limits map[string]specs.LinuxRdma) error {
	devs := make([]string, 0, len(limits))
	for dev := range limits {
		devs = append(devs, dev)
	}
	slices.Sort(devs)
	for _, dev := range devs {
		if err := writeFile(dir, "rdma.max", rdmaLine(dev, limits[dev])); err != nil {
			return err
		}
	}
	return nil
}

func rdmaLine(dev string, l specs.LinuxRdma) string {
	fields := []string{dev}
	if l.HcaHandles != nil {
		fields = append(fields, fmt.Sprintf("hca_handle=%d", *l.HcaHandles))
	}
	if l.HcaObjects != nil {
		fields = append(fields, fmt.Sprintf("hca_object=%d", *l.HcaObjects))
	}
	return strings.Join(fields, " ")
}
