package cgroups

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

func (m *manager) Signal(sig unix.Signal) error {
	if d := m.paths[UnifiedKey]; sig == unix.SIGKILL && m.mode == ModeV2 && exists(d, "cgroup.kill") {
		// The kernel kills the whole tree at once, forks included (5.14).
		return writeFile(d, "cgroup.kill", "1")
	}
	v1, v2 := m.freezer()
	canFreeze := v1 != "" || v2 != ""
	wasPaused := false
	if canFreeze {
		var err error
		if wasPaused, err = m.Paused(); err != nil {
			return fmt.Errorf("signal cgroup: %w", err)
		}
		// A freeze that cannot finish still must not stop a SIGKILL.
		if err := m.Freeze(); err != nil && sig != unix.SIGKILL {
			return fmt.Errorf("signal cgroup: %w", err)
		}
	}
	err := m.signalEach(sig)
	// Frozen tasks act on SIGKILL only once thawed; otherwise a paused
	// container stays paused.
	if canFreeze && (!wasPaused || sig == unix.SIGKILL) {
		err = errors.Join(err, m.Thaw())
	}
	if err != nil {
		return fmt.Errorf("signal cgroup with %v: %w", sig, err)
	}
	return nil
}

func (m *manager) signalEach(sig unix.Signal) error {
	pids, err := m.Pids()
	if err != nil {
		return err
	}
	var errs []error
	for _, pid := range pids {
		if err := unix.Kill(pid, sig); err != nil && !errors.Is(err, unix.ESRCH) {
			errs = append(errs, fmt.Errorf("kill %d: %w", pid, err))
		}
	}
	return errors.Join(errs...)
}
