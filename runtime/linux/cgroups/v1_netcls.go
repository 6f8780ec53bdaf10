package cgroups

import (
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// setV1NetCls tags the container's packets with classID (net_cls.classid,
// 0xAAAABBBB as a decimal number) for tc and iptables to match.
func setV1NetCls(dir string, n *specs.LinuxNetwork) error {
	if n.ClassID == nil {
		return nil
	}
	return writeFile(dir, "net_cls.classid", strconv.FormatUint(uint64(*n.ClassID), 10))
}
