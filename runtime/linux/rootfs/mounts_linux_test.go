package rootfs

import (
	"errors"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/berth-oci/berth/errdefs"
)

// bareSpec has a mount namespace and the given mounts, nothing else.
func bareSpec(mounts ...specs.Mount) *specs.Spec {
	return &specs.Spec{
		Root:   &specs.Root{Path: "rootfs"},
		Mounts: mounts,
		Linux:  &specs.Linux{Namespaces: []specs.LinuxNamespace{{Type: specs.MountNamespace}}},
	}
}

// mountCalls runs Prepare with /dev bound (so no device setup) and returns
// the calls made for the mounts.
func mountCalls(t *testing.T, f *fakeKernel, spec *specs.Spec) []string {
	t.Helper()
	spec.Mounts = append(spec.Mounts, specs.Mount{Destination: "/dev", Source: "/dev", Options: []string{"rbind"}})
	if err := Prepare(spec, fakeOpts(f)); err != nil {
		t.Fatal(err)
	}
	return f.calls[3 : len(f.calls)-2] // after propagation, bind, open; before the /dev bind, close
}

func TestMountTranslation(t *testing.T) {
	for _, tc := range []struct {
		name  string
		mount specs.Mount
		want  string
	}{
		{"bind ro", specs.Mount{Destination: "/data", Source: "/vol", Options: []string{"bind", "ro", "nosuid"}},
			"bind /data bind /vol attr=+ro,+nosuid"},
		{"rbind with recursive ro", specs.Mount{Destination: "/data", Type: "none", Source: "/vol", Options: []string{"rbind", "rro", "nodev", "rprivate"}},
			"bind /data rbind /vol attr=+nodev recattr=+ro prop=rprivate"},
		{"relative source is in the bundle", specs.Mount{Destination: "data", Source: "vol/x", Options: []string{"rbind", "rw"}},
			"bind /data rbind /b/vol/x attr=-ro"},
		{"type bind without the option", specs.Mount{Destination: "/etc/hosts", Type: "bind", Source: "/h"},
			"bind /etc/hosts bind /h"},
		{"lxcfs file in proc", specs.Mount{Destination: "/proc/meminfo", Source: "/var/lib/lxcfs/proc/meminfo", Options: []string{"bind"}},
			"bind /proc/meminfo bind /var/lib/lxcfs/proc/meminfo onproc"},
		{"tmpfs ro is made read-only later", specs.Mount{Destination: "/run", Type: "tmpfs", Source: "tmpfs", Options: []string{"ro", "nosuid", "size=1m", "mode=700"}},
			"mount /run tmpfs source=tmpfs data=size=1m,mode=700 attr=nosuid"},
		{"tmpfs copyup", specs.Mount{Destination: "/run", Type: "tmpfs", Source: "tmpfs", Options: []string{"tmpcopyup", "mode=1777"}},
			"mount /run tmpfs source=tmpfs data=mode=1777 copyup"},
		{"sync and noatime", specs.Mount{Destination: "/m", Type: "ext4", Source: "/dev/vdb", Options: []string{"sync", "noatime", "ro", "errors=remount-ro"}},
			"mount /m ext4 source=/dev/vdb sb=ro,sync data=errors=remount-ro attr=ro,noatime"},
		{"recursive options fold into a new mount", specs.Mount{Destination: "/m", Type: "tmpfs", Source: "t", Options: []string{"rnoexec", "mode=1"}},
			"mount /m tmpfs source=t data=mode=1 attr=noexec"},
		{"propagation of a new mount", specs.Mount{Destination: "/m", Type: "tmpfs", Source: "t", Options: []string{"mode=1", "rshared"}},
			"mount /m tmpfs source=t data=mode=1 prop=rshared"},
		{"sysfs without a network namespace is the host's, read-only all down", specs.Mount{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "ro"}},
			"bind /sys rbind /sys recattr=+ro,+nosuid strict"},
		{"remount with bind changes the mount only", specs.Mount{Destination: "/data", Options: []string{"remount", "bind", "ro"}},
			"change /data +ro"},
		{"remount without bind reconfigures", specs.Mount{Destination: "/data", Options: []string{"remount", "rw", "size=2m"}},
			"reconfigure /data  sb=rw data=size=2m\nchange /data -ro"},
		{"propagation only", specs.Mount{Destination: "/data", Options: []string{"rslave"}},
			"change /data slave recursive"},
		{"idmap", specs.Mount{Destination: "/data", Source: "/vol", Options: []string{"rbind", "ridmap"},
			UIDMappings: []specs.LinuxIDMapping{{ContainerID: 0, HostID: 1000, Size: 10}},
			GIDMappings: []specs.LinuxIDMapping{{ContainerID: 0, HostID: 2000, Size: 10}}},
			"bind /data rbind /vol idmap=uid=[{0 1000 10}] gid=[{0 2000 10}] recursive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			got := mountCalls(t, f, bareSpec(tc.mount))
			diffCalls(t, got, strings.Split(tc.want, "\n"))
		})
	}
}

func TestTmpfsKeepsTheModeOfTheDirectoryItCovers(t *testing.T) {
	f := newFake()
	f.files["/tmp"] = FileInfo{Mode: unix.S_IFDIR | 0o1777}
	got := mountCalls(t, f, bareSpec(specs.Mount{Destination: "/tmp", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid"}}))
	diffCalls(t, got, []string{"mount /tmp tmpfs source=tmpfs data=mode=1777 attr=nosuid"})
}

func TestSysfsInANetworkNamespace(t *testing.T) {
	f := newFake()
	spec := bareSpec(specs.Mount{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"ro"}})
	spec.Linux.Namespaces = append(spec.Linux.Namespaces, specs.LinuxNamespace{Type: specs.NetworkNamespace})
	diffCalls(t, mountCalls(t, f, spec), []string{"mount /sys sysfs source=sysfs sb=ro attr=ro strict"})
}

const v1Mountinfo = "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n" +
	"33 31 0:30 /sub /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n" +
	"40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n" +
	"41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n" +
	"42 31 0:29 / /elsewhere/cpu rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"

func TestCgroupV1(t *testing.T) {
	mount := specs.Mount{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: []string{"nosuid", "noexec", "nodev", "relatime", "ro"}}
	t.Run("binds of the container's cgroups", func(t *testing.T) {
		f := newFake()
		f.hostFiles["/proc/self/mountinfo"] = v1Mountinfo
		f.hostFiles["/proc/self/cgroup"] = "3:name=systemd:/user/c1\n2:memory:/sub/c1\n1:cpu,cpuacct:/c1\n0::/c1\n"
		diffCalls(t, mountCalls(t, f, bareSpec(mount)), []string{
			"mount /sys/fs/cgroup tmpfs source=tmpfs data=mode=755 attr=nosuid,nodev,noexec",
			"bind /sys/fs/cgroup/cpu,cpuacct rbind /sys/fs/cgroup/cpu,cpuacct/c1 attr=+ro,+nosuid,+nodev,+noexec,atime=relatime",
			"symlink /sys/fs/cgroup/cpu -> cpu,cpuacct",
			"symlink /sys/fs/cgroup/cpuacct -> cpu,cpuacct",
			"bind /sys/fs/cgroup/memory rbind /sys/fs/cgroup/memory/c1 attr=+ro,+nosuid,+nodev,+noexec,atime=relatime",
			"bind /sys/fs/cgroup/systemd rbind /sys/fs/cgroup/systemd/user/c1 attr=+ro,+nosuid,+nodev,+noexec,atime=relatime",
			"change /sys/fs/cgroup +ro",
		})
	})
	t.Run("mountinfo lines given by the caller", func(t *testing.T) {
		f := newFake() // no /proc/self/mountinfo to read: the lines given are used
		f.hostFiles["/proc/self/cgroup"] = "2:memory:/sub/c1\n1:cpu,cpuacct:/c1\n"
		spec := bareSpec(mount)
		spec.Mounts = append(spec.Mounts, specs.Mount{Destination: "/dev", Source: "/dev", Options: []string{"rbind"}})
		opts := fakeOpts(f)
		opts.CgroupMountinfo = []byte(v1Mountinfo)
		if err := Prepare(spec, opts); err != nil {
			t.Fatal(err)
		}
		diffCalls(t, f.calls[3:len(f.calls)-2], []string{
			"mount /sys/fs/cgroup tmpfs source=tmpfs data=mode=755 attr=nosuid,nodev,noexec",
			"bind /sys/fs/cgroup/cpu,cpuacct rbind /sys/fs/cgroup/cpu,cpuacct/c1 attr=+ro,+nosuid,+nodev,+noexec,atime=relatime",
			"symlink /sys/fs/cgroup/cpu -> cpu,cpuacct",
			"symlink /sys/fs/cgroup/cpuacct -> cpu,cpuacct",
			"bind /sys/fs/cgroup/memory rbind /sys/fs/cgroup/memory/c1 attr=+ro,+nosuid,+nodev,+noexec,atime=relatime",
			"change /sys/fs/cgroup +ro",
		})
	})
	t.Run("new mounts in a cgroup namespace", func(t *testing.T) {
		f := newFake()
		f.hostFiles["/proc/self/mountinfo"] = v1Mountinfo
		f.hostFiles["/proc/self/cgroup"] = "3:name=systemd:/\n2:memory:/\n1:cpu,cpuacct:/\n0::/\n"
		spec := bareSpec(mount)
		spec.Linux.Namespaces = append(spec.Linux.Namespaces, specs.LinuxNamespace{Type: specs.CgroupNamespace})
		diffCalls(t, mountCalls(t, f, spec), []string{
			"mount /sys/fs/cgroup tmpfs source=tmpfs data=mode=755 attr=nosuid,nodev,noexec",
			"mount /sys/fs/cgroup/cpu,cpuacct cgroup source=cgroup data=cpu,cpuacct attr=ro,nosuid,nodev,noexec",
			"symlink /sys/fs/cgroup/cpu -> cpu,cpuacct",
			"symlink /sys/fs/cgroup/cpuacct -> cpu,cpuacct",
			"mount /sys/fs/cgroup/memory cgroup source=cgroup data=memory attr=ro,nosuid,nodev,noexec",
			"mount /sys/fs/cgroup/systemd cgroup source=cgroup data=name=systemd attr=ro,nosuid,nodev,noexec",
			"change /sys/fs/cgroup +ro",
		})
	})
	t.Run("a cgroup outside the host's mount is an error", func(t *testing.T) {
		f := newFake()
		f.hostFiles["/proc/self/mountinfo"] = v1Mountinfo
		f.hostFiles["/proc/self/cgroup"] = "2:memory:/other/c1\n"
		err := Prepare(bareSpec(mount), fakeOpts(f))
		if !errors.Is(err, errdefs.ErrFailedPrecondition) || !strings.Contains(err.Error(), "/other/c1") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestCgroupV2(t *testing.T) {
	mount := specs.Mount{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: []string{"nosuid", "ro"}}
	f := newFake()
	f.fsTypes[cgroupRoot] = unix.CGROUP2_SUPER_MAGIC
	diffCalls(t, mountCalls(t, f, bareSpec(mount)), []string{"mount /sys/fs/cgroup cgroup2 source=cgroup sb=ro attr=ro,nosuid"})

	// Where cgroup2 may not be mounted, the container's part is bound.
	f = newFake()
	f.fsTypes[cgroupRoot] = unix.CGROUP2_SUPER_MAGIC
	f.fail["mount /sys/fs/cgroup cgroup2"] = unix.EPERM
	f.hostFiles["/proc/self/cgroup"] = "0::/user.slice/c1\n"
	diffCalls(t, mountCalls(t, f, bareSpec(mount)), []string{
		"mount /sys/fs/cgroup cgroup2 source=cgroup sb=ro attr=ro,nosuid FAILED",
		"bind /sys/fs/cgroup rbind /sys/fs/cgroup/user.slice/c1 recattr=+ro,+nosuid",
	})
}

func TestMountErrorsNameTheMount(t *testing.T) {
	f := newFake()
	f.fail["mount /run tmpfs"] = errors.New("fsconfig size=x: invalid argument")
	err := Prepare(bareSpec(
		specs.Mount{Destination: "/proc", Type: "proc", Source: "proc"},
		specs.Mount{Destination: "/run", Type: "tmpfs", Source: "tmpfs", Options: []string{"size=x"}},
	), fakeOpts(f))
	want := `mounts[1] (tmpfs "tmpfs" on "/run"): mount /run: fsconfig size=x: invalid argument`
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
}

func TestMqueueFallsBackToTheHostsInAUserNamespace(t *testing.T) {
	f := newFake()
	f.fail["mount /dev/mqueue mqueue"] = unix.EPERM
	diffCalls(t, mountCalls(t, f, bareSpec(specs.Mount{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: []string{"nosuid"}})), []string{
		"mount /dev/mqueue mqueue source=mqueue attr=nosuid FAILED",
		"bind /dev/mqueue rbind /dev/mqueue recattr=+nosuid",
	})
}

func TestMountLabelWhenSELinuxIsOn(t *testing.T) {
	f := newFake()
	f.fsTypes["/sys/fs/selinux"] = unix.SELINUX_MAGIC
	spec := bareSpec(
		specs.Mount{Destination: "/proc", Type: "proc", Source: "proc"},
		specs.Mount{Destination: "/run", Type: "tmpfs", Source: "tmpfs", Options: []string{"mode=755"}},
	)
	spec.Linux.MountLabel = "system_u:object_r:container_file_t:s0:c1,c2"
	diffCalls(t, mountCalls(t, f, spec), []string{
		"mount /proc proc source=proc strict onproc",
		`mount /run tmpfs source=tmpfs data=mode=755,context="system_u:object_r:container_file_t:s0:c1,c2"`,
	})
	// Without SELinux the label is ignored, as runc does.
	f = newFake()
	diffCalls(t, mountCalls(t, f, spec)[1:2], []string{"mount /run tmpfs source=tmpfs data=mode=755"})
}
