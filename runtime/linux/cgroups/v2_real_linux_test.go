package cgroups

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/internal/fixture"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// hostPageSizes lists the huge page sizes of this machine in the spec's
// notation ("2MB", "1GB"), from /sys/kernel/mm/hugepages/hugepages-<n>kB.
func hostPageSizes(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir("/sys/kernel/mm/hugepages")
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		t.Fatal(err)
	}
	var sizes []string
	for _, e := range entries {
		kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(e.Name(), "hugepages-"), "kB"), 10, 64)
		if err != nil {
			continue
		}
		switch {
		case kb%(1<<20) == 0:
			sizes = append(sizes, strconv.FormatUint(kb>>20, 10)+"GB")
		case kb%(1<<10) == 0:
			sizes = append(sizes, strconv.FormatUint(kb>>10, 10)+"MB")
		default:
			sizes = append(sizes, strconv.FormatUint(kb, 10)+"KB")
		}
	}
	return sizes
}

// pageBytes is the size of a page size name in bytes.
func pageBytes(t *testing.T, size string) uint64 {
	t.Helper()
	units := map[string]uint64{"KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30}
	n, err := strconv.ParseUint(size[:len(size)-2], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n * units[size[len(size)-2:]]
}

// On a host whose cgroup2 mount offers hugetlb (this machine's hybrid
// layout), huge page limits land on the cgroup2 side, as do unified keys,
// while the v1 controllers keep theirs.
func TestRealHugetlbOnCgroup2(t *testing.T) {
	fixture.RequireRoot(t)
	sizes := hostPageSizes(t)
	if len(sizes) == 0 {
		t.Skip("this kernel has no huge page sizes (/sys/kernel/mm/hugepages is empty)")
	}
	h, err := readHost("")
	if err != nil {
		t.Fatal(err)
	}
	if h.v2 == nil || !v2Has(filepath.Join(h.v2.mountpoint, visiblePart(h.v2.own, h.v2.root)), "hugetlb") {
		t.Skip("the cgroup2 mount offers no hugetlb controller here (none mounted, or hugetlb bound to v1)")
	}
	mg, err := New(Config{Path: testCgroupPath(t)})
	if err != nil {
		t.Fatal(err)
	}
	m := mg.(*manager)
	destroyAtCleanup(t, m)
	var limits []specs.LinuxHugepageLimit
	for _, s := range sizes {
		limits = append(limits, specs.LinuxHugepageLimit{Pagesize: s, Limit: 2 * pageBytes(t, s)})
	}
	if err := m.Create(&specs.LinuxResources{HugepageLimits: limits}); err != nil {
		t.Fatal(err)
	}
	dir := m.paths[UnifiedKey]
	for _, l := range limits {
		want := strconv.FormatUint(l.Limit, 10)
		wantFile(t, dir, "hugetlb."+l.Pagesize+".max", want)
		if exists(dir, "hugetlb."+l.Pagesize+".rsvd.max") {
			wantFile(t, dir, "hugetlb."+l.Pagesize+".rsvd.max", want)
		}
	}

	cmd := start(t, "sleep", "30")
	if err := m.Add(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	if got := hostDirOf(t, cmd.Process.Pid, ""); got != dir {
		t.Errorf("process in cgroup2 %s, want %s", got, dir)
	}

	// Live update, through the spec field and through a unified key.
	first := sizes[0]
	four := strconv.FormatUint(4*pageBytes(t, first), 10)
	if err := m.Set(&specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: first, Limit: 3 * pageBytes(t, first)}},
		Unified: map[string]string{"hugetlb." + first + ".max": four}}); err != nil {
		t.Fatal(err)
	}
	wantFile(t, dir, "hugetlb."+first+".max", four) // the unified key is written last
	s, err := m.Stats()
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range sizes {
		if _, ok := s.Hugetlb[size]; !ok {
			t.Errorf("Stats().Hugetlb = %v, want %s", s.Hugetlb, size)
		}
	}
	if m.mode == ModeHybrid {
		if _, v1 := m.paths["memory"]; v1 {
			err := m.Set(&specs.LinuxResources{Unified: map[string]string{"memory.high": "1"}})
			if !errors.Is(err, errdefs.ErrUnavailable) {
				t.Errorf("unified key of a v1-bound controller: %v, want ErrUnavailable", err)
			}
		}
	}
	if err := m.Set(&specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "3MB", Limit: 1}}}); !errors.Is(err, errdefs.ErrUnavailable) ||
		!strings.Contains(err.Error(), "hugetlb.3MB.max") {
		t.Errorf("a page size the host lacks: %v, want ErrUnavailable naming hugetlb.3MB.max", err)
	}
}
