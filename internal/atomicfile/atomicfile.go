// Package atomicfile replaces files so that readers, and the file system
// after a crash, see either the old content or the new, never a mix or a
// truncated file. The new content goes to a temporary file in the same
// directory (rename is atomic only within one file system), is flushed with
// fsync, renamed over the target, and the directory is flushed so the
// rename itself survives a crash.
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// File is a replacement of one file being written. Nothing at the target
// path changes until Commit; Close without Commit removes the temporary
// file. A File is used by one goroutine at a time.
type File struct {
	target string
	perm   fs.FileMode
	f      *os.File
	done   bool
}

// New starts a replacement of path whose file will have mode perm exactly
// (the umask does not apply, so the mode does not depend on who wrote it).
// The temporary file is named ".<base>.tmp-<random>" in the same directory;
// a process killed before Commit leaves it there and the next writer does
// not reuse it.
func New(path string, perm fs.FileMode) (*File, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("replace %s: %w", path, err)
	}
	return &File{target: path, perm: perm, f: f}, nil
}

// Write appends p to the new content.
func (a *File) Write(p []byte) (int, error) {
	if a.done {
		return 0, fmt.Errorf("replace %s: write after commit or close: %w", a.target, fs.ErrClosed)
	}
	return a.f.Write(p)
}

// Commit makes the new content durable and puts it at the target path in
// one step. A nil error means the target holds the new content and will
// after a crash. A target that is a symbolic link is replaced, not written
// through. On error the target is unchanged and the temporary file removed.
func (a *File) Commit() (err error) {
	if a.done {
		return fmt.Errorf("replace %s: commit after commit or close: %w", a.target, fs.ErrClosed)
	}
	a.done = true
	tmp := a.f.Name()
	defer func() {
		if err != nil {
			err = errors.Join(err, removeQuiet(tmp))
		}
	}()
	if err := a.f.Chmod(a.perm); err != nil {
		return errors.Join(fmt.Errorf("replace %s: %w", a.target, err), a.f.Close())
	}
	if err := a.f.Sync(); err != nil {
		return errors.Join(fmt.Errorf("replace %s: %w", a.target, err), a.f.Close())
	}
	if err := a.f.Close(); err != nil {
		return fmt.Errorf("replace %s: %w", a.target, err)
	}
	if err := os.Rename(tmp, a.target); err != nil {
		return fmt.Errorf("replace %s: %w", a.target, err)
	}
	return SyncDir(filepath.Dir(a.target))
}

// Close discards the new content unless Commit was called; it is safe to
// call more than once and after Commit.
func (a *File) Close() error {
	if a.done {
		return nil
	}
	a.done = true
	return errors.Join(a.f.Close(), removeQuiet(a.f.Name()))
}

// WriteFile replaces path with data, as New, Write and Commit do.
func WriteFile(path string, data []byte, perm fs.FileMode) (err error) {
	a, err := New(path, perm)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, a.Close()) }()
	if _, err := a.Write(data); err != nil {
		return fmt.Errorf("replace %s: %w", path, err)
	}
	return a.Commit()
}

// SyncDir flushes the directory dir, making renames and new names in it
// durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync directory: %w", err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}

func removeQuiet(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
