package atomicfile

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func names(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

func TestWriteFileCreatesAndReplaces(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "index.json")
	for _, content := range []string{"first", "second, longer than the first", "3"} {
		if err := WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(p)
		if err != nil || string(got) != content {
			t.Fatalf("read back %q, %v; want %q", got, err, content)
		}
	}
	if n := names(t, dir); len(n) != 1 || n[0] != "index.json" {
		t.Errorf("directory holds %v, want only index.json", n)
	}
}

func TestModeIsExact(t *testing.T) {
	dir := t.TempDir()
	for _, perm := range []fs.FileMode{0o600, 0o644, 0o444, 0o755} {
		p := filepath.Join(dir, fmt.Sprintf("f%o", perm))
		if err := WriteFile(p, nil, perm); err != nil {
			t.Fatal(err)
		}
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != perm {
			t.Errorf("%s has mode %o, want %o", p, st.Mode().Perm(), perm)
		}
	}
}

func TestCloseWithoutCommitChangesNothing(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "state.json")
	if err := WriteFile(p, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := New(p, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("new and unfinished")); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(p); string(got) != "old" {
		t.Errorf("target changed before commit: %q", got)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if got, _ := os.ReadFile(p); string(got) != "old" {
		t.Errorf("target changed by Close: %q", got)
	}
	if n := names(t, dir); len(n) != 1 {
		t.Errorf("temporary file left behind: %v", n)
	}
	if _, err := f.Write([]byte("x")); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("Write after Close: %v, want ErrClosed", err)
	}
	if err := f.Commit(); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("Commit after Close: %v, want ErrClosed", err)
	}
}

// A process killed mid-write leaves its temporary file; the target keeps
// its old content and a later writer is not confused by the leftover.
func TestLeftoverOfKilledWriter(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "index.json")
	if err := WriteFile(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	dead, err := New(p, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dead.Write([]byte("half")); err != nil {
		t.Fatal(err)
	}
	// The process "dies": its descriptor goes, its file stays.
	if err := dead.f.Close(); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(p); string(got) != "old" {
		t.Fatalf("target is %q after a dead writer, want old", got)
	}
	if err := WriteFile(p, []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(p); string(got) != "new" {
		t.Errorf("target is %q, want new", got)
	}
}

func TestSymlinkTargetIsReplacedNotFollowed(t *testing.T) {
	dir := t.TempDir()
	outside := filepath.Join(dir, "outside")
	if err := os.WriteFile(outside, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "link")
	if err := os.Symlink(outside, p); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(p, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(outside); string(got) != "keep" {
		t.Errorf("write went through the symlink: outside is %q", got)
	}
	st, err := os.Lstat(p)
	if err != nil || !st.Mode().IsRegular() {
		t.Errorf("target is %v, %v; want a regular file", st, err)
	}
}

func TestMissingDirectoryFails(t *testing.T) {
	p := filepath.Join(t.TempDir(), "no", "such", "file")
	if err := WriteFile(p, []byte("x"), 0o600); err == nil {
		t.Fatal("WriteFile into a missing directory succeeded")
	}
}

// Concurrent replacements of one file each land whole; the last rename wins.
func TestConcurrentWritersLeaveOneWholeFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	var wg sync.WaitGroup
	contents := map[string]bool{}
	for i := range 16 {
		c := string(bytes.Repeat([]byte{byte('a' + i)}, 4096*(i+1)))
		contents[c] = true
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := WriteFile(p, []byte(c), 0o644); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	got, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !contents[string(got)] {
		t.Errorf("file holds a mix of writes (%d bytes)", len(got))
	}
	if n := names(t, dir); len(n) != 1 {
		t.Errorf("temporary files left: %v", n)
	}
}
