package caps

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Sets is the parsed form of a specs.LinuxCapabilities.
type Sets struct {
	Bounding, Effective, Permitted, Inheritable, Ambient Set
}

// FromSpec parses c (nil means no capabilities at all, as runc does) and
// returns the names it could not map.
func FromSpec(c *specs.LinuxCapabilities) (Sets, []string) {
	if c == nil {
		return Sets{}, nil
	}
	var s Sets
	var unknown, u []string
	s.Bounding, u = Parse(c.Bounding)
	unknown = append(unknown, u...)
	s.Effective, u = Parse(c.Effective)
	unknown = append(unknown, u...)
	s.Permitted, u = Parse(c.Permitted)
	unknown = append(unknown, u...)
	s.Inheritable, u = Parse(c.Inheritable)
	unknown = append(unknown, u...)
	s.Ambient, u = Parse(c.Ambient)
	unknown = append(unknown, u...)
	return s, unknown
}

// Current returns the thread's permitted set: what it can grant at most.
func Current() (effective, permitted, inheritable Set, err error) {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return 0, 0, 0, fmt.Errorf("capget: %w", err)
	}
	join := func(lo, hi uint32) Set { return Set(lo) | Set(hi)<<32 }
	return join(data[0].Effective, data[1].Effective), join(data[0].Permitted, data[1].Permitted),
		join(data[0].Inheritable, data[1].Inheritable), nil
}

// Bounding returns the calling thread's bounding set, the capabilities
// any process it starts can ever hold.
func Bounding() (Set, error) {
	var s Set
	for c := 0; c <= lastCap(); c++ {
		in, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, uintptr(c), 0, 0, 0)
		if err != nil {
			return 0, fmt.Errorf("read the bounding set: %w", err)
		}
		if in == 1 {
			s |= 1 << uint(c)
		}
	}
	return s, nil
}

// Grantable drops from s what the thread cannot grant (absent from its
// permitted set, like CAP_SYS_RESOURCE on a host whose bounding set lacks
// it) and returns the names dropped.
func (s Sets) Grantable(permitted Set) (Sets, []string) {
	var dropped []string
	all := s.Effective | s.Permitted | s.Inheritable | s.Ambient
	for c := 0; c <= LastCap(); c++ {
		if all.Has(c) && !permitted.Has(c) {
			dropped = append(dropped, Name(c))
		}
	}
	s.Effective &= permitted
	s.Permitted &= permitted
	s.Inheritable &= permitted
	s.Ambient &= permitted
	return s, dropped
}

// DropBounding removes from the bounding set every capability not in
// s.Bounding. It needs CAP_SETPCAP, so it runs before the user changes.
func (s Sets) DropBounding() error {
	for c := 0; c <= LastCap(); c++ {
		if s.Bounding.Has(c) {
			continue
		}
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err != nil && err != unix.EINVAL {
			return fmt.Errorf("drop %s from the bounding set: %w", Name(c), err)
		}
	}
	return nil
}

// Apply sets the effective, permitted and inheritable sets, then the
// ambient set (which the kernel allows only for capabilities both
// permitted and inheritable).
func (s Sets) Apply() error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	data := [2]unix.CapUserData{
		{Effective: uint32(s.Effective), Permitted: uint32(s.Permitted), Inheritable: uint32(s.Inheritable)},
		{Effective: uint32(s.Effective >> 32), Permitted: uint32(s.Permitted >> 32), Inheritable: uint32(s.Inheritable >> 32)},
	}
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capset: %w", err)
	}
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil {
		return fmt.Errorf("clear ambient capabilities: %w", err)
	}
	// The kernel raises an ambient capability only when it is both
	// permitted and inheritable; the parent warned about the others.
	ambient := s.Ambient & s.Permitted & s.Inheritable
	for c := 0; c <= LastCap(); c++ {
		if !ambient.Has(c) {
			continue
		}
		if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_RAISE, uintptr(c), 0, 0); err != nil {
			return fmt.Errorf("raise ambient %s: %w", Name(c), err)
		}
	}
	return nil
}

// KeepCaps keeps the permitted set across a change of uid from 0 to
// another (prctl PR_SET_KEEPCAPS); call it with false once done.
func KeepCaps(keep bool) error {
	v := uintptr(0)
	if keep {
		v = 1
	}
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, v, 0, 0, 0); err != nil {
		return fmt.Errorf("prctl PR_SET_KEEPCAPS %d: %w", v, err)
	}
	return nil
}
