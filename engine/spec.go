package engine

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/berth-oci/berth/bundle"
	"github.com/berth-oci/berth/engine/reaper"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// The --init of a container: berth itself, mounted read-only at InitPath
// and run with the InitVerb.
const (
	InitPath = "/run/berth-init"
	InitVerb = reaper.Verb
)

// CgroupParent is where containers' cgroups go.
const CgroupParent = "/berth"

// buildSpec generates the runtime config of container r whose root
// filesystem is mounted at rootfs: the image config with the options
// applied over the default profile (bundle.Generate), then the engine's
// part: mounts, resources, security, namespaces.
func (e *Engine) buildSpec(ctx context.Context, r *containerRecord, rootfs, netns string) (*specs.Spec, error) {
	cfg, err := e.readConfig(ctx, &Image{ID: r.ImageID, Config: r.ImageConfig})
	if err != nil {
		return nil, err
	}
	o := &r.Options
	hostname := hostnameOf(r)
	env := append([]string{"HOSTNAME=" + hostname, "container=berth"}, o.Env...)
	s, err := bundle.Generate(cfg, rootfs, bundle.Options{
		Entrypoint: o.Entrypoint, Cmd: o.Command, Env: env, WorkingDir: o.WorkingDir, User: o.User,
		Hostname: hostname, Terminal: o.Tty, ReadOnly: o.ReadOnly, Annotations: o.Labels,
	})
	if err != nil {
		return nil, fmt.Errorf("container %s: %w", r.Name, err)
	}
	s.Root.Path = ctrRootfs
	s.Linux.CgroupsPath = CgroupParent + "/" + r.ID
	s.Process.NoNewPrivileges = o.NoNewPrivileges
	e.applyNetwork(s, o, netns)
	if err := e.applySecurity(s, o); err != nil {
		return nil, err
	}
	applyResources(s, o)
	if err := e.applyMounts(s, r); err != nil {
		return nil, err
	}
	if o.Init {
		self, err := e.self()
		if err != nil {
			return nil, err
		}
		s.Mounts = append(s.Mounts, specs.Mount{Destination: InitPath, Type: "bind", Source: self, Options: []string{"bind", "ro", "nosuid", "nodev"}})
		s.Process.Args = append([]string{InitPath, InitVerb, "--"}, s.Process.Args...)
	}
	return s, nil
}

func applyResources(s *specs.Spec, o *CreateOptions) {
	res := s.Linux.Resources
	if res == nil {
		res = &specs.LinuxResources{}
		s.Linux.Resources = res
	}
	if o.Memory > 0 {
		limit := o.Memory
		res.Memory = &specs.LinuxMemory{Limit: &limit}
	}
	if o.CPUs > 0 {
		period := uint64(100000)
		quota := int64(o.CPUs * float64(period))
		res.CPU = &specs.LinuxCPU{Quota: &quota, Period: &period}
	}
	if o.PidsLimit > 0 {
		limit := o.PidsLimit
		res.Pids = &specs.LinuxPids{Limit: &limit}
	}
}

// applySecurity sets capabilities, seccomp and, for a privileged
// container, lifts the confinement of the default profile.
func (e *Engine) applySecurity(s *specs.Spec, o *CreateOptions) error {
	caps, err := containerCaps(o)
	if err != nil {
		return err
	}
	c := &specs.LinuxCapabilities{Bounding: caps, Effective: caps, Permitted: caps}
	if s.Process.User.UID != 0 {
		// As podman: a user other than root gets no capabilities in effect,
		// only the bound.
		c.Effective, c.Permitted = nil, nil
	}
	s.Process.Capabilities = c
	if o.Privileged {
		privileged(s)
		return nil
	}
	if o.SeccompUnconfined {
		return nil
	}
	p := o.Seccomp
	if p == nil {
		p = DefaultSeccompProfile()
	}
	s.Linux.Seccomp = p.Resolve(caps)
	return nil
}

// privileged opens up the default profile: every host device, writable
// /sys and cgroups, nothing masked.
func privileged(s *specs.Spec) {
	s.Linux.MaskedPaths, s.Linux.ReadonlyPaths = nil, nil
	s.Linux.Resources.Devices = []specs.LinuxDeviceCgroup{{Allow: true, Access: "rwm"}}
	s.Linux.Devices = hostDevices()
	for i, m := range s.Mounts {
		if m.Destination == "/sys" || m.Destination == "/sys/fs/cgroup" {
			s.Mounts[i].Options = slices.DeleteFunc(slices.Clone(m.Options), func(o string) bool { return o == "ro" })
			s.Mounts[i].Options = append(s.Mounts[i].Options, "rw")
		}
	}
}

// applyMounts adds the container's files over /etc, its volumes, binds
// and tmpfs mounts, parents before children.
func (e *Engine) applyMounts(s *specs.Spec, r *containerRecord) error {
	var user []specs.Mount
	covered := map[string]bool{}
	for _, m := range r.Options.Mounts {
		sm, err := e.specMount(m)
		if err != nil {
			return err
		}
		user = append(user, sm)
		covered[sm.Destination] = true
	}
	if r.Options.ReadOnly && r.Options.ReadOnlyTmpfs {
		for _, d := range []string{"/tmp", "/var/tmp", "/run"} {
			if !covered[d] {
				mode := "mode=1777"
				if d == "/run" {
					mode = "mode=755"
				}
				user = append(user, specs.Mount{Destination: d, Type: "tmpfs", Source: "tmpfs", Options: []string{"rw", "nosuid", "nodev", mode}})
			}
		}
	}
	dir := e.ctrDir(r.ID)
	for _, f := range []string{etcHostname, etcHosts, etcResolv} {
		dest := "/etc/" + f
		if !covered[dest] {
			s.Mounts = append(s.Mounts, specs.Mount{Destination: dest, Type: "bind", Source: filepath.Join(dir, f), Options: []string{"bind", "rprivate"}})
		}
	}
	// Image volumes stay directories of the root filesystem unless mounted
	// over; user mounts replace default ones at the same place.
	s.Mounts = slices.DeleteFunc(s.Mounts, func(m specs.Mount) bool { return covered[m.Destination] })
	slices.SortStableFunc(user, func(a, b specs.Mount) int {
		return strings.Count(filepath.Clean(a.Destination), "/") - strings.Count(filepath.Clean(b.Destination), "/")
	})
	s.Mounts = append(s.Mounts, user...)
	return nil
}

func (e *Engine) specMount(m Mount) (specs.Mount, error) {
	switch m.Type {
	case MountTmpfs:
		opts := mergeFlags([]string{"rw", "noexec", "nosuid", "nodev"}, m.Options)
		if m.ReadOnly {
			opts = mergeFlags(opts, []string{"ro"})
		}
		return specs.Mount{Destination: m.Destination, Type: "tmpfs", Source: "tmpfs", Options: opts}, nil
	case MountBind, MountVolume:
		src := m.Source
		if m.Type == MountVolume {
			src = e.volumeDir(m.Source)
		}
		opts := []string{"rbind"}
		if slices.Contains(m.Options, "bind") {
			opts = []string{"bind"}
		}
		hasPropagation := false
		for _, o := range m.Options {
			switch o {
			case "bind", "rbind":
			case "private", "rprivate", "shared", "rshared", "slave", "rslave":
				hasPropagation = true
				opts = append(opts, o)
			default:
				opts = append(opts, o)
			}
		}
		if !hasPropagation {
			opts = append(opts, "rprivate")
		}
		if m.ReadOnly {
			opts = append(opts, "ro")
		}
		return specs.Mount{Destination: m.Destination, Type: "bind", Source: src, Options: opts}, nil
	}
	return specs.Mount{}, fmt.Errorf("mount of type %q", m.Type)
}

// mergeFlags adds extra to base, an option replacing its opposite
// (exec replaces noexec, ro replaces rw, size=1m replaces size=…).
func mergeFlags(base, extra []string) []string {
	out := slices.Clone(base)
	opposite := func(o string) string {
		switch o {
		case "ro":
			return "rw"
		case "rw":
			return "ro"
		}
		if strings.HasPrefix(o, "no") {
			return o[2:]
		}
		return "no" + o
	}
	for _, o := range extra {
		key, _, hasVal := strings.Cut(o, "=")
		out = slices.DeleteFunc(out, func(b string) bool {
			bk, _, _ := strings.Cut(b, "=")
			return b == o || b == opposite(o) || (hasVal && bk == key)
		})
		out = append(out, o)
	}
	return out
}
