package cgroups

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// setV1NetPrio writes one "interface priority" line per entry to
// net_prio.ifpriomap; the kernel parses one pair per write.
func setV1NetPrio(dir string, n *specs.LinuxNetwork) error {
	for _, p := range n.Priorities {
		if err := writeFile(dir, "net_prio.ifpriomap", fmt.Sprintf("%s %d", p.Name, p.Priority)); err != nil {
			return err
		}
	}
	return nil
}
