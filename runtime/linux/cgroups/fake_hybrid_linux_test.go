package cgroups

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"github.com/berth-oci/berth/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// The layout of this machine: v1 controllers, hugetlb on the cgroup2 mount.
func hybridHost(t *testing.T) *fakeHost {
	v1 := slices.DeleteFunc(slices.Clone(allV1), func(c string) bool { return c == "hugetlb" })
	return newFakeHost(t, v1, []string{"hugetlb"})
}

func TestFakeHybridRoutes(t *testing.T) {
	f := hybridHost(t)
	m := f.cgroup("/c1")
	if m.mode != ModeHybrid {
		t.Fatalf("mode %s, want hybrid", m.mode)
	}
	r := &specs.LinuxResources{
		Memory:         &specs.LinuxMemory{Limit: ptr(int64(1 << 20))},
		HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 4 << 20}},
		Unified:        map[string]string{"hugetlb.2MB.rsvd.max": "6291456"},
	}
	if err := m.Create(r); err != nil {
		t.Fatal(err)
	}
	f.want(m.paths["memory"], "memory.limit_in_bytes", "1048576")
	f.want(m.paths[UnifiedKey], "hugetlb.2MB.max", "4194304")
	f.want(m.paths[UnifiedKey], "hugetlb.2MB.rsvd.max", "6291456") // the unified key, written last
	f.want(filepath.Join(f.root, "unified"), "cgroup.subtree_control", "+hugetlb")

	err := m.Set(&specs.LinuxResources{Unified: map[string]string{"memory.high": "1"}})
	if !errors.Is(err, errdefs.ErrUnavailable) {
		t.Errorf("unified key of a v1 controller: %v, want ErrUnavailable", err)
	}
	if files := m.JoinFiles(); !slices.Contains(files, filepath.Join(m.paths[UnifiedKey], "cgroup.procs")) || len(files) != len(allV1)-1+1 {
		t.Errorf("JoinFiles() = %v, want the cgroup2 one and one per v1 hierarchy", files)
	}
	if _, err := m.DirFD(); !errors.Is(err, errdefs.ErrNotImplemented) {
		t.Errorf("DirFD on hybrid = %v, want ErrNotImplemented", err)
	}
	s, err := m.Stats()
	if err != nil || len(s.Hugetlb) != 1 || s.Memory.Cache != 4096 {
		t.Errorf("Stats = %+v, %v", s, err)
	}
}

func TestSavedRoundTrip(t *testing.T) {
	f := hybridHost(t)
	m := f.cgroup("/c1")
	data, err := json.Marshal(m.Saved())
	if err != nil {
		t.Fatal(err)
	}
	var s Saved
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	l, err := Load(s)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(l.JoinFiles(), m.JoinFiles()) || l.Saved().Mode != ModeHybrid {
		t.Errorf("loaded %+v, want %+v", l.Saved(), m.Saved())
	}
	for _, bad := range []Saved{
		{Mode: "v3", Paths: s.Paths},
		{Mode: ModeV1},
		{Mode: ModeV1, Paths: map[string]string{"memory": "relative/dir"}},
		{Mode: ModeV1, Paths: map[string]string{"memory": "/sys/fs/cgroup/memory/../x"}},
		{Mode: ModeV2, Paths: map[string]string{"memory": "/x"}},
	} {
		if _, err := Load(bad); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("Load(%+v) = %v, want ErrInvalidArgument", bad, err)
		}
	}
}

func TestPaths(t *testing.T) {
	f := hybridHost(t)
	f.own = "/user/session"
	f.writeProc()
	cases := []struct {
		cfg           Config
		memory, v2dir string
	}{
		{Config{Path: "/abs/c"}, "memory/abs/c", "unified/abs/c"},
		{Config{Path: "rel/c"}, "memory/user/session/rel/c", "unified/user/rel/c"},
		{Config{ContainerID: "abc"}, "memory/user/session/abc", "unified/user/abc"},
		{Config{Path: "/x//y/./z/"}, "memory/x/y/z", "unified/x/y/z"},
	}
	for _, tc := range cases {
		tc.cfg.ProcDir = f.proc
		mg, err := New(tc.cfg)
		if err != nil {
			t.Errorf("%+v: %v", tc.cfg, err)
			continue
		}
		p := mg.Saved().Paths
		if p["memory"] != filepath.Join(f.root, tc.memory) || p[UnifiedKey] != filepath.Join(f.root, tc.v2dir) {
			t.Errorf("%+v: memory %s, cgroup2 %s; want …/%s and …/%s", tc.cfg, p["memory"], p[UnifiedKey], tc.memory, tc.v2dir)
		}
	}
	for _, bad := range []Config{{Path: "../x"}, {Path: "/a/../../x"}, {Path: "a/.."}, {Path: "/"}, {Path: "."}, {}, {Path: "a\x00b"}} {
		bad.ProcDir = f.proc
		if _, err := New(bad); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("New(%q) = %v, want ErrInvalidArgument", bad.Path, err)
		}
	}
	if _, err := New(Config{Path: "/x", Systemd: true, ProcDir: f.proc}); !errors.Is(err, errdefs.ErrNotImplemented) {
		t.Errorf("systemd driver: %v, want ErrNotImplemented", err)
	}
}

// In a cgroup namespace, or with a subtree mounted, the mount shows the
// hierarchy from its root down: paths are found below the mount point.
func TestPathsUnderMountRoot(t *testing.T) {
	h := hierarchy{mountpoint: "/sys/fs/cgroup/memory", root: "/docker/abc", own: "/docker/abc/sub"}
	if got := dirIn(h, "c1", false); got != "/sys/fs/cgroup/memory/sub/c1" {
		t.Errorf("relative: %s", got)
	}
	if got := dirIn(h, "/c1", false); got != "/sys/fs/cgroup/memory/c1" {
		t.Errorf("absolute: %s", got)
	}
	h.own = "/elsewhere"
	if got := dirIn(h, "c1", false); got != "/sys/fs/cgroup/memory/c1" {
		t.Errorf("own cgroup outside the mount: %s", got)
	}
}
