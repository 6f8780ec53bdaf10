package cgroups

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// setV2Devices replaces the cgroup's device filter with one built from rules.
// The new program is attached before the old ones are detached: while both
// are attached the kernel allows only what both allow, so there is no moment
// in which the container can open more than either list grants. No rules
// leaves the filter alone.
func setV2Devices(dir string, rules []deviceRule) error {
	if len(rules) == 0 {
		return nil
	}
	progFd, err := loadDeviceProgram(deviceProgram(rules))
	if err != nil {
		return fmt.Errorf("device filter for %s: %w", dir, err)
	}
	defer unix.Close(progFd)
	cgFd, err := unix.Open(dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("device filter: open %s: %w", dir, err)
	}
	defer unix.Close(cgFd)
	old, err := attachedDevicePrograms(cgFd)
	if err != nil {
		return fmt.Errorf("device filter for %s: %w", dir, err)
	}
	if err := attachDeviceProgram(cgFd, progFd); err != nil {
		return fmt.Errorf("device filter for %s: %w", dir, err)
	}
	var errs []error
	for _, id := range old {
		errs = append(errs, detachDeviceProgram(cgFd, id))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("device filter for %s: %w", dir, err)
	}
	return nil
}
