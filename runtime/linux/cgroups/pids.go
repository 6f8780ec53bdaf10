package cgroups

import (
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// setPids writes pids.max, the same file on v1 and v2. A negative limit is
// "max"; 0 is a real limit (no new process at all), as the spec asks.
func setPids(dir string, p *specs.LinuxPids) error {
	if p.Limit == nil {
		return nil
	}
	v := "max"
	if *p.Limit >= 0 {
		v = strconv.FormatInt(*p.Limit, 10)
	}
	return writeFile(dir, "pids.max", v)
}
