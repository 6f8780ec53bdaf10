package rootfs

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"
)

// newTestRoot opens a temporary directory as a root; resolution needs no
// privilege.
func newTestRoot(t *testing.T) (*root, string) {
	t.Helper()
	dir := t.TempDir()
	r, err := openRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r, dir
}

func mustSymlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

func TestCreateResolvesInsideTheRoot(t *testing.T) {
	r, dir := newTestRoot(t)
	canary, intact := hostCanary(t)
	mustSymlink(t, canary, filepath.Join(dir, "abs"))
	mustSymlink(t, strings.Repeat("../", 12)+canary[1:], filepath.Join(dir, "rel"))
	mustSymlink(t, "loop", filepath.Join(dir, "loop"))
	mustSymlink(t, "/nonexistent/deeper", filepath.Join(dir, "dangling"))
	if err := os.WriteFile(filepath.Join(dir, "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path, made string // made: where it must appear under dir
		kind       resolveKind
		err        error
	}{
		{"/abs/x/y", canary + "/x/y", kindDir, nil},
		{"/rel/z", canary + "/z", kindDir, nil},
		{"/rel/../../../f", "/f", kindFile, nil},
		{"/dangling", "/nonexistent/deeper", kindDir, nil},
		{"/a/b/c", "/a/b/c", kindFile, nil},
		{"/loop/x", "", kindDir, unix.ELOOP},
		{"/file/x", "", kindDir, unix.ENOTDIR},
	} {
		fd, err := r.target(tc.path, tc.kind, false)
		if tc.err != nil {
			if !errors.Is(err, tc.err) {
				t.Errorf("%s: err = %v, want %v", tc.path, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.path, err)
			continue
		}
		unix.Close(fd)
		fi, err := os.Lstat(filepath.Join(dir, tc.made))
		if err != nil {
			t.Errorf("%s: %v", tc.path, err)
			continue
		}
		if isDir := fi.IsDir(); isDir != (tc.kind == kindDir) {
			t.Errorf("%s: made %v, want kind %d", tc.path, fi.Mode(), tc.kind)
		}
	}
	intact()
}

func TestTargetRefusesTheRootAndSymlinkedProc(t *testing.T) {
	r, dir := newTestRoot(t)
	mustSymlink(t, "/", filepath.Join(dir, "dev"))
	mustSymlink(t, "/etc", filepath.Join(dir, "proc"))
	if err := os.Mkdir(filepath.Join(dir, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := r.target("/dev", kindDir, false); !errors.Is(err, errIsRoot) {
		t.Errorf("/dev -> /: err = %v", err)
	}
	if _, err := r.target("/proc", kindDir, true); !errors.Is(err, errNotRealDir) {
		t.Errorf("/proc -> /etc: err = %v", err)
	}
	fd, err := r.target("/proc", kindDir, false)
	if err != nil {
		t.Fatalf("a symlinked destination of another type is followed inside: %v", err)
	}
	unix.Close(fd)
}

// A component swapped between a directory and symlinks that lead out,
// while destinations under it are created, never makes anything outside.
func TestCreateRacingSymlinkSwaps(t *testing.T) {
	r, dir := newTestRoot(t)
	canary, intact := hostCanary(t)
	a, tmp := filepath.Join(dir, "a"), filepath.Join(dir, "a.tmp")
	links := []string{canary, strings.Repeat("../", 12) + canary[1:], "/"}
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; !stop.Load(); i++ {
			os.RemoveAll(tmp)
			if i%2 == 0 {
				os.Mkdir(tmp, 0o755)
			} else {
				os.Symlink(links[(i/2)%len(links)], tmp)
			}
			os.Rename(tmp, a) // fails on a non-empty directory; then try again
			if i%64 == 0 {
				os.RemoveAll(a)
			}
		}
	}()
	for i := 0; i < 3000; i++ {
		if fd, err := r.target("/a/x/y", kindDir, false); err == nil {
			unix.Close(fd)
		}
		if fd, err := r.target("/a/f", kindFile, false); err == nil {
			unix.Close(fd)
		}
	}
	stop.Store(true)
	wg.Wait()
	intact()
	if _, err := os.Lstat("/x"); err == nil {
		t.Error("a directory was made at the host's /x")
	}
}
