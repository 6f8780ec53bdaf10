package cgroups

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// setV1Devices resets the list to deny everything, then applies the rules in
// order, as the spec asks: an allow rule is written to devices.allow, a deny
// rule to devices.deny. No rules leaves the list alone.
//
// On a running container the reset opens a moment in which its processes
// can open no device, and the kernel refuses the reset once the cgroup has
// child cgroups; so an update should leave devices out (runc update does),
// and berth-runtime update only gets here when it names devices.
func setV1Devices(dir string, rules []deviceRule) error {
	if len(rules) == 0 {
		return nil
	}
	if err := writeFile(dir, "devices.deny", "a"); err != nil {
		if errors.Is(err, unix.EINVAL) && hasChildren(dir) {
			return fmt.Errorf("%w (v1 cannot reset the device list of a cgroup that has child cgroups)", err)
		}
		return err
	}
	for _, r := range rules {
		file := "devices.deny"
		if r.allow {
			file = "devices.allow"
		}
		for _, line := range r.v1Lines() {
			if err := writeFile(dir, file, line); err != nil {
				return err
			}
		}
	}
	return nil
}

func hasChildren(dir string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if e.IsDir() {
			return true
		}
	}
	return false
}
