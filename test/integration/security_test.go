package integration

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestNoDescriptorLeaks(t *testing.T) {
	r := newRT(t)
	// ls is the container's process and lists its own descriptors: stdio
	// and the one it opened to read the directory, nothing else.
	b := r.bundle([]string{"ls", "-l", "/proc/self/fd/"}, nil)
	// Descriptors the caller forgot to mark close-on-exec must not reach
	// the container either.
	leak, err := os.Open("/etc/hostname")
	if err != nil {
		t.Fatal(err)
	}
	defer leak.Close()
	c := r.cmd("run", "--bundle", b, "fd1")
	c.ExtraFiles = []*os.File{leak, leak, leak}
	var out bytes.Buffer
	c.Stdout = &out
	if err := c.Run(); err != nil {
		t.Fatal(err)
	}
	if fds := fdNumbers(out.String()); fds != "0 1 2 3" || strings.Contains(out.String(), "/etc/hostname") {
		t.Fatalf("descriptors in the container: %s\n%s", fds, out.String())
	}

	// --preserve-fds passes exactly the ones asked for, at the same numbers.
	c = r.cmd("run", "--preserve-fds", "1", "--bundle", b, "fd2")
	c.ExtraFiles = []*os.File{leak, leak}
	out.Reset()
	c.Stdout = &out
	if err := c.Run(); err != nil {
		t.Fatal(err)
	}
	if fds := fdNumbers(out.String()); fds != "0 1 2 3 4" || !strings.Contains(out.String(), "3 -> /etc/hostname") {
		t.Fatalf("with --preserve-fds 1: %s\n%s", fds, out.String())
	}
}

// fdNumbers picks the descriptor numbers out of `ls -l /proc/self/fd/`.
func fdNumbers(ls string) string {
	var n []string
	for _, l := range strings.Split(ls, "\n") {
		if f := strings.Fields(l); len(f) >= 9 && strings.HasPrefix(l, "l") {
			n = append(n, f[8])
		}
	}
	return strings.Join(n, " ")
}

// TestRuntimeBinaryUnreachable: while the init (the runtime's binary) is
// the container's pid 1, a startContainer hook running in the container
// tries to write through /proc/1/exe. It must fail and the runtime's
// binary on the host must not change.
func TestRuntimeBinaryUnreachable(t *testing.T) {
	r := newRT(t)
	before := fileHash(t, runtimeBin)
	dir := t.TempDir()
	attack := `readlink /proc/1/exe > /shared/exe; (echo pwned > /proc/1/exe) 2>/shared/err; echo $? > /shared/rc`
	b := r.bundle([]string{"true"}, func(s *specs.Spec) {
		bindHost(s, dir, "/shared")
		s.Hooks = &specs.Hooks{StartContainer: []specs.Hook{{Path: "/bin/sh", Args: []string{"sh", "-c", attack}}}}
	})
	_, stderr, code := r.run(b, "exe1")
	if code != 0 {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	rc, _ := os.ReadFile(filepath.Join(dir, "rc"))
	exe, _ := os.ReadFile(filepath.Join(dir, "exe"))
	if strings.TrimSpace(string(rc)) == "0" {
		t.Fatalf("writing /proc/1/exe from the container succeeded (exe %q)", exe)
	}
	if !strings.Contains(string(exe), "memfd:") && !strings.Contains(string(exe), "/@exe/") {
		t.Errorf("the init runs %q, want a read-only or sealed copy", exe)
	}
	if fileHash(t, runtimeBin) != before {
		t.Fatal("the runtime binary changed")
	}
}

func fileHash(t *testing.T, path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", sha256.Sum256(b))
}

// TestSymlinkedMountDestination: the image makes /escape a symlink to a
// host directory; a mount on /escape/sub must land inside the rootfs.
func TestSymlinkedMountDestination(t *testing.T) {
	r := newRT(t)
	host := t.TempDir()
	b := r.bundle(sh("mount | grep -c ' "+host+"/sub '"), func(s *specs.Spec) {
		s.Mounts = append(s.Mounts, specs.Mount{Destination: "/escape/sub", Type: "tmpfs", Source: "tmpfs"})
	})
	if err := os.Symlink(host, filepath.Join(b, "rootfs/escape")); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := r.run(b, "sym1")
	if code != 0 {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	if strings.TrimSpace(out) != "1" {
		t.Fatalf("the tmpfs is not at %s/sub inside the container: %q", host, out)
	}
	if _, err := os.Stat(filepath.Join(host, "sub")); err == nil {
		t.Fatal("the mount destination was created on the host")
	}
	if _, err := os.Stat(filepath.Join(b, "rootfs", host, "sub")); err != nil {
		t.Fatalf("the mount point is not inside the rootfs: %v", err)
	}
	mounts, _ := os.ReadFile("/proc/self/mountinfo")
	if strings.Contains(string(mounts), host) {
		t.Fatal("a mount appeared on the host")
	}
}

func TestMaskedAndReadonlyPaths(t *testing.T) {
	r := newRT(t)
	script := `echo masked $(wc -c < /proc/timer_list); (echo 1 > /proc/sys/vm/drop_caches) 2>/dev/null; echo sys $?;
umount /proc/kcore 2>/dev/null; echo umount $?; mount -o remount,rw /proc/sys 2>/dev/null; echo remount $?;
echo cwd $(pwd) $(ls /proc/1/cwd/ | grep -c rootfs)`
	b := r.bundle(sh(script), nil)
	out, stderr, code := r.run(b, "mask1")
	if code != 0 {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	for _, w := range []string{"masked 0\n", "sys 1\n", "umount 1\n", "remount 1\n", "cwd / 0\n"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

func TestDevicesAndSysctl(t *testing.T) {
	r := newRT(t)
	mode := os.FileMode(0o640)
	uid, gid := uint32(0), uint32(29)
	script := `ls -ln /dev/fuse | cut -c1-10; stat -c '%t:%T %g' /dev/fuse; for d in null zero full random urandom tty; do [ -c /dev/$d ] || echo missing $d; done;
echo data > /dev/null && echo null ok; cat /proc/sys/net/ipv4/ip_forward; readlink /dev/fd; readlink /dev/ptmx`
	b := r.bundle(sh(script), func(s *specs.Spec) {
		s.Linux.Devices = []specs.LinuxDevice{{Path: "/dev/fuse", Type: "c", Major: 10, Minor: 229, FileMode: &mode, UID: &uid, GID: &gid}}
		s.Linux.Sysctl = map[string]string{"net.ipv4.ip_forward": "1"}
	})
	out, stderr, code := r.run(b, "dev1")
	if code != 0 {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	want := "crw-r-----\na:e5 29\nnull ok\n1\n/proc/self/fd\npts/ptmx\n"
	if out != want {
		t.Fatalf("devices and sysctl:\n%s\nwant:\n%s", out, want)
	}
}
