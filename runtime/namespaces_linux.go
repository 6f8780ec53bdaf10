package runtime

import (
	"fmt"
	"sort"
	"syscall"

	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/runtime/linux/nsenter"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// nsKinds maps the spec's namespace types to their clone flag and the name
// /proc/self/ns uses.
var nsKinds = map[specs.LinuxNamespaceType]struct {
	flag uintptr
	proc string
}{
	specs.PIDNamespace:     {unix.CLONE_NEWPID, "pid"},
	specs.NetworkNamespace: {unix.CLONE_NEWNET, "net"},
	specs.MountNamespace:   {unix.CLONE_NEWNS, "mnt"},
	specs.IPCNamespace:     {unix.CLONE_NEWIPC, "ipc"},
	specs.UTSNamespace:     {unix.CLONE_NEWUTS, "uts"},
	specs.UserNamespace:    {unix.CLONE_NEWUSER, "user"},
	specs.CgroupNamespace:  {unix.CLONE_NEWCGROUP, "cgroup"},
	specs.TimeNamespace:    {unix.CLONE_NEWTIME, "time"},
}

// NamespaceTypes lists the namespace types the runtime recognises.
func NamespaceTypes() []string {
	var l []string
	for t := range nsKinds {
		l = append(l, string(t))
	}
	sort.Strings(l)
	return l
}

// inUserNS reports whether the init runs in a user namespace other than
// the runtime's, where it cannot write the host's cgroup files.
func (p *nsPlan) inUserNS() bool { return p.newUser || p.joinedUser }

// nsPlan is how the init gets its namespaces: the clone makes what it can,
// the nsenter constructor joins paths and makes what must come after a
// join, the parent's thread joins a pid namespace (only children enter
// one), and the init unshares the cgroup namespace once in its cgroup.
type nsPlan struct {
	cloneflags  uintptr
	enter       nsenter.Plan
	pidPath     string
	newUser     bool
	joinedUser  bool
	newCgroupNS bool
	uidMaps     []syscall.SysProcIDMap
	gidMaps     []syscall.SysProcIDMap
}

func planNamespaces(spec *specs.Spec) (*nsPlan, error) {
	p := &nsPlan{}
	var fresh uintptr
	joinedUser := false
	seen := map[specs.LinuxNamespaceType]bool{}
	for _, ns := range spec.Linux.Namespaces {
		kind, ok := nsKinds[ns.Type]
		if !ok {
			return nil, fmt.Errorf("linux.namespaces: unknown type %q: %w", ns.Type, errdefs.ErrInvalidArgument)
		}
		if seen[ns.Type] {
			return nil, fmt.Errorf("linux.namespaces: %s listed twice: %w", ns.Type, errdefs.ErrInvalidArgument)
		}
		seen[ns.Type] = true
		if ns.Path == "" {
			fresh |= kind.flag
			continue
		}
		if err := checkNamespaceFile(ns.Path, kind.flag, ns.Type); err != nil {
			return nil, err
		}
		switch ns.Type {
		case specs.PIDNamespace:
			p.pidPath = ns.Path
		case specs.UserNamespace:
			joinedUser = true
			p.enter.Join = append([]nsenter.Join{{Type: kind.proc, Path: ns.Path}}, p.enter.Join...)
		default:
			p.enter.Join = append(p.enter.Join, nsenter.Join{Type: kind.proc, Path: ns.Path})
		}
	}
	p.newUser = fresh&unix.CLONE_NEWUSER != 0
	p.joinedUser = joinedUser
	p.newCgroupNS = fresh&unix.CLONE_NEWCGROUP != 0
	fresh &^= unix.CLONE_NEWCGROUP
	if fresh&unix.CLONE_NEWTIME != 0 {
		// Offsets can be set only before a process enters the namespace:
		// the constructor makes it, sets them, and enters it.
		p.enter.Unshare |= unix.CLONE_NEWTIME
		fresh &^= unix.CLONE_NEWTIME
		for _, clock := range []string{"monotonic", "boottime"} {
			if o, ok := spec.Linux.TimeOffsets[clock]; ok {
				p.enter.TimeOffsets = append(p.enter.TimeOffsets, nsenter.TimeOffset{Clock: clock, Secs: o.Secs, Nsecs: o.Nanosecs})
			}
		}
	}
	switch {
	case joinedUser:
		// New namespaces must belong to the joined user namespace: made
		// after the join, by the constructor.
		if fresh&unix.CLONE_NEWPID != 0 {
			return nil, fmt.Errorf("linux.namespaces: a new pid namespace inside a joined user namespace: %w", errdefs.ErrNotImplemented)
		}
		p.enter.Unshare |= fresh
	case p.newUser && len(p.enter.Join) > 0:
		return nil, fmt.Errorf("linux.namespaces: joining %s namespace %s from a new user namespace: %w", p.enter.Join[0].Type, p.enter.Join[0].Path, errdefs.ErrNotImplemented)
	default:
		p.cloneflags = fresh
	}
	if p.newUser {
		p.uidMaps = idMaps(spec.Linux.UIDMappings)
		p.gidMaps = idMaps(spec.Linux.GIDMappings)
	}
	return p, nil
}

func idMaps(m []specs.LinuxIDMapping) []syscall.SysProcIDMap {
	out := make([]syscall.SysProcIDMap, len(m))
	for i, e := range m {
		out[i] = syscall.SysProcIDMap{ContainerID: int(e.ContainerID), HostID: int(e.HostID), Size: int(e.Size)}
	}
	return out
}

// checkNamespaceFile fails unless path is a namespace of the given type.
func checkNamespaceFile(path string, flag uintptr, t specs.LinuxNamespaceType) error {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("linux.namespaces: %s namespace %s: %w", t, path, err)
	}
	defer unix.Close(fd)
	got, err := unix.IoctlRetInt(fd, unix.NS_GET_NSTYPE)
	if err != nil {
		return fmt.Errorf("linux.namespaces: %s is not a namespace file: %w", path, errdefs.ErrInvalidArgument)
	}
	if uintptr(got) != flag {
		return fmt.Errorf("linux.namespaces: %s is not a %s namespace: %w", path, t, errdefs.ErrInvalidArgument)
	}
	return nil
}

// hasNamespace reports whether spec lists namespace type t (new or joined).
func hasNamespace(spec *specs.Spec, t specs.LinuxNamespaceType) (listed, fresh bool) {
	if spec.Linux == nil {
		return false, false
	}
	for _, ns := range spec.Linux.Namespaces {
		if ns.Type == t {
			return true, ns.Path == ""
		}
	}
	return false, false
}
