package cgroups

import (
	"fmt"
	"math"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// deviceRule is one entry of linux.resources.devices with the defaults the
// spec gives filled in: type "a", major and minor -1 ("*").
type deviceRule struct {
	typ          byte // 'a', 'b' or 'c'
	major, minor int64
	access       string // a subset of "rwm", in that order
	allow        bool
}

func parseDeviceRule(d specs.LinuxDeviceCgroup) (deviceRule, error) {
	r := deviceRule{typ: 'a', major: -1, minor: -1, allow: d.Allow}
	switch d.Type {
	case "", "a":
	case "b", "c":
		r.typ = d.Type[0]
	default:
		return r, fmt.Errorf("type %q: want a, b or c", d.Type)
	}
	for _, n := range []struct {
		p    *int64
		dst  *int64
		what string
	}{{d.Major, &r.major, "major"}, {d.Minor, &r.minor, "minor"}} {
		if n.p == nil || *n.p == -1 {
			continue
		}
		// The eBPF filter compares with a 32-bit immediate.
		if *n.p < 0 || *n.p > math.MaxInt32 {
			return r, fmt.Errorf("%s %d: out of range", n.what, *n.p)
		}
		*n.dst = *n.p
	}
	access := d.Access
	if access == "" {
		access = "rwm" // unset means everything, as for type and numbers
	}
	for _, c := range access {
		if !strings.ContainsRune("rwm", c) {
			return r, fmt.Errorf("access %q: want letters of rwm", d.Access)
		}
	}
	for _, c := range "rwm" {
		if strings.ContainsRune(access, c) {
			r.access += string(c)
		}
	}
	return r, nil
}

func parseDeviceRules(list []specs.LinuxDeviceCgroup) ([]deviceRule, error) {
	out := make([]deviceRule, 0, len(list))
	for i, d := range list {
		r, err := parseDeviceRule(d)
		if err != nil {
			return nil, invalid("linux.resources.devices[%d]: %v", i, err)
		}
		out = append(out, r)
	}
	return out, nil
}

func (r deviceRule) isAll() bool {
	return r.typ == 'a' && r.major < 0 && r.minor < 0 && r.access == "rwm"
}

// v1Lines is what the rule writes to devices.allow or devices.deny. v1 reads
// a line starting with "a" as "reset the whole list", whatever follows, so a
// type-"a" rule narrower than everything becomes one line per type.
func (r deviceRule) v1Lines() []string {
	if r.isAll() {
		return []string{"a"}
	}
	num := func(n int64) string {
		if n < 0 {
			return "*"
		}
		return fmt.Sprint(n)
	}
	nums := num(r.major) + ":" + num(r.minor) + " " + r.access
	if r.typ == 'a' {
		return []string{"b " + nums, "c " + nums}
	}
	return []string{string(r.typ) + " " + nums}
}

// DefaultDevices is the device list runc grants every container on top of
// linux.resources.devices: mknod of any node, and the character devices a
// process expects (null, zero, full, random, urandom, tty, ptmx, the pts
// slaves and tun). The runtime core appends it; Create writes exactly the
// rules it is given.
func DefaultDevices() []specs.LinuxDeviceCgroup {
	dev := func(typ string, major, minor int64, access string) specs.LinuxDeviceCgroup {
		d := specs.LinuxDeviceCgroup{Allow: true, Type: typ, Access: access}
		if major >= 0 {
			d.Major = &major
		}
		if minor >= 0 {
			d.Minor = &minor
		}
		return d
	}
	return []specs.LinuxDeviceCgroup{
		dev("c", -1, -1, "m"), dev("b", -1, -1, "m"),
		dev("c", 1, 3, "rwm"), dev("c", 1, 5, "rwm"), dev("c", 1, 7, "rwm"),
		dev("c", 1, 8, "rwm"), dev("c", 1, 9, "rwm"), dev("c", 5, 0, "rwm"),
		dev("c", 5, 2, "rwm"), dev("c", 136, -1, "rwm"), dev("c", 10, 200, "rwm"),
	}
}
