package runtime

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"slices"

	"github.com/berth-oci/berth/runtime/linux/cgroups"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// cgroupManager finds where the container's cgroup goes (cgroupsPath, or
// the ID under the runtime's own cgroup); nothing is made yet.
func (r *Runtime) cgroupManager(rec *record) (cgroups.Manager, error) {
	return cgroups.New(cgroups.Config{
		Path:        rec.Spec.Linux.CgroupsPath,
		ContainerID: rec.ID,
		Systemd:     r.SystemdCgroup,
		Rootless:    r.rootless(),
	})
}

// createCgroup makes the container's cgroup with linux.resources applied
// and records it in rec.
func (r *Runtime) createCgroup(rec *record, m cgroups.Manager) error {
	if err := m.Create(withDeviceRules(rec.Spec)); err != nil {
		return err
	}
	b, err := json.Marshal(m.Saved())
	if err != nil {
		return fmt.Errorf("encode cgroup state: %w", err)
	}
	rec.Cgroup = b
	return nil
}

// withDeviceRules returns linux.resources with the device rules runc adds
// after the config's own: access to every node of linux.devices, then the
// devices every container gets (null, zero, tty, ptmx...).
func withDeviceRules(spec *specs.Spec) *specs.LinuxResources {
	var r specs.LinuxResources
	if spec.Linux.Resources != nil {
		r = *spec.Linux.Resources
	}
	r.Devices = append([]specs.LinuxDeviceCgroup(nil), r.Devices...)
	for _, d := range spec.Linux.Devices {
		typ := d.Type
		switch typ {
		case "p": // a fifo needs no device access
			continue
		case "u":
			typ = "c"
		}
		major, minor := d.Major, d.Minor
		r.Devices = append(r.Devices, specs.LinuxDeviceCgroup{Allow: true, Type: typ, Major: &major, Minor: &minor, Access: "rwm"})
	}
	r.Devices = append(r.Devices, cgroups.DefaultDevices()...)
	return &r
}

// loadCgroup returns the manager of a container's cgroup, nil if it has none.
func (r *Runtime) loadCgroup(rec *record) (cgroups.Manager, error) {
	if len(rec.Cgroup) == 0 {
		return nil, nil
	}
	var s cgroups.Saved
	if err := json.Unmarshal(rec.Cgroup, &s); err != nil {
		return nil, fmt.Errorf("container %s: parse cgroup state: %w", rec.ID, err)
	}
	return cgroups.Load(s)
}

// paused reports whether the container's cgroup is frozen.
func (r *Runtime) paused(rec *record) bool {
	m, err := r.loadCgroup(rec)
	if err != nil || m == nil {
		return false
	}
	p, err := m.Paused()
	return err == nil && p
}

// rootless is --rootless: "auto" means rootless when not root.
func (r *Runtime) rootless() bool {
	switch r.Rootless {
	case "true":
		return true
	case "false":
		return false
	}
	return os.Geteuid() != 0
}

// cgroupMountinfo returns the cgroup and cgroup2 lines of this process's
// mountinfo when the config mounts "cgroup": the init's mount namespace is
// a copy of this one, and the init would read the same lines itself on its
// way to "created" (a full mountinfo costs it ~0.2 ms). nil otherwise, or
// when it cannot be read: the init then reads its own.
func cgroupMountinfo(spec *specs.Spec) []byte {
	if !slices.ContainsFunc(spec.Mounts, func(m specs.Mount) bool { return m.Type == "cgroup" }) {
		return nil
	}
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	var out []byte
	for len(b) > 0 {
		var line []byte
		line, b, _ = bytes.Cut(b, []byte("\n"))
		if _, post, ok := bytes.Cut(line, []byte(" - ")); ok {
			if f := bytes.Fields(post); len(f) > 0 && (string(f[0]) == "cgroup" || string(f[0]) == "cgroup2") {
				out = append(append(out, line...), '\n')
			}
		}
	}
	return out
}
