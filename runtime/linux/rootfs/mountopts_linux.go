package rootfs

import (
	"strings"

	"golang.org/x/sys/unix"
)

// mountOptions is the options array of one spec mount sorted into what the
// kernel takes: superblock flags, mount attributes (of the mount alone and
// of its whole tree), propagation changes, and filesystem data.
type mountOptions struct {
	bind, rbind, remount bool
	idmap, ridmap        bool
	copyUp               bool
	sb                   uint64 // MS_RDONLY, MS_SYNCHRONOUS, MS_DIRSYNC, MS_LAZYTIME, MS_MANDLOCK
	sbClr                uint64 // superblock flags explicitly cleared (rw, async...), for remount
	attr, recAttr        Attr
	prop                 []Propagation
	data                 []string
}

// option is what one option string does.
type option struct {
	sbSet, sbClr uint64
	set, clr     uint64 // MOUNT_ATTR_*; an atime mode has clr = MOUNT_ATTR__ATIME
	recursive    bool
	prop         uint64
	apply        func(*mountOptions)
}

const atimeMask = unix.MOUNT_ATTR__ATIME

func atime(mode uint64) option { return option{set: mode, clr: atimeMask} }

// options maps every option string the runtime spec lists (and mount(8)
// knows) to its effect. Anything else is filesystem data.
var options = map[string]option{
	"defaults": {},
	"ro":       {sbSet: unix.MS_RDONLY, set: unix.MOUNT_ATTR_RDONLY},
	"rw":       {sbClr: unix.MS_RDONLY, clr: unix.MOUNT_ATTR_RDONLY},
	"nosuid":   {set: unix.MOUNT_ATTR_NOSUID},
	"suid":     {clr: unix.MOUNT_ATTR_NOSUID},
	"nodev":    {set: unix.MOUNT_ATTR_NODEV},
	"dev":      {clr: unix.MOUNT_ATTR_NODEV},
	"noexec":   {set: unix.MOUNT_ATTR_NOEXEC},
	"exec":     {clr: unix.MOUNT_ATTR_NOEXEC},
	// The kernel's default atime mode is relatime; "atime", "norelatime"
	// and "nostrictatime" ask for that default.
	"noatime":       atime(unix.MOUNT_ATTR_NOATIME),
	"atime":         atime(unix.MOUNT_ATTR_RELATIME),
	"relatime":      atime(unix.MOUNT_ATTR_RELATIME),
	"norelatime":    atime(unix.MOUNT_ATTR_RELATIME),
	"strictatime":   atime(unix.MOUNT_ATTR_STRICTATIME),
	"nostrictatime": atime(unix.MOUNT_ATTR_RELATIME),
	"nodiratime":    {set: unix.MOUNT_ATTR_NODIRATIME},
	"diratime":      {clr: unix.MOUNT_ATTR_NODIRATIME},
	"nosymfollow":   {set: unix.MOUNT_ATTR_NOSYMFOLLOW},
	"symfollow":     {clr: unix.MOUNT_ATTR_NOSYMFOLLOW},
	"sync":          {sbSet: unix.MS_SYNCHRONOUS},
	"async":         {sbClr: unix.MS_SYNCHRONOUS},
	"dirsync":       {sbSet: unix.MS_DIRSYNC},
	"mand":          {sbSet: unix.MS_MANDLOCK},
	"nomand":        {sbClr: unix.MS_MANDLOCK},
	"lazytime":      {sbSet: unix.MS_LAZYTIME},
	"nolazytime":    {sbClr: unix.MS_LAZYTIME},
	// i_version is managed by the filesystems themselves since Linux 6.x
	// (fsconfig(2) rejects it) and silent/loud only change kernel logging.
	"iversion":   {},
	"noiversion": {},
	"silent":     {},
	"loud":       {},

	"private":     {prop: unix.MS_PRIVATE},
	"rprivate":    {prop: unix.MS_PRIVATE, recursive: true},
	"shared":      {prop: unix.MS_SHARED},
	"rshared":     {prop: unix.MS_SHARED, recursive: true},
	"slave":       {prop: unix.MS_SLAVE},
	"rslave":      {prop: unix.MS_SLAVE, recursive: true},
	"unbindable":  {prop: unix.MS_UNBINDABLE},
	"runbindable": {prop: unix.MS_UNBINDABLE, recursive: true},

	"bind":      {apply: func(o *mountOptions) { o.bind = true }},
	"rbind":     {apply: func(o *mountOptions) { o.bind, o.rbind = true, true }},
	"remount":   {apply: func(o *mountOptions) { o.remount = true }},
	"idmap":     {apply: func(o *mountOptions) { o.idmap = true }},
	"ridmap":    {apply: func(o *mountOptions) { o.idmap, o.ridmap = true, true }},
	"tmpcopyup": {apply: func(o *mountOptions) { o.copyUp = true }},
}

func init() {
	// The recursive family (mount_setattr(2) with AT_RECURSIVE): "r" and
	// the per-mount option that changes a mount attribute.
	for _, name := range []string{"ro", "rw", "nosuid", "suid", "nodev", "dev", "noexec", "exec",
		"noatime", "atime", "relatime", "norelatime", "strictatime", "nostrictatime",
		"nodiratime", "diratime", "nosymfollow", "symfollow"} {
		o := options[name]
		options["r"+name] = option{set: o.set, clr: o.clr, recursive: true}
	}
}

// parseOptions sorts the options of a spec mount. Unknown strings become
// filesystem data, split at commas (outside double quotes) as mount(2)
// would.
func parseOptions(opts []string) mountOptions {
	var m mountOptions
	for _, s := range opts {
		o, known := options[s]
		switch {
		case s == "":
		case !known:
			m.data = append(m.data, splitData(s)...)
		case o.apply != nil:
			o.apply(&m)
		case o.prop != 0:
			m.prop = append(m.prop, Propagation{Type: o.prop, Recursive: o.recursive})
		case o.recursive:
			m.recAttr.apply(o.set, o.clr)
		default:
			m.sb = m.sb&^o.sbClr | o.sbSet
			m.sbClr = m.sbClr&^o.sbSet | o.sbClr
			m.attr.apply(o.set, o.clr)
		}
	}
	return m
}

// apply records one more option: what it sets is no longer cleared and the
// reverse; an atime mode replaces the previous one.
func (a *Attr) apply(set, clr uint64) {
	a.Set = a.Set&^clr | set
	a.Clr = (a.Clr | clr) &^ (set &^ atimeMask)
}

// then is a followed by b.
func (a Attr) then(b Attr) Attr {
	a.apply(b.Set, b.Clr)
	return a
}

// sbFlagNames are the fsconfig(2) flag names of superblock flags.
var sbFlagNames = []struct {
	flag uint64
	name string
}{
	{unix.MS_RDONLY, "ro"},
	{unix.MS_SYNCHRONOUS, "sync"},
	{unix.MS_DIRSYNC, "dirsync"},
	{unix.MS_LAZYTIME, "lazytime"},
	{unix.MS_MANDLOCK, "mand"},
}

// sbFlags names the superblock flags of sb for fsconfig(2); a new
// superblock starts with none set, so only the set ones are given.
func sbFlags(sb uint64) []string {
	var names []string
	for _, f := range sbFlagNames {
		if sb&f.flag != 0 {
			names = append(names, f.name)
		}
	}
	return names
}

// sbClearFlags names the fsconfig(2) flags that clear superblock flags,
// for a reconfiguration.
func sbClearFlags(clr uint64) []string {
	var names []string
	for _, f := range []struct {
		flag uint64
		name string
	}{
		{unix.MS_RDONLY, "rw"},
		{unix.MS_SYNCHRONOUS, "async"},
		{unix.MS_LAZYTIME, "nolazytime"},
		{unix.MS_MANDLOCK, "nomand"},
	} {
		if clr&f.flag != 0 {
			names = append(names, f.name)
		}
	}
	return names
}

// splitData splits filesystem data at commas that are not inside double
// quotes (an SELinux context="a,b" is one option).
func splitData(s string) []string {
	var out []string
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			quoted = !quoted
		case ',':
			if !quoted {
				out = appendNonEmpty(out, s[start:i])
				start = i + 1
			}
		}
	}
	return appendNonEmpty(out, s[start:])
}

func appendNonEmpty(out []string, s string) []string {
	if s == "" {
		return out
	}
	return append(out, s)
}

// hasData reports whether data holds option key (as "key" or "key=...").
func hasData(data []string, key string) bool {
	for _, d := range data {
		if d == key || strings.HasPrefix(d, key+"=") {
			return true
		}
	}
	return false
}
