package layer

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/berth-oci/berth/errdefs"
)

// sandbox is a directory holding a canary file and a target root two
// levels down, so that "../../canary" from the root names the canary.
type sandbox struct {
	base, root, canary string
	before             map[string]string
}

func newSandbox(t testing.TB) *sandbox {
	t.Helper()
	base := t.TempDir()
	s := &sandbox{base: base, root: filepath.Join(base, "x", "root"), canary: filepath.Join(base, "canary")}
	for _, d := range []string{s.root, filepath.Join(base, "outside")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{s.canary, filepath.Join(base, "outside", "canary")} {
		if err := os.WriteFile(f, []byte("canary"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s.before = s.outsideState(t)
	return s
}

// outsideState describes every file of the sandbox that is not under root.
func (s *sandbox) outsideState(t testing.TB) map[string]string {
	t.Helper()
	state := map[string]string{}
	filepath.WalkDir(s.base, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Fatalf("walk %s: %v", p, err)
		}
		if p == s.root {
			return filepath.SkipDir
		}
		fi, err := d.Info()
		if err != nil {
			t.Fatal(err)
		}
		desc := fi.Mode().String()
		if fi.Mode().IsRegular() {
			b, _ := os.ReadFile(p)
			desc += " " + string(b) + " " + fi.ModTime().String()
			desc += fmt.Sprintf(" links %d", fi.Sys().(*syscall.Stat_t).Nlink)
		}
		state[p] = desc
		return nil
	})
	return state
}

// check fails the test if anything outside the root changed.
func (s *sandbox) check(t testing.TB) {
	t.Helper()
	after := s.outsideState(t)
	for p, d := range after {
		if s.before[p] != d {
			t.Errorf("outside the root, %s changed: %q -> %q", p, s.before[p], d)
		}
	}
	for p := range s.before {
		if _, ok := after[p]; !ok {
			t.Errorf("outside the root, %s disappeared", p)
		}
	}
}

type hostileCase struct {
	name     string
	layers   func(s *sandbox) [][]byte
	opts     ApplyOptions
	wantErr  bool                           // the layer must be refused
	contains func(t testing.TB, s *sandbox) // for a contained case: what must be true in root
}

func hostileCases(t testing.TB) []hostileCase {
	one := func(entries ...ent) func(*sandbox) [][]byte {
		return func(*sandbox) [][]byte { return [][]byte{mkTar(t, entries...)} }
	}
	inRoot := func(rel string) func(testing.TB, *sandbox) {
		return func(t testing.TB, s *sandbox) { mustExist(t, filepath.Join(s.root, rel)) }
	}
	bomb := mkTar(t, reg("zeros", strings.Repeat("\x00", 16<<20)))
	sparseBomb := sparseBombTar(t)
	return []hostileCase{
		{name: "dotdot traversal", layers: one(reg("../../canary", "pwned")), wantErr: true},
		{name: "dotdot inside a path", layers: one(reg("a/../../../canary", "pwned")), wantErr: true},
		{name: "absolute path lands in root", layers: one(reg("/etc/x", "x")), contains: inRoot("etc/x")},
		{name: "write through absolute symlink", layers: func(s *sandbox) [][]byte {
			return [][]byte{mkTar(t, sym("a", filepath.Join(s.base, "outside")), reg("a/canary", "pwned"), reg("a/new", "pwned"))}
		}, contains: func(t testing.TB, s *sandbox) { mustExist(t, filepath.Join(s.root, s.base, "outside", "new")) }},
		{name: "write through relative symlink", layers: one(sym("a", "../../"), reg("a/canary", "pwned")), contains: inRoot("canary")},
		{name: "write through symlink in a later layer", layers: func(s *sandbox) [][]byte {
			return [][]byte{mkTar(t, sym("a", "../../..")), mkTar(t, reg("a/canary", "pwned"))}
		}, contains: inRoot("canary")},
		{name: "final symlink replaced, not followed", layers: func(s *sandbox) [][]byte {
			return [][]byte{mkTar(t, sym("s", s.canary), reg("s", "pwned"))}
		}, contains: inRoot("s")},
		{name: "hardlink to outside relative", layers: one(hard("link", "../../canary")), wantErr: true},
		{name: "hardlink to absolute host path", layers: func(s *sandbox) [][]byte {
			return [][]byte{mkTar(t, hard("link", s.canary))}
		}, wantErr: true},
		{name: "hardlink through escaping symlink", layers: one(sym("a", "../.."), hard("h", "a/canary")), wantErr: true},
		{name: "write through a hard link replaces it", layers: one(reg("etc/shadow", "secret"), hard("h", "etc/shadow"), reg("h", "pwned")),
			contains: func(t testing.TB, s *sandbox) {
				if got := readFile(t, filepath.Join(s.root, "etc/shadow")); got != "secret" {
					t.Errorf("etc/shadow = %q: the later entry wrote through the link", got)
				}
			}},
		{name: "hardlink to a symlink out links the symlink", layers: func(s *sandbox) [][]byte {
			return [][]byte{mkTar(t, sym("s", s.canary), hard("h", "s"), reg("h2", "x"))}
		}, contains: func(t testing.TB, s *sandbox) {
			if fi := mustExist(t, filepath.Join(s.root, "h")); fi.Mode()&fs.ModeSymlink == 0 {
				t.Errorf("h is %v, want the symlink itself", fi.Mode())
			}
		}},
		{name: "hardlink to directory", layers: one(dir("d/"), hard("h", "d")), wantErr: true},
		{name: "hardlink to root", layers: one(hard("h", "/")), wantErr: true},
		{name: "whiteout of dotdot", layers: one(wh(".wh...")), wantErr: true},
		{name: "whiteout of dot", layers: one(wh("a/.wh..")), wantErr: true},
		{name: "empty whiteout", layers: one(wh("a/.wh.")), wantErr: true},
		{name: "whiteout escaping", layers: one(wh("a/../../.wh.canary")), wantErr: true},
		{name: "whiteout through symlink", layers: func(s *sandbox) [][]byte {
			return [][]byte{mkTar(t, sym("a", s.base), sym("b", "../../.."), reg("canary", "in root")), mkTar(t, wh("a/.wh.canary"), wh("b/.wh.outside"))}
		}, contains: func(t testing.TB, s *sandbox) {}},
		{name: "opaque through symlink", layers: func(s *sandbox) [][]byte {
			return [][]byte{mkTar(t, sym("a", s.base)), mkTar(t, wh("a/.wh..wh..opq"))}
		}, contains: func(t testing.TB, s *sandbox) {}},
		{name: "parent swapped for symlink", layers: func(s *sandbox) [][]byte {
			return [][]byte{mkTar(t, dir("d/"), sym("d", filepath.Join(s.base, "outside")), reg("d/x", "pwned"), reg("d/canary", "pwned"))}
		}, contains: func(t testing.TB, s *sandbox) { mustExist(t, filepath.Join(s.root, s.base, "outside", "x")) }},
		{name: "parent is symlink to a file outside", layers: func(s *sandbox) [][]byte {
			return [][]byte{mkTar(t, sym("a", s.canary), reg("a/b", "pwned"))}
		}, contains: func(t testing.TB, s *sandbox) {}},
		{name: "symlink loop", layers: one(sym("a", "b"), sym("b", "a"), reg("a/x", "x")), wantErr: true},
		{name: "root replaced by a file", layers: one(reg(".", "x")), wantErr: true},
		{name: "root replaced by a symlink", layers: one(sym("/", "/etc")), wantErr: true},
		{name: "gzip bomb", layers: func(*sandbox) [][]byte { return [][]byte{compress(t, bomb, Gzip)} }, opts: ApplyOptions{MaxSize: 1 << 20}, wantErr: true},
		{name: "zstd bomb", layers: func(*sandbox) [][]byte { return [][]byte{compress(t, bomb, Zstd)} }, opts: ApplyOptions{MaxSize: 1 << 20}, wantErr: true},
		{name: "sparse bomb", layers: func(*sandbox) [][]byte { return [][]byte{sparseBomb} }, opts: ApplyOptions{MaxSize: 1 << 30}, wantErr: true},
		{name: "duplicates later wins", layers: one(reg("f", "1"), dir("f/"), reg("f/x", "x"), reg("f", "2"), dir("g/"), reg("g", "file"), dir("g/")),
			contains: func(t testing.TB, s *sandbox) {
				if got := readFile(t, filepath.Join(s.root, "f")); got != "2" {
					t.Errorf("f = %q", got)
				}
				if fi := mustExist(t, filepath.Join(s.root, "g")); !fi.IsDir() {
					t.Errorf("g is not a directory")
				}
			}},
		{name: "devices when not allowed", opts: ApplyOptions{Rootless: true},
			layers:   one(ent{hdr: tar.Header{Typeflag: tar.TypeBlock, Name: "dev/sda", Mode: 0o660, Devmajor: 8}}),
			contains: func(t testing.TB, s *sandbox) { mustNotExist(t, filepath.Join(s.root, "dev/sda")) }},
		{name: "overlay xattr from the tar is refused", layers: one(dir("d/").with(func(h *tar.Header) {
			h.PAXRecords = map[string]string{"SCHILY.xattr.trusted.overlay.redirect": "/etc"}
		})), contains: func(t testing.TB, s *sandbox) {
			if names, _ := listXattrs(func(b []byte) (int, error) { return llistxattr(filepath.Join(s.root, "d"), b) }); len(names) != 0 {
				t.Errorf("d has xattrs %v", names)
			}
		}},
	}
}

func TestHostileLayers(t *testing.T) {
	for _, walk := range []bool{false, true} {
		for _, c := range hostileCases(t) {
			name := c.name
			if walk {
				name += " (walk)"
			}
			t.Run(name, func(t *testing.T) {
				if os.Geteuid() != 0 && !c.opts.Rootless {
					c.opts.Rootless = true
				}
				walkOnly = walk
				defer func() { walkOnly = false }()
				s := newSandbox(t)
				var err error
				for _, l := range c.layers(s) {
					if _, err = Apply(context.Background(), s.root, bytes.NewReader(l), c.opts); err != nil {
						break
					}
				}
				s.check(t)
				switch {
				case c.wantErr && err == nil:
					t.Fatalf("hostile layer applied without error")
				case c.wantErr && !errdefs.IsInvalidArgument(err):
					t.Errorf("error %v is not an invalid argument", err)
				case !c.wantErr && err != nil:
					t.Fatalf("apply: %v", err)
				case !c.wantErr:
					c.contains(t, s)
				}
				if err != nil {
					t.Logf("refused: %v", err)
				}
			})
		}
	}
}

// sparseBombTar is a tar of about 10 KiB holding a sparse file of 1 TiB,
// made by GNU tar.
func sparseBombTar(t testing.TB) []byte {
	t.Helper()
	dir := t.TempDir()
	f, err := os.Create(dir + "/bomb")
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte("x"), 1<<20)
	if err := f.Truncate(1 << 40); err != nil {
		t.Fatal(err)
	}
	f.Close()
	out, err := execOutput("tar", "--sparse", "--format=posix", "-C", dir, "-cf", "-", "bomb")
	if err != nil {
		t.Fatal(err)
	}
	return out
}
