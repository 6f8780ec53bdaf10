package cgroups

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// setCpuset writes cpus and mems, the same files on v1 and v2. On v1 Create
// has filled both from the parent first: a v1 cpuset with either list empty
// admits no task.
func setCpuset(dir string, c *specs.LinuxCPU) error {
	if c.Cpus != "" {
		if err := writeFile(dir, "cpuset.cpus", c.Cpus); err != nil {
			return err
		}
	}
	if c.Mems != "" {
		return writeFile(dir, "cpuset.mems", c.Mems)
	}
	return nil
}

// initCpuset copies cpuset.cpus and cpuset.mems from the parent into every
// level between the hierarchy root and dir that has them empty, top down
// (cgroup.clone_children would do the same, but only for new directories).
func initCpuset(dir string) error {
	var chain []string
	for d := dir; ; {
		parent := parentDir(d)
		if parent == d || !exists(parent, "cpuset.cpus") {
			break // d is the hierarchy root
		}
		chain = append(chain, d)
		d = parent
	}
	for i := len(chain) - 1; i >= 0; i-- {
		for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
			if err := copyIfEmpty(chain[i], f); err != nil {
				return fmt.Errorf("initialise cpuset: %w", err)
			}
		}
	}
	return nil
}

func copyIfEmpty(dir, file string) error {
	cur, err := readFile(dir, file)
	if err != nil || cur != "" {
		return err
	}
	v, err := readFile(parentDir(dir), file)
	if err != nil {
		return err
	}
	return writeFile(dir, file, v)
}
