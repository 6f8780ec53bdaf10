package rootfs

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// runcSpec is the config.json `runc spec` (1.1.5) writes.
func runcSpec(t testing.TB) *specs.Spec {
	t.Helper()
	b, err := os.ReadFile("testdata/runc-spec.json")
	if err != nil {
		t.Fatal(err)
	}
	var s specs.Spec
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return &s
}

func fakeOpts(f *fakeKernel) Options {
	return Options{Bundle: "/b", Rootfs: "/b/rootfs", Kernel: f}
}

func diffCalls(t *testing.T, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") == strings.Join(want, "\n") {
		return
	}
	t.Errorf("calls differ\n--- got:\n%s\n--- want:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
}

func TestPrepareRuncDefaultSpec(t *testing.T) {
	f := newFake()
	f.files["/proc"] = FileInfo{Mode: 0o40755}
	f.files["/dev"] = FileInfo{Mode: 0o40755}
	f.hostFiles["/proc/self/mountinfo"] = "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n" +
		"40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n" +
		"41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
	f.hostFiles["/proc/self/cgroup"] = "2:name=systemd:/c1\n1:cpu:/c1\n0::/c1\n"
	spec := runcSpec(t)
	if err := Prepare(spec, fakeOpts(f)); err != nil {
		t.Fatal(err)
	}
	diffCalls(t, f.calls, []string{
		`host-mount "" / "" rec|slave ""`,
		`host-mount "/b/rootfs" /b/rootfs "bind" bind|rec ""`,
		`open-root /b/rootfs`,
		`mount /proc proc source=proc strict onproc`,
		`mount /dev tmpfs source=tmpfs data=mode=755,size=65536k attr=nosuid,strictatime`,
		`mount /dev/pts devpts source=devpts data=newinstance,ptmxmode=0666,mode=0620,gid=5 attr=nosuid,noexec`,
		`mount /dev/shm tmpfs source=shm data=mode=1777,size=65536k attr=nosuid,nodev,noexec`,
		`mount /dev/mqueue mqueue source=mqueue attr=nosuid,nodev,noexec`,
		`mount /sys sysfs source=sysfs sb=ro attr=ro,nosuid,nodev,noexec strict`,
		`mount /sys/fs/cgroup tmpfs source=tmpfs data=mode=755 attr=nosuid,nodev,noexec`,
		`bind /sys/fs/cgroup/cpu rbind /sys/fs/cgroup/cpu/c1 attr=+ro,+nosuid,+nodev,+noexec,atime=relatime`,
		`bind /sys/fs/cgroup/systemd rbind /sys/fs/cgroup/systemd/c1 attr=+ro,+nosuid,+nodev,+noexec,atime=relatime`,
		`change /sys/fs/cgroup +ro`,
		`umask 000`,
		`mknod /dev/null 020666 1:3`,
		`mknod /dev/zero 020666 1:5`,
		`mknod /dev/full 020666 1:7`,
		`mknod /dev/random 020666 1:8`,
		`mknod /dev/urandom 020666 1:9`,
		`mknod /dev/tty 020666 5:0`,
		`symlink /dev/fd -> /proc/self/fd`,
		`symlink /dev/stdin -> /proc/self/fd/0`,
		`symlink /dev/stdout -> /proc/self/fd/1`,
		`symlink /dev/stderr -> /proc/self/fd/2`,
		`symlink /dev/ptmx -> pts/ptmx`,
		`umask 022`,
		`close-root`,
	})
}
