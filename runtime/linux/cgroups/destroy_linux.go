package cgroups

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/berth-oci/berth/errdefs"
	"golang.org/x/sys/unix"
)

func (m *manager) Destroy() error {
	// The main directory holds every process of the container: when it
	// can be removed at once (the usual end, the processes gone), there is
	// nothing to kill, and its tree need not be walked for them.
	if main := m.mainDir(); main == "" || !removedIfEmpty(main) {
		if err := m.killAll(); err != nil {
			return err
		}
	}
	var errs []error
	for _, d := range m.dirs() {
		if err := removeTree(d); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("destroy cgroup: %w", err)
	}
	return nil
}

// removedIfEmpty removes dir if it is an empty leaf cgroup, and reports
// whether it is gone.
func removedIfEmpty(dir string) bool {
	err := unix.Rmdir(dir)
	return err == nil || errors.Is(err, unix.ENOENT)
}

// killAll sends SIGKILL until the cgroup is empty. A process killed while
// forking can leave a child behind, hence the loop; one stuck in the kernel
// (D state) keeps the cgroup busy, and after a while that is an error.
func (m *manager) killAll() error {
	var pids []int
	for wait := range backoff(100*time.Microsecond, 20*time.Millisecond, 10*time.Second) {
		var err error
		if pids, err = m.Pids(); err != nil || len(pids) == 0 {
			return err
		}
		if err := m.Signal(unix.SIGKILL); err != nil {
			return err
		}
		time.Sleep(wait)
	}
	return fmt.Errorf("destroy cgroup %s: processes %v survive SIGKILL: %w", m.mainDir(), pids, errdefs.ErrUnavailable)
}

// backoff yields waits that grow from lo to hi, for about total time.
func backoff(lo, hi, total time.Duration) func(func(time.Duration) bool) {
	return func(yield func(time.Duration) bool) {
		var spent time.Duration
		for w := lo; spent < total; spent += w {
			if !yield(w) {
				return
			}
			w = min(w*2, hi)
		}
	}
}

// removeTree removes dir and the cgroups below it, children first. rmdir of
// a cgroup whose last process has only just exited can fail with EBUSY for a
// moment, so that is retried briefly. The directory is listed only when a
// first rmdir fails: a leaf cgroup (the common case) goes at once, without
// the readdir of its control files.
func removeTree(dir string) error {
	err := unix.Rmdir(dir)
	if err == nil || errors.Is(err, unix.ENOENT) {
		return nil
	}
	if !errors.Is(err, unix.EBUSY) && !errors.Is(err, unix.ENOTEMPTY) {
		return fmt.Errorf("remove cgroup %s: %w", dir, err)
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return fmt.Errorf("remove cgroup %s: %w", dir, bareErr(err))
	}
	for _, e := range entries {
		if e.IsDir() {
			if err := removeTree(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	for wait := range backoff(time.Millisecond, 50*time.Millisecond, 2*time.Second) {
		err = unix.Rmdir(dir)
		if err == nil || errors.Is(err, unix.ENOENT) {
			return nil
		}
		if !errors.Is(err, unix.EBUSY) {
			break
		}
		time.Sleep(wait)
	}
	return fmt.Errorf("remove cgroup %s: %w", dir, err)
}
