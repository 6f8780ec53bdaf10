package cgroups

import (
	"fmt"
	"time"

	"github.com/berth-oci/berth/errdefs"
)

// freezeWait bounds how long a freeze may stay in progress: a task in
// uninterruptible sleep (D state, e.g. on a dead NFS server) cannot be frozen
// until it wakes up.
const freezeWait = 5 * time.Second

// freezer says which freezer the cgroup has: the v1 hierarchy's directory, or
// the cgroup2 one (cgroup.freeze, Linux 5.2), or neither.
func (m *manager) freezer() (v1, v2 string) {
	if d, ok := m.paths["freezer"]; ok {
		return d, ""
	}
	if d, ok := m.paths[UnifiedKey]; ok && exists(d, "cgroup.freeze") {
		return "", d
	}
	return "", ""
}

func (m *manager) Freeze() error {
	v1, v2 := m.freezer()
	switch {
	case v1 != "":
		return setV1Freezer(v1, "FROZEN")
	case v2 != "":
		return setV2Freezer(v2, true)
	}
	return fmt.Errorf("freeze cgroup: no freezer (neither a v1 freezer hierarchy nor cgroup.freeze): %w", errdefs.ErrUnavailable)
}

func (m *manager) Thaw() error {
	v1, v2 := m.freezer()
	switch {
	case v1 != "":
		return setV1Freezer(v1, "THAWED")
	case v2 != "":
		return setV2Freezer(v2, false)
	}
	return fmt.Errorf("thaw cgroup: no freezer (neither a v1 freezer hierarchy nor cgroup.freeze): %w", errdefs.ErrUnavailable)
}

func (m *manager) Paused() (bool, error) {
	v1, v2 := m.freezer()
	switch {
	case v1 != "":
		s, err := readFile(v1, "freezer.state")
		return s == "FROZEN", err
	case v2 != "":
		ev, err := keyValues(v2, "cgroup.events")
		return ev["frozen"] == 1, err
	}
	return false, nil // nothing can have paused it
}

// setV1Freezer writes state to freezer.state until the kernel reports it.
// FROZEN goes through FREEZING while tasks are being stopped; writing FROZEN
// again on each round catches tasks that were forking meanwhile.
func setV1Freezer(dir, state string) error {
	var got string
	for wait := range backoff(100*time.Microsecond, 10*time.Millisecond, freezeWait) {
		if err := writeFile(dir, "freezer.state", state); err != nil {
			return err
		}
		var err error
		if got, err = readFile(dir, "freezer.state"); err != nil {
			return err
		}
		if got == state {
			return nil
		}
		time.Sleep(wait)
	}
	if state == "FROZEN" {
		_ = writeFile(dir, "freezer.state", "THAWED") // don't leave it half frozen
	}
	return fmt.Errorf("set %s/freezer.state to %s: still %s after %v: %w", dir, state, got, freezeWait, errdefs.ErrUnavailable)
}

// setV2Freezer writes cgroup.freeze and waits until cgroup.events agrees:
// the write only starts the freeze.
func setV2Freezer(dir string, frozen bool) error {
	want, value := uint64(0), "0"
	if frozen {
		want, value = 1, "1"
	}
	if err := writeFile(dir, "cgroup.freeze", value); err != nil {
		return err
	}
	for wait := range backoff(100*time.Microsecond, 10*time.Millisecond, freezeWait) {
		ev, err := keyValues(dir, "cgroup.events")
		if err != nil {
			return err
		}
		if ev["frozen"] == want {
			return nil
		}
		time.Sleep(wait)
	}
	if frozen {
		_ = writeFile(dir, "cgroup.freeze", "0")
	}
	return fmt.Errorf("set %s/cgroup.freeze to %s: cgroup.events does not follow after %v: %w", dir, value, freezeWait, errdefs.ErrUnavailable)
}
