package rootfs

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/berth-oci/berth/errdefs"
)

const cgroupRoot = "/sys/fs/cgroup"

// cgroup mounts the container's cgroups as runc does: on a unified (v2)
// host a cgroup2 filesystem (bound from the host where it may not be
// mounted); otherwise (v1, and the hybrid layout, whose v2 part runc
// leaves out) a tmpfs with one mount per v1 hierarchy.
func (m *mounter) cgroup(dest string, mnt specs.Mount, o mountOptions) error {
	t, err := m.k.FSType(cgroupRoot)
	if err != nil {
		return err
	}
	if t == unix.CGROUP2_SUPER_MAGIC {
		return m.cgroup2(dest, mnt, o)
	}
	return m.cgroup1(dest, o)
}

func (m *mounter) cgroup2(dest string, mnt specs.Mount, o mountOptions) error {
	attr := o.attr.then(o.recAttr)
	src := mnt.Source
	if src == "" {
		src = "cgroup2"
	}
	err := m.r.Mount(dest, &FS{Type: "cgroup2", Source: src, SBFlags: sbFlags(o.sb), Data: o.data,
		Attr: attr.Set, Propagation: o.prop})
	if !errors.Is(err, unix.EPERM) && !errors.Is(err, unix.EBUSY) {
		return err
	}
	// A user namespace without its own cgroup namespace may not mount
	// cgroup2: bind the container's part of the host's hierarchy. (In a
	// cgroup namespace /proc/self/cgroup no longer tells which part that
	// is, and binding the whole would show the host's.)
	if newNamespace(m.spec, specs.CgroupNamespace) {
		return err
	}
	own, oerr := m.ownCgroups()
	if oerr != nil {
		return oerr
	}
	from := path.Join(cgroupRoot, own[""])
	return m.r.Bind(dest, &Bind{Source: Source{Path: from}, Recursive: true, RecAttr: attr, Propagation: o.prop})
}

// cgroup1 mounts a tmpfs at dest and under it each v1 hierarchy: a new
// cgroup mount (which shows the cgroup namespace's root) when the container
// has a cgroup namespace, else a bind of the container's own cgroup.
func (m *mounter) cgroup1(dest string, o mountOptions) error {
	cgroupns := newNamespace(m.spec, specs.CgroupNamespace)
	hs, err := m.hierarchies(!cgroupns)
	if err != nil {
		return err
	}
	const safe = unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV | unix.MOUNT_ATTR_NOEXEC
	if err := m.r.Mount(dest, &FS{Type: "tmpfs", Source: "tmpfs", Data: m.withLabel("tmpfs", []string{"mode=755"}),
		Attr: safe, Propagation: o.prop}); err != nil {
		return err
	}
	attr := o.attr.then(o.recAttr)
	ro := attr.Set & unix.MOUNT_ATTR_RDONLY
	for _, h := range hs {
		sub := path.Join(dest, h.dir)
		if cgroupns {
			err = m.r.Mount(sub, &FS{Type: "cgroup", Source: "cgroup", Data: h.controllers, Attr: safe | ro, Propagation: o.prop})
		} else {
			err = m.r.Bind(sub, &Bind{Source: Source{Path: h.source}, Recursive: true, Attr: o.attr, RecAttr: o.recAttr, Propagation: o.prop})
		}
		if err != nil {
			return fmt.Errorf("cgroup hierarchy %s: %w", h.dir, err)
		}
		if err := m.comountLinks(dest, h.dir); err != nil {
			return err
		}
	}
	if ro != 0 {
		return m.r.Change(dest, Change{Attr: Attr{Set: unix.MOUNT_ATTR_RDONLY}})
	}
	return nil
}

// comountLinks makes cpu and cpuacct symlinks to a "cpu,cpuacct" hierarchy.
func (m *mounter) comountLinks(dest, dir string) error {
	if !strings.Contains(dir, ",") {
		return nil
	}
	for _, c := range strings.Split(dir, ",") {
		if err := m.r.Symlink(dir, path.Join(dest, c)); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
	}
	return nil
}

// hierarchy is one cgroup v1 hierarchy as the container sees it.
type hierarchy struct {
	dir         string   // its directory under the cgroup mount: the host mountpoint's name
	controllers []string // "cpu", "cpuacct", "name=systemd": the mount data
	source      string   // the host directory of the container's cgroup in it
}

// hierarchies lists the v1 hierarchies mounted on the host, in mount order,
// and, with sources, the host directory of the cgroup the calling process
// (the container's init, already in its cgroups) belongs to in each.
func (m *mounter) hierarchies(sources bool) ([]hierarchy, error) {
	b := m.opts.CgroupMountinfo
	if b == nil {
		var err error
		if b, err = m.k.ReadFile("/proc/self/mountinfo"); err != nil {
			return nil, err
		}
	}
	mounts, err := parseMountinfo(b)
	if err != nil {
		return nil, err
	}
	own, err := m.ownCgroups()
	if err != nil {
		return nil, err
	}
	return matchHierarchies(mounts, own, sources)
}

func matchHierarchies(mounts []mountEntry, own map[string]string, sources bool) ([]hierarchy, error) {
	var hs []hierarchy
	seen := map[string]bool{}
	for _, mnt := range mounts {
		if mnt.FSType != "cgroup" {
			continue
		}
		for ctrls, cg := range own {
			if ctrls == "" || seen[ctrls] || !hasAll(mnt.SuperOpts, strings.Split(ctrls, ",")) {
				continue
			}
			h := hierarchy{dir: path.Base(mnt.Mountpoint), controllers: strings.Split(ctrls, ",")}
			if sources {
				rel, ok := strings.CutPrefix(cg, strings.TrimSuffix(mnt.Root, "/"))
				if !ok || (rel != "" && !strings.HasPrefix(rel, "/")) {
					return nil, fmt.Errorf("cgroup %s of hierarchy %s is outside the host's mount of it at %s (root %s): %w",
						cg, ctrls, mnt.Mountpoint, mnt.Root, errdefs.ErrFailedPrecondition)
				}
				h.source = mnt.Mountpoint + rel
			}
			seen[ctrls] = true
			hs = append(hs, h)
		}
	}
	return hs, nil
}

func hasAll(have, want []string) bool {
	for _, w := range want {
		found := false
		for _, h := range have {
			if h == w {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// ownCgroups reads /proc/self/cgroup: controller list ("" for v2) to path.
func (m *mounter) ownCgroups() (map[string]string, error) {
	b, err := m.k.ReadFile("/proc/self/cgroup")
	if err != nil {
		return nil, err
	}
	return parseProcCgroup(b)
}

func parseProcCgroup(b []byte) (map[string]string, error) {
	own := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if line == "" {
			continue
		}
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 || !strings.HasPrefix(parts[2], "/") {
			return nil, fmt.Errorf("/proc/self/cgroup: malformed line %q: %w", line, errdefs.ErrInvalidArgument)
		}
		own[parts[1]] = parts[2]
	}
	return own, nil
}
