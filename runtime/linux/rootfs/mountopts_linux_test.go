package rootfs

import (
	"reflect"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestParseOptions(t *testing.T) {
	const (
		ro     = unix.MOUNT_ATTR_RDONLY
		nosuid = unix.MOUNT_ATTR_NOSUID
		nodev  = unix.MOUNT_ATTR_NODEV
		noexec = unix.MOUNT_ATTR_NOEXEC
	)
	for _, tc := range []struct {
		opts []string
		want mountOptions
	}{
		{nil, mountOptions{}},
		{[]string{"defaults", "", "silent", "iversion"}, mountOptions{}},
		{[]string{"ro"}, mountOptions{sb: unix.MS_RDONLY, attr: Attr{Set: ro}}},
		{[]string{"ro", "rw"}, mountOptions{sbClr: unix.MS_RDONLY, attr: Attr{Clr: ro}}},
		{[]string{"rw", "ro"}, mountOptions{sb: unix.MS_RDONLY, attr: Attr{Set: ro}}},
		{[]string{"nosuid", "nodev", "noexec"}, mountOptions{attr: Attr{Set: nosuid | nodev | noexec}}},
		{[]string{"suid", "dev", "exec"}, mountOptions{attr: Attr{Clr: nosuid | nodev | noexec}}},
		{[]string{"noatime"}, mountOptions{attr: Attr{Set: unix.MOUNT_ATTR_NOATIME, Clr: atimeMask}}},
		{[]string{"noatime", "strictatime"}, mountOptions{attr: Attr{Set: unix.MOUNT_ATTR_STRICTATIME, Clr: atimeMask}}},
		{[]string{"strictatime", "atime"}, mountOptions{attr: Attr{Set: 0, Clr: atimeMask}}},
		{[]string{"nodiratime", "nosymfollow"}, mountOptions{attr: Attr{Set: unix.MOUNT_ATTR_NODIRATIME | unix.MOUNT_ATTR_NOSYMFOLLOW}}},
		{[]string{"sync", "dirsync", "mand", "lazytime"}, mountOptions{sb: unix.MS_SYNCHRONOUS | unix.MS_DIRSYNC | unix.MS_MANDLOCK | unix.MS_LAZYTIME}},
		{[]string{"sync", "async"}, mountOptions{sbClr: unix.MS_SYNCHRONOUS}},
		{[]string{"rbind", "rro", "rnosuid", "ro"}, mountOptions{bind: true, rbind: true,
			sb: unix.MS_RDONLY, attr: Attr{Set: ro}, recAttr: Attr{Set: ro | nosuid}}},
		{[]string{"rro", "rrw"}, mountOptions{recAttr: Attr{Clr: ro}}},
		{[]string{"rnoatime"}, mountOptions{recAttr: Attr{Set: unix.MOUNT_ATTR_NOATIME, Clr: atimeMask}}},
		{[]string{"bind", "rprivate", "shared", "runbindable"}, mountOptions{bind: true, prop: []Propagation{
			{Type: unix.MS_PRIVATE, Recursive: true}, {Type: unix.MS_SHARED}, {Type: unix.MS_UNBINDABLE, Recursive: true}}}},
		{[]string{"remount", "idmap"}, mountOptions{remount: true, idmap: true}},
		{[]string{"ridmap", "tmpcopyup"}, mountOptions{idmap: true, ridmap: true, copyUp: true}},
		{[]string{"mode=755", "size=65536k,nr_inodes=10", "newinstance"}, mountOptions{data: []string{"mode=755", "size=65536k", "nr_inodes=10", "newinstance"}}},
		{[]string{`context="a,b",x`}, mountOptions{data: []string{`context="a,b"`, "x"}}},
	} {
		got := parseOptions(tc.opts)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("parseOptions(%q)\n got %+v\nwant %+v", tc.opts, got, tc.want)
		}
	}
}

// Every option the runtime spec lists is known: none of them ends up in the
// filesystem data by mistake.
func TestSpecOptionsAreAllKnown(t *testing.T) {
	spec := strings.Fields(`async atime bind defaults dev diratime dirsync exec iversion lazytime loud mand
		noatime nodev nodiratime noexec noiversion nolazytime nomand norelatime nostrictatime nosuid nosymfollow
		private ratime rbind rdev rdiratime relatime remount rexec rnoatime rnodiratime rnoexec rnorelatime
		rnostrictatime rnosuid rnosymfollow ro rprivate rrelatime rro rrw rshared rslave rstrictatime rsuid
		rsymfollow runbindable rw shared silent slave strictatime suid symfollow sync tmpcopyup unbindable idmap ridmap`)
	for _, o := range spec {
		if _, ok := options[o]; !ok {
			t.Errorf("option %q is not known", o)
		}
	}
}

func TestAttrThen(t *testing.T) {
	a := Attr{Set: unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOATIME, Clr: atimeMask}
	b := Attr{Clr: unix.MOUNT_ATTR_RDONLY}
	got := a.then(b)
	want := Attr{Set: unix.MOUNT_ATTR_NOATIME, Clr: atimeMask | unix.MOUNT_ATTR_RDONLY}
	if got != want {
		t.Errorf("then = %+v, want %+v", got, want)
	}
}

func FuzzParseOptions(f *testing.F) {
	for _, s := range []string{"ro,nosuid", "rbind,rro,rprivate", "mode=755,size=1k", `context="x,y"`, "noatime,strictatime,atime", ",,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		o := parseOptions(strings.Split(s, ","))
		if o.attr.Set&o.attr.Clr&^atimeMask != 0 || o.recAttr.Set&o.recAttr.Clr&^atimeMask != 0 {
			t.Errorf("%q: a flag is both set and cleared: %+v", s, o)
		}
		if o.sb&o.sbClr != 0 {
			t.Errorf("%q: a superblock flag is both set and cleared", s)
		}
		for _, d := range o.data {
			if d == "" {
				t.Errorf("%q: empty data option", s)
			}
		}
	})
}
