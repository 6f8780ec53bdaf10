package cgroups

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/berth-oci/berth/errdefs"
)

// hierarchy is one mounted cgroup hierarchy as the calling process sees it.
type hierarchy struct {
	mountpoint  string   // where it is mounted
	root        string   // the part of the hierarchy the mount shows (mountinfo field 4)
	own         string   // the caller's cgroup in it (/proc/self/cgroup)
	controllers []string // v1: what it holds ("cpu", "name=systemd"); v2: nil
}

// host is the cgroup layout: the v1 hierarchies and the cgroup2 one.
type host struct {
	v1 []hierarchy
	v2 *hierarchy
}

func (h *host) mode() (string, error) {
	switch {
	case len(h.v1) > 0 && h.v2 != nil:
		return ModeHybrid, nil
	case len(h.v1) > 0:
		return ModeV1, nil
	case h.v2 != nil:
		return ModeV2, nil
	}
	return "", fmt.Errorf("no cgroup hierarchy is mounted: %w", errdefs.ErrUnavailable)
}

// readHost discovers the hierarchies from procDir/mountinfo and procDir/cgroup
// (procDir is /proc/self unless a test says otherwise).
func readHost(procDir string) (*host, error) {
	if procDir == "" {
		procDir = "/proc/self"
	}
	own, err := readOwnCgroups(filepath.Join(procDir, "cgroup"))
	if err != nil {
		return nil, err
	}
	mounts, err := readCgroupMounts(filepath.Join(procDir, "mountinfo"))
	if err != nil {
		return nil, err
	}
	h := &host{}
	for _, c := range own {
		if c.controllers == "" {
			if m := pickMount(mounts, "cgroup2", nil); m != nil {
				h.v2 = &hierarchy{mountpoint: m.point, root: m.root, own: c.path}
			}
			continue
		}
		ctrls := strings.Split(c.controllers, ",")
		if m := pickMount(mounts, "cgroup", ctrls); m != nil {
			h.v1 = append(h.v1, hierarchy{mountpoint: m.point, root: m.root, own: c.path, controllers: ctrls})
		}
	}
	return h, nil
}

type ownCgroup struct{ controllers, path string }

// readOwnCgroups parses /proc/self/cgroup: "id:controllers:path" per line,
// with empty controllers for the cgroup2 hierarchy.
func readOwnCgroups(file string) ([]ownCgroup, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read own cgroups: %w", err)
	}
	var out []ownCgroup
	for n, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if line == "" {
			continue
		}
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			return nil, fmt.Errorf("parse %s line %d %q: want id:controllers:path: %w", file, n+1, line, errdefs.ErrInvalidArgument)
		}
		out = append(out, ownCgroup{controllers: parts[1], path: parts[2]})
	}
	return out, nil
}

type cgroupMount struct {
	point, root, fstype string
	options             []string // super options: controllers for v1
}

// readCgroupMounts returns the cgroup and cgroup2 entries of a mountinfo file.
func readCgroupMounts(file string) ([]cgroupMount, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("read mounts: %w", err)
	}
	defer f.Close()
	var out []cgroupMount
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		m, ok, err := parseMountinfoLine(sc.Text())
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", file, err)
		}
		if ok {
			out = append(out, m)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	return out, nil
}

// parseMountinfoLine reads "id parent maj:min root point opts [optional…] -
// fstype source superopts" and keeps cgroup filesystems only.
func parseMountinfoLine(line string) (cgroupMount, bool, error) {
	pre, post, found := strings.Cut(line, " - ")
	fields, tail := strings.Fields(pre), strings.Fields(post)
	if !found || len(fields) < 5 || len(tail) < 2 {
		return cgroupMount{}, false, fmt.Errorf("malformed mountinfo line %q: %w", line, errdefs.ErrInvalidArgument)
	}
	if tail[0] != "cgroup" && tail[0] != "cgroup2" {
		return cgroupMount{}, false, nil
	}
	m := cgroupMount{root: unescapeOctal(fields[3]), point: unescapeOctal(fields[4]), fstype: tail[0]}
	if len(tail) > 2 {
		m.options = strings.Split(tail[2], ",")
	}
	return m, true, nil
}

// unescapeOctal undoes mountinfo's \ooo escapes (space is \040).
func unescapeOctal(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// pickMount finds the mount of fstype holding every controller in ctrls,
// preferring one that shows the whole hierarchy.
func pickMount(mounts []cgroupMount, fstype string, ctrls []string) *cgroupMount {
	var best *cgroupMount
	for i := range mounts {
		m := &mounts[i]
		if m.fstype != fstype || !containsAll(m.options, ctrls) {
			continue
		}
		if best == nil || (best.root != "/" && m.root == "/") {
			best = m
		}
	}
	return best
}

func containsAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}
