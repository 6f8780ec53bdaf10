package cgroups

import (
	"fmt"
	"maps"
	"path/filepath"
	"sync"

	"github.com/berth-oci/berth/errdefs"
)

// New picks the manager for this host's layout (v1, v2 or hybrid, read from
// mountinfo and the caller's /proc/self/cgroup) and the directories the
// container's cgroup has in each hierarchy. Nothing is created until Create.
func New(c Config) (Manager, error) {
	if c.Systemd {
		return nil, fmt.Errorf("systemd cgroup driver is not implemented; use cgroupfs: %w", errdefs.ErrNotImplemented)
	}
	inner, err := innerPath(c)
	if err != nil {
		return nil, err
	}
	r, ok := takePrefetched(c.ProcDir)
	if !ok {
		r.h, r.err = readHost(c.ProcDir)
	}
	h, err := r.h, r.err
	if err != nil {
		return nil, err
	}
	mode, err := h.mode()
	if err != nil {
		return nil, err
	}
	paths := make(map[string]string)
	for _, hy := range h.v1 {
		dir := dirIn(hy, inner, false)
		for _, ctrl := range hy.controllers {
			paths[ctrl] = dir
		}
	}
	if h.v2 != nil {
		paths[UnifiedKey] = dirIn(*h.v2, inner, true)
	}
	return newManager(Saved{Mode: mode, Paths: paths, Rootless: c.Rootless}), nil
}

// Prefetch starts reading the caller's cgroup layout (mountinfo and
// /proc/self/cgroup, ~0.4 ms) in the background; the next New without a
// ProcDir takes the result instead of reading it again. A runtime calls
// it first thing, so that the read overlaps parsing the config.
func Prefetch() {
	ch := make(chan hostResult, 1)
	prefetch.Lock()
	prefetch.ch = ch
	prefetch.Unlock()
	go func() {
		h, err := readHost("")
		ch <- hostResult{h, err}
	}()
}

type hostResult struct {
	h   *host
	err error
}

var prefetch struct {
	sync.Mutex
	ch chan hostResult
}

// takePrefetched returns the layout Prefetch read, once.
func takePrefetched(procDir string) (hostResult, bool) {
	if procDir != "" {
		return hostResult{}, false
	}
	prefetch.Lock()
	ch := prefetch.ch
	prefetch.ch = nil
	prefetch.Unlock()
	if ch == nil {
		return hostResult{}, false
	}
	return <-ch, true
}

// Load rebuilds the manager from what Saved returned, reading nothing from
// the host: the directories are where they were when the container was made.
func Load(s Saved) (Manager, error) {
	switch s.Mode {
	case ModeV1, ModeV2, ModeHybrid:
	default:
		return nil, fmt.Errorf("load cgroup state: unknown mode %q: %w", s.Mode, errdefs.ErrInvalidArgument)
	}
	// A rootless container may have been left in no cgroup at all.
	if len(s.Paths) == 0 && !s.Rootless {
		return nil, fmt.Errorf("load cgroup state: no paths: %w", errdefs.ErrInvalidArgument)
	}
	for k, p := range s.Paths {
		if !filepath.IsAbs(p) || filepath.Clean(p) != p {
			return nil, fmt.Errorf("load cgroup state: path %q for %s is not clean and absolute: %w", p, k, errdefs.ErrInvalidArgument)
		}
	}
	if _, ok := s.Paths[UnifiedKey]; s.Mode != ModeV1 && !ok && !s.Rootless {
		return nil, fmt.Errorf("load cgroup state: mode %s without a %s path: %w", s.Mode, UnifiedKey, errdefs.ErrInvalidArgument)
	}
	return newManager(s), nil
}

func newManager(s Saved) *manager {
	return &manager{mode: s.Mode, paths: maps.Clone(s.Paths), rootless: s.Rootless}
}
