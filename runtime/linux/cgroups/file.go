package cgroups

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// writeFile writes value to dir/name with a single write(2): cgroupfs parses
// each write on its own, so a value must never be split. O_TRUNC means
// nothing to cgroupfs, but makes a plain file (a test's fake tree) hold the
// last value written.
func writeFile(dir, name, value string) error {
	p := filepath.Join(dir, name)
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_TRUNC|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("write %s %q: %w", p, value, bareErr(err))
	}
	_, werr := f.Write([]byte(value))
	cerr := f.Close()
	if werr != nil {
		return fmt.Errorf("write %s %q: %w", p, value, bareErr(werr))
	}
	if cerr != nil {
		return fmt.Errorf("write %s %q: close: %w", p, value, bareErr(cerr))
	}
	return nil
}

// bareErr drops the *PathError wrapper (our message names the path already)
// but keeps the errno, so errors.Is(err, unix.EBUSY) still works.
func bareErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// readFile returns dir/name without surrounding whitespace.
func readFile(dir, name string) (string, error) {
	p := filepath.Join(dir, name)
	data, err := os.ReadFile(p)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", p, bareErr(err))
	}
	return strings.TrimSpace(string(data)), nil
}

// readUint reads a file holding one number; "max" reads as the maximum.
func readUint(dir, name string) (uint64, error) {
	s, err := readFile(dir, name)
	if err != nil {
		return 0, err
	}
	if s == "max" {
		return maxUint, nil
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("parse %s: %w", filepath.Join(dir, name), err)
	}
	return v, nil
}

const maxUint = ^uint64(0)

func exists(dir, name string) bool {
	_, err := os.Stat(filepath.Join(dir, name))
	return err == nil
}

// writeIfSet writes a number when it is set (the pointer is not nil).
func writeIfSet[T int64 | uint64 | uint32 | uint16](dir, name string, v *T) error {
	if v == nil {
		return nil
	}
	return writeFile(dir, name, fmt.Sprint(*v))
}

// keyValues parses "key value" lines (memory.stat, cpu.stat, memory.events).
func keyValues(dir, name string) (map[string]uint64, error) {
	s, err := readFile(dir, name)
	if err != nil {
		return nil, err
	}
	out := make(map[string]uint64)
	for _, line := range strings.Split(s, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
		if err != nil {
			continue // a non-numeric field (newer kernels add some) is not ours to parse
		}
		out[k] = n
	}
	return out, nil
}

func parentDir(dir string) string { return filepath.Dir(dir) }

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// mkdirTracked is MkdirAll that reports which directories it made.
func mkdirTracked(dir string) ([]string, error) {
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil || d == filepath.Dir(d) {
			break
		}
		missing = append(missing, d)
	}
	var made []string
	for _, d := range slices.Backward(missing) {
		err := os.Mkdir(d, 0o755)
		if errors.Is(err, os.ErrExist) {
			continue // made by someone else meanwhile: not ours to remove
		}
		if err != nil {
			return made, fmt.Errorf("create cgroup %s: %w", d, bareErr(err))
		}
		made = append(made, d)
	}
	return made, nil
}

func removeMade(made []string) {
	for _, d := range slices.Backward(made) {
		_ = unix.Rmdir(d) // best effort: the error that got us here matters more
	}
}
