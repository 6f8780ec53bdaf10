package rootfs

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// hostCanary makes a directory outside the rootfs holding one file, and
// returns a check that it is unchanged.
func hostCanary(t *testing.T) (string, func()) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "secret"), []byte("canary"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, func() {
		t.Helper()
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		if !slices.Equal(names, []string{"secret"}) {
			t.Errorf("the host's canary directory now holds %q", names)
		}
		if b, err := os.ReadFile(filepath.Join(dir, "secret")); err != nil || string(b) != "canary" {
			t.Errorf("the host's canary file now holds %q (%v)", b, err)
		}
	}
}

func mountpoints(mountinfo string) map[string]int {
	n := map[string]int{}
	for _, line := range strings.Split(mountinfo, "\n") {
		if f := strings.Fields(line); len(f) > 4 {
			n[f[4]]++
		}
	}
	return n
}

// checkMountsInside fails the test when the mountinfo a Prepare-only child
// printed (in the runtime's view) has a mount the host does not have
// outside the rootfs.
func checkMountsInside(t *testing.T, childInfo, rootfs string) {
	t.Helper()
	hostInfo, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	host, child := mountpoints(string(hostInfo)), mountpoints(childInfo)
	for mp, n := range child {
		if n > host[mp] && !under(mp, rootfs) {
			t.Errorf("a mount landed outside the rootfs, on %s", mp)
		}
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.RemoveAll(link); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

func tmpfsAt(dest string) specs.Mount {
	return specs.Mount{Destination: dest, Type: "tmpfs", Source: "tmpfs", Options: []string{"size=64k"}}
}

// An image full of symlinks that lead out of the rootfs: every mount,
// device, mask and read-only path ends up inside it, and the host's canary
// is untouched.
func TestRootSymlinksOutOfTheRootfs(t *testing.T) {
	c := newContainer(t)
	canary, intact := hostCanary(t)
	volume := t.TempDir()
	if err := os.WriteFile(filepath.Join(volume, "file"), []byte("volume"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := c.rootfs
	symlink(t, "/etc", r+"/tmp")
	symlink(t, canary, r+"/abs")
	symlink(t, strings.Repeat("../", 16)+canary[1:], r+"/rel")
	if err := os.MkdirAll(r+"/deep/a", 0o755); err != nil {
		t.Fatal(err)
	}
	symlink(t, "../../../../../../..", r+"/deep/a/up")
	symlink(t, canary+"/secret", r+"/opt")
	c.spec.Mounts = append(c.spec.Mounts,
		tmpfsAt("/tmp"), tmpfsAt("/abs/t1"), tmpfsAt("/rel/t2"), tmpfsAt("/deep/a/up"+canary+"/t3"),
		specs.Mount{Destination: "/rel/vol", Source: volume, Options: []string{"rbind"}},
		specs.Mount{Destination: "/opt", Source: filepath.Join(volume, "file"), Options: []string{"bind", "ro"}},
	)
	c.spec.Linux.Devices = []specs.LinuxDevice{{Path: "/abs/dev0", Type: "c", Major: 1, Minor: 3}}
	c.spec.Linux.MaskedPaths = append(c.spec.Linux.MaskedPaths, "/deep/a/up"+canary+"/t1")
	c.spec.Linux.ReadonlyPaths = append(c.spec.Linux.ReadonlyPaths, "/rel/vol")

	res := runChild(t, c.config("", "prepare"))
	if res.Err != nil {
		t.Fatalf("%v\n%s", res.Err, res.Stderr)
	}
	checkMountsInside(t, res.Stdout, c.rootfs)
	intact()

	// Inside, the canary's path leads to a directory of the rootfs (through
	// /tmp, which is /etc, covered by a tmpfs) holding what the mounts made.
	out := c.run(t, `
echo opt=$(cat /opt)
echo dev0=$(stat -c '%t:%T' /abs/dev0)
echo vol=$(cat /rel/vol/file)
echo volwrite=$(touch /rel/vol/new 2>/dev/null && echo ok || echo denied)
echo inside=$(ls -A `+canary+` | tr '\n' ' ')
echo t1=$(touch `+canary+`/t1/x 2>/dev/null && echo ok || echo denied)
echo etc=$(stat -f -c %T /etc)
`)
	intact()
	if _, err := os.Stat(filepath.Join(volume, "new")); err == nil {
		t.Error("a read-only path was written")
	}
	v := values(out)
	check(t, v, "opt", "volume")
	check(t, v, "dev0", "1:3")
	check(t, v, "vol", "volume")
	check(t, v, "volwrite", "denied")
	check(t, v, "inside", "dev0 secret t1 t2 t3 vol")
	check(t, v, "t1", "denied")
	check(t, v, "etc", "tmpfs")
}

// A /dev that leads to the root is refused: a mount there would cover
// the whole rootfs.
func TestRootDevIsTheRoot(t *testing.T) {
	c := newContainer(t)
	symlink(t, "/", c.rootfs+"/dev")
	if msg := c.fail(t, "prepare"); !strings.Contains(msg, `on "/dev"`) || !strings.Contains(msg, "resolves to the container's root") {
		t.Errorf("error %q", msg)
	}
	if _, err := os.Lstat("/null"); err == nil {
		t.Error("a device node was made at the host's /null")
	}
}

// procfs and sysfs are never mounted through a symlink (CVE-2019-19921),
// and nothing but the masks and read-only paths may cover a file of procfs
// (CVE-2019-16884).
func TestRootRefusesMountsThatWeakenProc(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(c *container)
		want string
	}{
		{"proc is a symlink", func(c *container) { symlink(t, "/etc", c.rootfs+"/proc") }, "real directory"},
		{"proc is a relative symlink out", func(c *container) { symlink(t, "../../../../../../", c.rootfs+"/proc") }, "real directory"},
		{"sys is a symlink", func(c *container) { symlink(t, "/tmp", c.rootfs+"/sys") }, "real directory"},
		{"a volume on procfs", func(c *container) {
			c.spec.Mounts = append(c.spec.Mounts, specs.Mount{Destination: "/proc/sys/kernel", Source: t.TempDir(), Options: []string{"rbind"}})
		}, "destination is inside procfs"},
		{"a volume on procfs through a symlink", func(c *container) {
			symlink(t, "/proc/self/attr", c.rootfs+"/data")
			c.spec.Mounts = append(c.spec.Mounts, specs.Mount{Destination: "/data/current", Source: "/dev/null", Options: []string{"bind"}})
		}, "destination is inside procfs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newContainer(t)
			tc.edit(c)
			if msg := c.fail(t); !strings.Contains(msg, tc.want) {
				t.Errorf("error %q does not say %q", msg, tc.want)
			}
		})
	}
}

// A masked path that is a symlink inside procfs masks what it leads to.
func TestRootMaskFollowsSymlinksInsideProc(t *testing.T) {
	c := newContainer(t)
	c.spec.Linux.MaskedPaths = append(c.spec.Linux.MaskedPaths, "/proc/mounts", "/proc/self/cgroup")
	v := values(c.run(t, "echo mounts=$(wc -c < /proc/1/mounts); echo cgroup=$(wc -c < /proc/1/cgroup); echo link=$(readlink /proc/mounts)"))
	check(t, v, "mounts", "0")
	check(t, v, "cgroup", "0")
	check(t, v, "link", "self/mounts")
}
