package cgroups

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/berth-oci/berth/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// manager serves every mode: each resource goes to the v1 hierarchy of its
// controller when there is one, else to the cgroup2 directory when the
// controller is enabled there (set_linux.go). ModeV1 simply has no cgroup2
// directory and ModeV2 no v1 ones.
type manager struct {
	mode     string
	paths    map[string]string // v1 controller or UnifiedKey → directory
	rootless bool
}

func (m *manager) Saved() Saved {
	return Saved{Mode: m.mode, Paths: maps.Clone(m.paths), Rootless: m.rootless}
}

// dirs lists each directory once: the v1 ones sorted, the cgroup2 one last.
func (m *manager) dirs() []string {
	var v1 []string
	for k, d := range m.paths {
		if k != UnifiedKey && !slices.Contains(v1, d) {
			v1 = append(v1, d)
		}
	}
	slices.Sort(v1)
	if d, ok := m.paths[UnifiedKey]; ok {
		v1 = append(v1, d)
	}
	return v1
}

func (m *manager) Create(r *specs.LinuxResources) error {
	if err := validate(r); err != nil {
		return err
	}
	made, err := m.makeDirs()
	if err == nil {
		err = m.checkFit(made)
	}
	if err == nil {
		err = m.Set(r)
	}
	if err != nil {
		removeMade(made)
		return err
	}
	return nil
}

// checkFit refuses a cgroup that other processes already use, or that is
// frozen (the container would hang in it), as the spec allows for create:
// its limits are someone else's, and Destroy would kill what is there.
// One just made (in made) holds nothing yet: its tree is not walked. It
// may be frozen all the same, by its parent.
func (m *manager) checkFit(made []string) error {
	if !slices.Contains(made, m.mainDir()) {
		pids, err := m.Pids()
		if err != nil {
			return err
		}
		if len(pids) > 0 {
			return fmt.Errorf("create cgroup %s: already holds processes %v: %w", m.mainDir(), pids, errdefs.ErrFailedPrecondition)
		}
	}
	frozen, err := m.Paused()
	if err != nil {
		return err
	}
	if frozen {
		return fmt.Errorf("create cgroup %s: it is frozen (its parent, or a previous user, froze it): %w", m.mainDir(), errdefs.ErrFailedPrecondition)
	}
	return nil
}

// makeDirs creates the directory in every hierarchy and returns the ones it
// made, parents first, so that a failure can take them away again.
func (m *manager) makeDirs() ([]string, error) {
	var made []string
	for _, d := range m.dirs() {
		var (
			created []string
			err     error
		)
		if d == m.paths[UnifiedKey] {
			created, err = makeV2Dir(d)
		} else {
			created, err = mkdirTracked(d)
			if err == nil && d == m.paths["cpuset"] {
				err = initCpuset(d)
			}
		}
		made = append(made, created...)
		if err != nil && m.rootless && isPermission(err) {
			m.drop(d) // not delegated to us; Set fails if asked to use it
			continue
		}
		if err != nil {
			return made, err
		}
	}
	return made, nil
}

func isPermission(err error) bool {
	return errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM) || errors.Is(err, unix.EROFS)
}

// drop forgets a directory the rootless caller may not use.
func (m *manager) drop(dir string) {
	maps.DeleteFunc(m.paths, func(_, d string) bool { return d == dir })
}

func (m *manager) Add(pid int) error {
	if pid <= 0 {
		return fmt.Errorf("add pid %d to cgroup: %w", pid, errdefs.ErrInvalidArgument)
	}
	for _, d := range m.dirs() {
		err := writeFile(d, "cgroup.procs", strconv.Itoa(pid))
		if err != nil && !(m.rootless && isPermission(err)) {
			return fmt.Errorf("add pid %d to cgroup: %w", pid, err)
		}
	}
	return nil
}

func (m *manager) JoinFiles() []string {
	var out []string
	for _, d := range m.dirs() {
		out = append(out, filepath.Join(d, "cgroup.procs"))
	}
	return out
}

func (m *manager) DirFD() (int, error) {
	d, ok := m.paths[UnifiedKey]
	if m.mode != ModeV2 || !ok {
		return -1, fmt.Errorf("cgroup directory fd for CLONE_INTO_CGROUP: only on a cgroup v2 host (this one is %s): %w", m.mode, errdefs.ErrNotImplemented)
	}
	fd, err := unix.Open(d, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("open cgroup %s: %w", d, err)
	}
	return fd, nil
}

// mainDir is the directory whose tree lists the container's processes; on v1
// every hierarchy holds the same ones, and the freezer's is the one Signal
// freezes.
func (m *manager) mainDir() string {
	if m.mode == ModeV2 {
		return m.paths[UnifiedKey]
	}
	for _, c := range []string{"freezer", "pids", "memory", "cpu", "devices"} {
		if d, ok := m.paths[c]; ok {
			return d
		}
	}
	if ds := m.dirs(); len(ds) > 0 {
		return ds[0]
	}
	return ""
}

func (m *manager) Pids() ([]int, error) {
	root := m.mainDir()
	if root == "" && m.rootless {
		return nil, nil // none could be made or joined: nothing is in one
	}
	if root == "" {
		return nil, fmt.Errorf("list cgroup processes: no hierarchy: %w", errdefs.ErrUnavailable)
	}
	var pids []int
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil // a child cgroup went away while we walked
			}
			return err
		}
		if !d.IsDir() {
			return nil
		}
		s, err := readFile(p, "cgroup.procs")
		if errors.Is(err, os.ErrNotExist) {
			return nil
		} else if err != nil {
			return err
		}
		for _, f := range strings.Fields(s) {
			pid, err := strconv.Atoi(f)
			if err != nil {
				return fmt.Errorf("parse %s: %w", filepath.Join(p, "cgroup.procs"), err)
			}
			pids = append(pids, pid)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list cgroup processes: %w", err)
	}
	return pids, nil
}
