package rootfs

import (
	"errors"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/berth-oci/berth/errdefs"
)

func TestFinishOrder(t *testing.T) {
	f := newFake()
	f.files["/proc/kcore"] = FileInfo{Mode: unix.S_IFREG | 0o400}
	f.files["/dev/null"] = FileInfo{Mode: unix.S_IFCHR | 0o666, Rdev: devNull}
	f.files["/proc/acpi"] = FileInfo{Mode: unix.S_IFDIR | 0o555}
	f.files["/proc/sys"] = FileInfo{Mode: unix.S_IFDIR | 0o555}
	spec := runcSpec(t)
	spec.Linux.Namespaces = append(spec.Linux.Namespaces, specs.LinuxNamespace{Type: specs.IPCNamespace})
	spec.Linux.Sysctl = map[string]string{"net.ipv4.ip_forward": "1", "kernel.shmmax": "4096", "net/ipv4/conf/eth0.100/forwarding": "0"}
	spec.Mounts = append(spec.Mounts, specs.Mount{Destination: "/run", Type: "tmpfs", Options: []string{"ro"}},
		specs.Mount{Destination: "/data", Source: "/v", Options: []string{"bind", "ro"}})
	if err := Finish(spec, fakeOpts(f)); err != nil {
		t.Fatal(err)
	}
	diffCalls(t, f.calls, []string{
		"open-root /",
		"change /run +ro",
		"change / +ro",
		"sysctl kernel/shmmax=4096",
		"sysctl net/ipv4/ip_forward=1",
		"sysctl net/ipv4/conf/eth0.100/forwarding=0",
		"bind /proc/sys rbind /proc/sys inroot recattr=+ro onproc",
		"mount /proc/acpi tmpfs source=tmpfs sb=ro attr=ro onproc",
		"bind /proc/kcore bind /dev/null inroot chardev=1:3 onproc",
		"close-root",
	})
}

func TestPivot(t *testing.T) {
	for _, tc := range []struct {
		prop    string
		noPivot bool
		want    []string
	}{
		{"", false, []string{"pivot_root /b/rootfs", "reopen /dev/null"}},
		{"", true, []string{"move-root /b/rootfs", "reopen /dev/null"}},
		{"rshared", false, []string{"pivot_root /b/rootfs", `host-mount "" / "" rec|shared ""`, "reopen /dev/null"}},
	} {
		f := newFake()
		spec := bareSpec()
		spec.Linux.RootfsPropagation = tc.prop
		opts := fakeOpts(f)
		opts.NoPivot = tc.noPivot
		if err := Pivot(spec, opts); err != nil {
			t.Fatal(err)
		}
		diffCalls(t, f.calls, tc.want)
	}
}

func TestPrepareRootPropagation(t *testing.T) {
	const mi = "1 0 8:1 / / rw - ext4 /dev/sda1 rw\n2 1 8:2 / /b rw shared:7 - ext4 /dev/sda2 rw\n"
	for _, tc := range []struct {
		prop string
		want []string
	}{
		{"", []string{`host-mount "" / "" rec|slave ""`, `host-mount "/b/rootfs" /b/rootfs "bind" bind|rec ""`}},
		{"rprivate", []string{`host-mount "" / "" rec|private ""`, `host-mount "/b/rootfs" /b/rootfs "bind" bind|rec ""`}},
		{"slave", []string{`host-mount "" / "" slave ""`, `host-mount "" /b "" private ""`, `host-mount "/b/rootfs" /b/rootfs "bind" bind|rec ""`}},
		{"shared", []string{`host-mount "" / "" shared ""`, `host-mount "" /b "" private ""`, `host-mount "/b/rootfs" /b/rootfs "bind" bind|rec ""`}},
		{"unbindable", []string{`host-mount "" / "" rec|slave ""`, `host-mount "/b/rootfs" /b/rootfs "bind" bind|rec ""`,
			`host-mount "" /b/rootfs "" unbindable ""`}},
	} {
		f := newFake()
		f.hostFiles["/proc/self/mountinfo"] = mi
		spec := bareSpec(specs.Mount{Destination: "/dev", Source: "/dev", Options: []string{"rbind"}})
		spec.Linux.RootfsPropagation = tc.prop
		if err := Prepare(spec, fakeOpts(f)); err != nil {
			t.Fatal(err)
		}
		diffCalls(t, f.calls[:len(tc.want)], tc.want)
	}
}

// A bad config fails before the first change, with one clear error.
func TestBadConfigChangesNothing(t *testing.T) {
	fuse := specs.LinuxDevice{Path: "/dev/fuse", Type: "x"}
	for _, tc := range []struct {
		name string
		edit func(*specs.Spec, *Options)
		kind error
		msg  string
	}{
		{"relative rootfs", func(s *specs.Spec, o *Options) { o.Rootfs = "rootfs" }, errdefs.ErrInvalidArgument, `rootfs "rootfs" is not an absolute path`},
		{"no mount namespace", func(s *specs.Spec, o *Options) { s.Linux.Namespaces = nil }, errdefs.ErrInvalidArgument, "no mount namespace"},
		{"no linux section", func(s *specs.Spec, o *Options) { s.Linux = nil }, errdefs.ErrInvalidArgument, "no mount namespace"},
		{"bad propagation", func(s *specs.Spec, o *Options) { s.Linux.RootfsPropagation = "sideways" }, errdefs.ErrInvalidArgument, `rootfsPropagation "sideways"`},
		{"mount over the root", func(s *specs.Spec, o *Options) {
			s.Mounts = append(s.Mounts, specs.Mount{Destination: "/..", Type: "tmpfs"})
		}, errdefs.ErrInvalidArgument, `mounts[0]: mount destination "/.." would cover the container's root`},
		{"relative bind source without a bundle", func(s *specs.Spec, o *Options) {
			o.Bundle = ""
			s.Mounts = append(s.Mounts, specs.Mount{Destination: "/d", Source: "vol", Options: []string{"bind"}})
		}, errdefs.ErrInvalidArgument, `bind source "vol" is relative to the bundle`},
		{"no destination", func(s *specs.Spec, o *Options) { s.Mounts = append(s.Mounts, specs.Mount{Type: "tmpfs"}) }, errdefs.ErrInvalidArgument, "mounts[0]: mount has no destination"},
		{"bad device type", func(s *specs.Spec, o *Options) { s.Linux.Devices = []specs.LinuxDevice{fuse} }, errdefs.ErrInvalidArgument, `linux.devices[0] ("/dev/fuse"): device type "x"`},
		{"host sysctl", func(s *specs.Spec, o *Options) { s.Linux.Sysctl = map[string]string{"vm.swappiness": "1"} }, errdefs.ErrInvalidArgument, "sysctl vm.swappiness is not namespaced"},
		{"net sysctl without a network namespace", func(s *specs.Spec, o *Options) { s.Linux.Sysctl = map[string]string{"net.core.somaxconn": "1"} },
			errdefs.ErrInvalidArgument, "needs a network namespace"},
		{"sysctl with ..", func(s *specs.Spec, o *Options) { s.Linux.Sysctl = map[string]string{"net/../../etc": "1"} }, errdefs.ErrInvalidArgument, "not a valid name"},
		{"hostname sysctl", func(s *specs.Spec, o *Options) { s.Linux.Sysctl = map[string]string{"kernel.hostname": "x"} }, errdefs.ErrInvalidArgument, "conflicts with the hostname"},
		{"idmap without mappings", func(s *specs.Spec, o *Options) {
			s.Mounts = append(s.Mounts, specs.Mount{Destination: "/d", Source: "/v", Options: []string{"bind", "idmap"}})
		}, errdefs.ErrInvalidArgument, "idmap without uidMappings"},
		{"idmap with only uid mappings", func(s *specs.Spec, o *Options) {
			s.Mounts = append(s.Mounts, specs.Mount{Destination: "/d", Source: "/v", Options: []string{"bind", "idmap"},
				UIDMappings: []specs.LinuxIDMapping{{Size: 1}}})
		}, errdefs.ErrInvalidArgument, "both uidMappings and gidMappings"},
		{"idmap in a user namespace", func(s *specs.Spec, o *Options) {
			o.UserNS = true
			s.Mounts = append(s.Mounts, specs.Mount{Destination: "/d", Source: "/v", Options: []string{"bind", "idmap"},
				UIDMappings: []specs.LinuxIDMapping{{Size: 1}}, GIDMappings: []specs.LinuxIDMapping{{Size: 1}}})
		}, errdefs.ErrNotImplemented, "idmap mounts in a container with a new user namespace"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			spec, opts := bareSpec(), fakeOpts(f)
			tc.edit(spec, &opts)
			err := Prepare(spec, opts)
			if !errors.Is(err, tc.kind) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v; want %v containing %q", err, tc.kind, tc.msg)
			}
			if len(f.calls) != 0 {
				t.Errorf("calls were made: %q", f.calls)
			}
		})
	}
}

func TestSysctlInTheHostsNamespaceIsRefused(t *testing.T) {
	f := newFake()
	f.host["/run/netns/x"] = FileInfo{Dev: 4, Ino: 99}
	f.host["/proc/1/ns/net"] = FileInfo{Dev: 4, Ino: 99}
	spec := bareSpec()
	spec.Linux.Namespaces = append(spec.Linux.Namespaces, specs.LinuxNamespace{Type: specs.NetworkNamespace, Path: "/run/netns/x"})
	spec.Linux.Sysctl = map[string]string{"net.ipv4.ip_forward": "1"}
	err := Prepare(spec, fakeOpts(f))
	if !errors.Is(err, errdefs.ErrInvalidArgument) || !strings.Contains(err.Error(), "is the host's") || len(f.calls) != 0 {
		t.Fatalf("err = %v, calls %q", err, f.calls)
	}
	f.host["/proc/1/ns/net"] = FileInfo{Dev: 4, Ino: 100}
	if err := Prepare(spec, fakeOpts(f)); err != nil {
		t.Fatal(err)
	}
}

func FuzzSysctlKey(f *testing.F) {
	for _, s := range []string{"net.ipv4.ip_forward", "net/ipv4/conf/eth0.100/forwarding", "..", "a//b", "/net/x/", "kernel.shm_rmid_forced"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		rel, _, err := sysctlKey(key)
		if err != nil {
			return
		}
		for _, c := range strings.Split(rel, "/") {
			if c == "" || c == "." || c == ".." {
				t.Errorf("%q gives path %q", key, rel)
			}
		}
	})
}

func FuzzParseMountinfo(f *testing.F) {
	f.Add("36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue\n")
	f.Add(v1Mountinfo)
	f.Add(`1 2 3:4 / /a\040b rw - tmpfs x\134y rw` + "\n")
	f.Fuzz(func(t *testing.T, s string) {
		ms, err := parseMountinfo([]byte(s))
		if err != nil {
			return
		}
		for _, m := range ms {
			if m.FSType == "" {
				t.Errorf("%q: entry without a type", s)
			}
		}
	})
}

func TestParseMountinfoUnescapes(t *testing.T) {
	ms, err := parseMountinfo([]byte(`1 2 3:4 / /a\040b rw shared:3 - tmpfs x\134y rw,size=1k` + "\n"))
	if err != nil || len(ms) != 1 {
		t.Fatal(ms, err)
	}
	m := ms[0]
	if m.Mountpoint != "/a b" || m.Source != `x\y` || strings.Join(m.Optional, " ") != "shared:3" || m.FSType != "tmpfs" || strings.Join(m.SuperOpts, ",") != "rw,size=1k" {
		t.Errorf("%+v", m)
	}
	if _, err := parseMountinfo([]byte("1 2 3:4 / /a rw\n")); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("malformed line: %v", err)
	}
}
