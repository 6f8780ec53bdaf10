package rootfs

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// The descriptions below name flags as mount(8) does; errors and the
// recording fake of the tests use them.

var attrNames = []struct {
	bit  uint64
	name string
}{
	{unix.MOUNT_ATTR_RDONLY, "ro"},
	{unix.MOUNT_ATTR_NOSUID, "nosuid"},
	{unix.MOUNT_ATTR_NODEV, "nodev"},
	{unix.MOUNT_ATTR_NOEXEC, "noexec"},
	{unix.MOUNT_ATTR_NODIRATIME, "nodiratime"},
	{unix.MOUNT_ATTR_NOSYMFOLLOW, "nosymfollow"},
	{unix.MOUNT_ATTR_IDMAP, "idmap"},
}

func atimeName(mode uint64) string {
	switch mode & atimeMask {
	case unix.MOUNT_ATTR_NOATIME:
		return "noatime"
	case unix.MOUNT_ATTR_STRICTATIME:
		return "strictatime"
	}
	return "relatime"
}

// attrString names the MOUNT_ATTR_* bits of a new mount ("nosuid,nodev").
func attrString(set uint64) string {
	var names []string
	for _, a := range attrNames {
		if set&a.bit != 0 {
			names = append(names, a.name)
		}
	}
	if set&atimeMask != 0 {
		names = append(names, atimeName(set))
	}
	return strings.Join(names, ",")
}

// describeAttr names a change: "+ro,-nosuid,atime=noatime".
func describeAttr(a Attr) string {
	var names []string
	for _, n := range attrNames {
		switch {
		case a.Set&n.bit != 0:
			names = append(names, "+"+n.name)
		case a.Clr&n.bit != 0:
			names = append(names, "-"+n.name)
		}
	}
	if a.Clr&atimeMask != 0 {
		names = append(names, "atime="+atimeName(a.Set))
	}
	return strings.Join(names, ",")
}

var propNames = map[uint64]string{
	unix.MS_SHARED:     "shared",
	unix.MS_SLAVE:      "slave",
	unix.MS_PRIVATE:    "private",
	unix.MS_UNBINDABLE: "unbindable",
}

func describePropagation(p Propagation) string {
	if p.Recursive {
		return "r" + propNames[p.Type]
	}
	return propNames[p.Type]
}

func describeChange(c Change) string {
	var parts []string
	if !c.Attr.IsZero() {
		parts = append(parts, describeAttr(c.Attr))
	}
	if c.Propagation != 0 {
		parts = append(parts, propNames[c.Propagation])
	}
	s := strings.Join(parts, " ")
	if c.Recursive {
		s += " recursive"
	}
	return s
}

// String describes a filesystem mount:
// "tmpfs source=tmpfs sb=ro data=mode=755 attr=nosuid prop=rslave".
func (fs *FS) String() string {
	var b strings.Builder
	b.WriteString(fs.Type)
	field(&b, "source", fs.Source)
	field(&b, "sb", strings.Join(fs.SBFlags, ","))
	field(&b, "data", strings.Join(fs.Data, ","))
	field(&b, "attr", attrString(fs.Attr))
	if fs.Idmap != nil {
		field(&b, "idmap", describeIdmap(fs.Idmap))
	}
	field(&b, "prop", describeProps(fs.Propagation))
	flag(&b, "copyup", fs.CopyUp)
	flag(&b, "strict", fs.Strict)
	flag(&b, "onproc", fs.OnProc)
	return b.String()
}

// String describes a bind mount:
// "rbind /src attr=+ro recattr=+nosuid prop=rprivate".
func (bd *Bind) String() string {
	var b strings.Builder
	if bd.Recursive {
		b.WriteString("rbind ")
	} else {
		b.WriteString("bind ")
	}
	b.WriteString(bd.Source.Path)
	flag(&b, "inroot", bd.Source.InRoot)
	if bd.Source.CharDev != 0 {
		field(&b, "chardev", fmt.Sprintf("%d:%d", unix.Major(bd.Source.CharDev), unix.Minor(bd.Source.CharDev)))
	}
	field(&b, "attr", describeAttr(bd.Attr))
	field(&b, "recattr", describeAttr(bd.RecAttr))
	if bd.Idmap != nil {
		field(&b, "idmap", describeIdmap(bd.Idmap))
	}
	field(&b, "prop", describeProps(bd.Propagation))
	flag(&b, "strict", bd.Strict)
	flag(&b, "onproc", bd.OnProc)
	return b.String()
}

func describeProps(ps []Propagation) string {
	var names []string
	for _, p := range ps {
		names = append(names, describePropagation(p))
	}
	return strings.Join(names, ",")
}

func describeIdmap(m *Idmap) string {
	s := fmt.Sprintf("uid=%v gid=%v", m.UIDs, m.GIDs)
	if m.Recursive {
		s += " recursive"
	}
	return s
}

func field(b *strings.Builder, k, v string) {
	if v != "" {
		fmt.Fprintf(b, " %s=%s", k, v)
	}
}

func flag(b *strings.Builder, k string, v bool) {
	if v {
		b.WriteString(" " + k)
	}
}
