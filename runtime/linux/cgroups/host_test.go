package cgroups

import (
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"github.com/berth-oci/berth/errdefs"
)

func TestReadHost(t *testing.T) {
	dir := t.TempDir()
	writeTestFile(t, filepath.Join(dir, "mountinfo"), `22 1 0:21 / /sys rw - sysfs sysfs rw
25 22 0:23 / /sys/fs/cgroup ro - tmpfs tmpfs ro,mode=755
26 25 0:24 / /sys/fs/cgroup/unified rw shared:5 - cgroup2 cgroup2 rw,nsdelegate
27 25 0:25 / /sys/fs/cgroup/systemd rw shared:6 - cgroup cgroup rw,xattr,name=systemd
28 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw shared:7 - cgroup cgroup rw,cpu,cpuacct
29 25 0:27 /docker/abc /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
30 25 0:27 / /mnt/my\040memory rw - cgroup cgroup rw,memory
31 25 0:28 / /sys/fs/cgroup/perf_event rw - cgroup cgroup rw,perf_event
`)
	writeTestFile(t, filepath.Join(dir, "cgroup"), `5:perf_event:/
4:memory:/docker/abc
3:cpu,cpuacct:/user.slice
2:name=systemd:/user.slice/session-1.scope
1:net_cls,net_prio:/
0::/user.slice/session-1.scope
`)
	h, err := readHost(dir)
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := h.mode(); m != ModeHybrid {
		t.Errorf("mode %s, want hybrid", m)
	}
	if h.v2 == nil || h.v2.mountpoint != "/sys/fs/cgroup/unified" || h.v2.own != "/user.slice/session-1.scope" {
		t.Errorf("cgroup2 %+v", h.v2)
	}
	got := map[string]hierarchy{}
	for _, hy := range h.v1 {
		for _, c := range hy.controllers {
			got[c] = hy
		}
	}
	if len(h.v1) != 4 {
		t.Errorf("%d v1 hierarchies, want 4 (net_cls has no mount): %+v", len(h.v1), h.v1)
	}
	if got["cpu"].mountpoint != "/sys/fs/cgroup/cpu,cpuacct" || got["cpuacct"].own != "/user.slice" {
		t.Errorf("co-mounted cpu,cpuacct: %+v", got["cpu"])
	}
	// The mount showing the whole hierarchy wins over one showing a subtree.
	if got["memory"].mountpoint != "/mnt/my memory" || got["memory"].root != "/" {
		t.Errorf("memory %+v", got["memory"])
	}
	if !slices.Equal(got["name=systemd"].controllers, []string{"name=systemd"}) {
		t.Errorf("named hierarchy %+v", got["name=systemd"])
	}
}

func TestReadHostPureV2AndNone(t *testing.T) {
	dir := t.TempDir()
	writeTestFile(t, filepath.Join(dir, "mountinfo"), "35 24 0:30 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n")
	writeTestFile(t, filepath.Join(dir, "cgroup"), "0::/init.scope\n")
	h, err := readHost(dir)
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := h.mode(); m != ModeV2 {
		t.Errorf("mode %s, want v2", m)
	}
	if got := dirIn(*h.v2, "c1", true); got != "/sys/fs/cgroup/c1" {
		t.Errorf("relative path on v2 = %s, want beside the caller's cgroup", got)
	}
	writeTestFile(t, filepath.Join(dir, "mountinfo"), "20 1 0:20 / /proc rw - proc proc rw\n")
	h, err = readHost(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.mode(); !errors.Is(err, errdefs.ErrUnavailable) {
		t.Errorf("no hierarchy: %v, want ErrUnavailable", err)
	}
}

func TestReadHostMalformed(t *testing.T) {
	dir := t.TempDir()
	writeTestFile(t, filepath.Join(dir, "mountinfo"), "20 1 0:20 / /proc rw - proc proc rw\n")
	writeTestFile(t, filepath.Join(dir, "cgroup"), "garbage\n")
	if _, err := readHost(dir); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("bad cgroup file: %v", err)
	}
	writeTestFile(t, filepath.Join(dir, "cgroup"), "0::/\n")
	writeTestFile(t, filepath.Join(dir, "mountinfo"), "no separator here\n")
	if _, err := readHost(dir); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("bad mountinfo: %v", err)
	}
}

func FuzzParseMountinfoLine(f *testing.F) {
	for _, s := range []string{
		"26 25 0:24 / /sys/fs/cgroup/unified rw shared:5 - cgroup2 cgroup2 rw,nsdelegate",
		"30 25 0:27 / /mnt/my\\040memory rw - cgroup cgroup rw,memory",
		"1 2 3 4 5 - cgroup",
		" - ",
		"\\",
		"a b c d \\12",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		m, ok, err := parseMountinfoLine(line)
		if err == nil && ok && m.fstype != "cgroup" && m.fstype != "cgroup2" {
			t.Errorf("kept a %q mount", m.fstype)
		}
	})
}

func TestUnescapeOctal(t *testing.T) {
	for in, want := range map[string]string{`a\040b`: "a b", `\134`: `\`, `end\04`: `end\04`, `x\999`: `x\999`} {
		if got := unescapeOctal(in); got != want {
			t.Errorf("unescapeOctal(%q) = %q, want %q", in, got, want)
		}
	}
}
