package rootfs

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// In a user namespace: devices are host nodes bound in, the default config
// works otherwise unchanged, and a bind's flags change without clearing
// the locked ones.
func TestRootUserNamespace(t *testing.T) {
	c := newUserContainer(t)
	vol := publicTemp(t)
	if err := os.WriteFile(filepath.Join(vol, "f"), []byte("v"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The rootfs belongs to the host's root: the container's root may not
	// make a mount point in it, so the volume covers /home.
	c.spec.Mounts = append(c.spec.Mounts, specs.Mount{Destination: "/home", Source: vol, Options: []string{"bind", "ro", "nosuid"}})
	out := c.run(t, probe+`
echo mknod=$(mknod /dev/shm/n c 1 3 2>/dev/null && echo ok || echo denied)
echo vol=$(cat /home/f)
echo volwrite=$(touch /home/g 2>/dev/null && echo ok || echo denied)
echo uid=$(id -u)
`)
	v := values(out)
	check(t, v, "null", "1:3 666 character special file")
	check(t, v, "rootwrite", "denied")
	check(t, v, "keys", "0")
	check(t, v, "shm", "hi")
	check(t, v, "vol", "v")
	check(t, v, "volwrite", "denied")
	check(t, v, "uid", "0")
	checkMount(t, out, "/dev/null", " - devtmpfs ")
	check(t, v, "mknod", "denied")
	checkMount(t, out, "/home", " ro,nosuid,")
	checkMount(t, out, "/sys", " - sysfs ", "ro,nosuid")
}

// A user namespace without a network namespace cannot mount sysfs: the
// host's /sys is bound, read-only all the way down.
func TestRootSysfsWithoutNetworkNamespace(t *testing.T) {
	c := newUserContainer(t)
	var ns []specs.LinuxNamespace
	for _, n := range c.spec.Linux.Namespaces {
		if n.Type != specs.NetworkNamespace {
			ns = append(ns, n)
		}
	}
	c.spec.Linux.Namespaces = ns
	c.spec.Mounts = c.spec.Mounts[:len(c.spec.Mounts)-1] // no cgroup: /sys brings the host's
	out := c.run(t, "cat /proc/self/mountinfo")
	checkMount(t, out, "/sys", " ro,nosuid,nodev,noexec", " - sysfs ")
	checkMount(t, out, "/sys/fs/cgroup", " ro,")
	checkMount(t, out, "/sys/fs/cgroup/memory", " ro,")
}

func TestRootBindMounts(t *testing.T) {
	c := newContainer(t)
	vol := t.TempDir()
	file := filepath.Join(t.TempDir(), "hostfile")
	if err := os.WriteFile(file, []byte("file"), 0o644); err != nil {
		t.Fatal(err)
	}
	c.spec.Mounts = append(c.spec.Mounts,
		specs.Mount{Destination: "/a/b/c", Source: vol, Options: []string{"bind", "ro", "nosuid", "nodev", "noexec", "noatime"}},
		specs.Mount{Destination: "/etc/hostfile", Source: file, Options: []string{"bind"}},
		specs.Mount{Destination: "/hostdev", Source: "/dev", Options: []string{"rbind", "ro"}},
		specs.Mount{Destination: "/hostdev2", Source: "/dev", Options: []string{"rbind", "rro", "rnosuid"}},
		specs.Mount{Destination: "/shared", Source: vol, Options: []string{"rbind", "rshared"}},
		specs.Mount{Destination: "/unbindable", Source: vol, Options: []string{"bind", "unbindable"}},
		specs.Mount{Destination: "/nosymfollow", Source: vol, Options: []string{"bind", "nosymfollow"}},
		specs.Mount{Destination: "/a/b/c", Options: []string{"remount", "bind", "rw", "exec"}},
	)
	out := c.run(t, "echo file=$(cat /etc/hostfile); echo type=$(stat -c %F /etc/hostfile); cat /proc/self/mountinfo")
	v := values(out)
	check(t, v, "file", "file")
	check(t, v, "type", "regular file")
	checkMount(t, out, "/a/b/c", " rw,nosuid,nodev,noatime ") // remounted rw, exec
	checkMount(t, out, "/nosymfollow", ",nosymfollow")
	checkMount(t, out, "/hostdev", " ro,")
	checkMount(t, out, "/hostdev/shm", " rw,") // "ro" is the top mount's only
	checkMount(t, out, "/hostdev2", " ro,nosuid")
	checkMount(t, out, "/hostdev2/shm", " ro,nosuid")
	checkMount(t, out, "/shared", " shared:")
	checkMount(t, out, "/unbindable", " unbindable ")
	if _, err := os.Stat(filepath.Join(vol, "c")); err == nil {
		t.Error("the destination was made in the bind source")
	}
}

func TestRootTmpfs(t *testing.T) {
	c := newContainer(t)
	if err := os.WriteFile(filepath.Join(c.rootfs, "etc", "motd"), []byte("hello"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("motd", filepath.Join(c.rootfs, "etc", "motdlink")); err != nil {
		t.Fatal(err)
	}
	// (os.Chmod would drop the sticky bit of a plain 0o1777.)
	if err := unix.Chmod(filepath.Join(c.rootfs, "tmp"), 0o1777); err != nil {
		t.Fatal(err)
	}
	c.spec.Mounts = append(c.spec.Mounts,
		specs.Mount{Destination: "/tmp", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "nodev"}},
		specs.Mount{Destination: "/run/x", Type: "tmpfs", Source: "tmpfs", Options: []string{"size=1m", "mode=0700", "uid=1000", "gid=1000", "nr_inodes=100"}},
		specs.Mount{Destination: "/etc", Type: "tmpfs", Source: "tmpfs", Options: []string{"tmpcopyup", "ro"}},
	)
	out := c.run(t, `
echo tmp=$(stat -c %a /tmp)
echo runx=$(stat -c '%a %u %g' /run/x)
echo motd=$(cat /etc/motd)
echo motdmode=$(stat -c %a /etc/motd)
echo motdlink=$(readlink /etc/motdlink)
echo passwd=$(head -c 4 /etc/passwd)
echo etcwrite=$(touch /etc/x 2>/dev/null && echo ok || echo denied)
cat /proc/self/mountinfo`)
	v := values(out)
	check(t, v, "tmp", "1777")
	check(t, v, "runx", "700 1000 1000")
	check(t, v, "motd", "hello")
	check(t, v, "motdmode", "640")
	check(t, v, "motdlink", "motd")
	check(t, v, "passwd", "root")
	check(t, v, "etcwrite", "denied")
	checkMount(t, out, "/tmp", "rw,nosuid,nodev", " - tmpfs ")
	checkMount(t, out, "/run/x", "size=1024k,nr_inodes=100,mode=700,uid=1000,gid=1000")
	checkMount(t, out, "/etc", " ro,", " - tmpfs ")
}

func TestRootRemountReconfiguresTheSuperblock(t *testing.T) {
	c := newContainer(t)
	c.spec.Mounts = append(c.spec.Mounts,
		specs.Mount{Destination: "/run", Type: "tmpfs", Source: "tmpfs", Options: []string{"size=1m"}},
		specs.Mount{Destination: "/run", Options: []string{"remount", "size=2m", "nosuid"}},
	)
	checkMount(t, c.run(t, "cat /proc/self/mountinfo"), "/run", " rw,nosuid,", "size=2048k")
}

func TestRootBadOptionIsOneClearError(t *testing.T) {
	c := newContainer(t)
	c.spec.Mounts = append(c.spec.Mounts, specs.Mount{Destination: "/data", Type: "tmpfs", Source: "tmpfs", Options: []string{"size=banana"}})
	msg := c.fail(t)
	for _, want := range []string{`mounts[7] (tmpfs "tmpfs" on "/data")`, "fsconfig size=banana", "invalid argument", "Bad value for 'size'"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if _, err := os.Stat(filepath.Join(c.rootfs, "data")); err == nil {
		t.Error("the destination was created before the mount failed")
	}
}

func TestRootDevices(t *testing.T) {
	c := newContainer(t)
	mode := os.FileMode(0o600)
	uid, gid := uint32(1000), uint32(5)
	c.spec.Linux.Devices = []specs.LinuxDevice{
		{Path: "/dev/fuse", Type: "c", Major: 10, Minor: 229, FileMode: &mode, UID: &uid, GID: &gid},
		{Path: "/dev/loop-control", Type: "c", Major: 10, Minor: 237},
		{Path: "/run/fifo", Type: "p"},
	}
	v := values(c.run(t, `
echo fuse=$(stat -c '%t:%T %a %u %g %F' /dev/fuse)
echo loop=$(stat -c '%t:%T %a' /dev/loop-control)
echo fifo=$(stat -c '%F %a' /run/fifo)`))
	check(t, v, "fuse", "a:e5 600 1000 5 character special file")
	check(t, v, "loop", "a:ed 666")
	check(t, v, "fifo", "fifo 666")
}

func TestRootSysctl(t *testing.T) {
	c := newContainer(t)
	c.spec.Linux.Sysctl = map[string]string{"net.ipv4.ip_forward": "1", "kernel.shmmni": "1234", "net/ipv4/conf/lo/forwarding": "1"}
	v := values(c.run(t, `
echo fwd=$(cat /proc/sys/net/ipv4/ip_forward)
echo lo=$(cat /proc/sys/net/ipv4/conf/lo/forwarding)
echo shm=$(cat /proc/sys/kernel/shmmni)`))
	check(t, v, "fwd", "1")
	check(t, v, "lo", "1")
	check(t, v, "shm", "1234")
	if b, _ := os.ReadFile("/proc/sys/kernel/shmmni"); strings.TrimSpace(string(b)) == "1234" {
		t.Error("the host's kernel.shmmni changed")
	}
}

// An ID-mapped bind mount shows the host's root-owned files as owned by
// the mapped ID. As with runc and crun, the mapping is written to the user
// namespace as given: on-disk ID containerID shows as hostID.
func TestRootIdmap(t *testing.T) {
	c := newContainer(t)
	vol := t.TempDir()
	if err := os.WriteFile(filepath.Join(vol, "f"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	m := []specs.LinuxIDMapping{{ContainerID: 0, HostID: 1000, Size: 1}}
	c.spec.Mounts = append(c.spec.Mounts, specs.Mount{Destination: "/vol", Source: vol, Options: []string{"bind", "idmap"}, UIDMappings: m, GIDMappings: m})
	out := c.run(t, "echo owner=$(stat -c '%u:%g' /vol/f); cat /proc/self/mountinfo")
	check(t, values(out), "owner", "1000:1000")
	checkMount(t, out, "/vol", "idmapped")
}

func TestRootCgroupNamespace(t *testing.T) {
	c := newContainer(t)
	c.spec.Linux.Namespaces = append(c.spec.Linux.Namespaces, specs.LinuxNamespace{Type: specs.CgroupNamespace})
	out := c.run(t, "cat /proc/self/mountinfo")
	checkMount(t, out, "/sys/fs/cgroup/memory", " / /sys/fs/cgroup/memory ro,nosuid,nodev,noexec", " - cgroup ", "memory")
	checkMount(t, out, "/sys/fs/cgroup/systemd", " - cgroup ", "name=systemd")
}

func TestRootConsole(t *testing.T) {
	c := newContainer(t)
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer ptmx.Close()
	if err := unix.IoctlSetPointerInt(int(ptmx.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(ptmx.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	c.console = "/dev/pts/" + strconv.Itoa(n)
	var st unix.Stat_t
	if err := unix.Stat(c.console, &st); err != nil {
		t.Fatal(err)
	}
	v := values(c.run(t, "echo console=$(stat -c '%t:%T' /dev/console)"))
	check(t, v, "console", fmt.Sprintf("%x:%x", unix.Major(st.Rdev), unix.Minor(st.Rdev)))
}

// The console can also come from the container's own devpts, after the
// pivot.
func TestRootConsoleFromTheContainersPtmx(t *testing.T) {
	c := newContainer(t)
	v := values(c.runSteps(t, "echo console=$(stat -c '%t:%T' /dev/console); echo pts=$(ls /dev/pts | tr '\\n' ' ')", "prepare", "pivot", "console", "finish"))
	check(t, v, "console", "88:0")
	check(t, v, "pts", "0 ptmx")
}

func TestRootPropagation(t *testing.T) {
	for _, tc := range []struct {
		prop, want string
	}{
		{"rshared", " shared:"},
		{"unbindable", " unbindable "},
		{"rprivate", " ro,relatime - "},
	} {
		t.Run(tc.prop, func(t *testing.T) {
			c := newContainer(t)
			c.spec.Linux.RootfsPropagation = tc.prop
			checkMount(t, c.run(t, "cat /proc/self/mountinfo"), "/", tc.want)
		})
	}
}
