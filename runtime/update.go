package runtime

import (
	"fmt"

	"github.com/berth-oci/berth/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Update writes res to the container's cgroup and records it, so that the
// state shows the limits in force. Fields left nil are not changed.
func (r *Runtime) Update(id string, res *specs.LinuxResources) error {
	rec, l, err := r.lockLoad(id)
	if err != nil {
		return err
	}
	defer l.unlock()
	if st := r.status(rec); st == specs.StateStopped {
		return wrongState(id, st, "running", "update")
	}
	cg, err := r.loadCgroup(rec)
	if err != nil {
		return err
	}
	if cg == nil {
		return fmt.Errorf("update %s: the container has no cgroup: %w", id, errdefs.ErrFailedPrecondition)
	}
	if err := cg.Set(res); err != nil {
		return fmt.Errorf("update %s: %w", id, err)
	}
	rec.Spec.Linux.Resources = mergeResources(rec.Spec.Linux.Resources, res)
	rec.RawSpec = nil // no longer the config's encoding
	return r.save(rec)
}

// mergeResources lays the set fields of upd over old.
func mergeResources(old, upd *specs.LinuxResources) *specs.LinuxResources {
	if old == nil {
		old = &specs.LinuxResources{}
	}
	m := *old
	if upd.Memory != nil {
		m.Memory = upd.Memory
	}
	if upd.CPU != nil {
		m.CPU = upd.CPU
	}
	if upd.Pids != nil {
		m.Pids = upd.Pids
	}
	if upd.BlockIO != nil {
		m.BlockIO = upd.BlockIO
	}
	if len(upd.Devices) > 0 {
		m.Devices = upd.Devices
	}
	if len(upd.HugepageLimits) > 0 {
		m.HugepageLimits = upd.HugepageLimits
	}
	if upd.Unified != nil {
		m.Unified = upd.Unified
	}
	return &m
}
