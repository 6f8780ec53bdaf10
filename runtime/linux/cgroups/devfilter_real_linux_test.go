package cgroups

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-oci/berth/internal/fixture"
	"golang.org/x/sys/unix"
)

// realV2Dir makes an empty cgroup on this host's cgroup2 mount, removed when
// the test ends.
func realV2Dir(t *testing.T) string {
	t.Helper()
	fixture.RequireRoot(t)
	h, err := readHost("")
	if err != nil {
		t.Fatal(err)
	}
	if h.v2 == nil {
		t.Skip("host has no cgroup2 mount")
	}
	dir := filepath.Join(h.v2.mountpoint, testCgroupPath(t))
	made, err := makeV2Dir(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := removeTree(dir); err != nil {
			t.Error(err)
		}
		removeMade(made)
	})
	return dir
}

// probeDevices joins dir from inside a shell and reports which device
// accesses the kernel allowed.
func probeDevices(t *testing.T, dir string) string {
	t.Helper()
	script := `echo 0 > "$1/cgroup.procs" || exit 1
cat /dev/null && echo null
head -c1 /dev/zero >/dev/null && echo zero-read
echo x 2>/dev/null > /dev/zero && echo zero-write
head -c1 /dev/urandom 2>/dev/null >/dev/null && echo urandom
true`
	out, err := exec.Command(fixture.BusyboxPath, "sh", "-c", script, "sh", dir).Output()
	if err != nil {
		t.Fatalf("probe: %v", err)
	}
	return strings.Join(strings.Fields(string(out)), " ")
}

func TestRealDeviceFilter(t *testing.T) {
	dir := realV2Dir(t)
	list := rules(t,
		dev(false, "a", -1, -1, "rwm"),
		dev(true, "c", 1, 3, "rwm"),
		dev(true, "c", 1, 5, "r"),
	)
	if err := setV2Devices(dir, list); err != nil {
		t.Fatal(err) // root may load cgroup device programs on every kernel berth supports
	}
	if got, want := probeDevices(t, dir), "null zero-read"; got != want {
		t.Errorf("allowed accesses %q, want %q", got, want)
	}

	// A new list replaces the old program rather than stacking on it.
	list = append(list, rules(t, dev(true, "c", 1, 9, "r"), dev(true, "c", 1, 5, "w"))...)
	if err := setV2Devices(dir, list); err != nil {
		t.Fatal(err)
	}
	if got, want := probeDevices(t, dir), "null zero-read zero-write urandom"; got != want {
		t.Errorf("after update, allowed accesses %q, want %q", got, want)
	}
	fd, err := unix.Open(dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if ids, err := attachedDevicePrograms(fd); err != nil || len(ids) != 1 {
		t.Errorf("attached programs after update: %v, %v; want one", ids, err)
	}
}
