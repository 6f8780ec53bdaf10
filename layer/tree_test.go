package layer

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// treeState describes every entry under root: type, mode, owner, size,
// content hash, link target, device numbers, xattrs (minus those ignore
// accepts), and the mtime of non-directories (and of directories too when
// dirTimes is set).
func treeState(t testing.TB, root string, dirTimes bool, ignore func(xattr string) bool) map[string]string {
	t.Helper()
	state := map[string]string{}
	inodes := map[uint64]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		st := fi.Sys().(*syscall.Stat_t)
		desc := fmt.Sprintf("%s %o %d:%d", fi.Mode().Type(), st.Mode&0o7777, st.Uid, st.Gid)
		switch {
		case fi.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			desc += fmt.Sprintf(" size=%d sha=%x", st.Size, sha256.Sum256(b))
			if st.Nlink > 1 {
				if first, ok := inodes[st.Ino]; ok {
					desc += " linked-to=" + first
				} else {
					inodes[st.Ino] = rel
				}
			}
		case fi.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			desc += " -> " + target
		case fi.Mode()&fs.ModeDevice != 0:
			desc += fmt.Sprintf(" dev=%d:%d", unix.Major(st.Rdev), unix.Minor(st.Rdev))
		}
		if !fi.IsDir() || dirTimes {
			desc += " mtime=" + fi.ModTime().UTC().String()
		}
		names, _ := listXattrs(func(b []byte) (int, error) { return unix.Llistxattr(p, b) })
		slices.Sort(names)
		for _, n := range names {
			if ignore != nil && ignore(n) {
				continue
			}
			buf := make([]byte, 4096)
			k, _ := unix.Lgetxattr(p, n, buf)
			desc += fmt.Sprintf(" %s=%x", n, buf[:max(k, 0)])
		}
		state[rel] = desc
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return state
}

// compareTrees reports every difference between two tree states.
func compareTrees(t testing.TB, wantName string, want map[string]string, gotName string, got map[string]string) {
	t.Helper()
	var diffs []string
	for p, w := range want {
		if g, ok := got[p]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s: only in %s: %s", p, wantName, w))
		} else if g != w {
			diffs = append(diffs, fmt.Sprintf("%s:\n\t%s: %s\n\t%s: %s", p, wantName, w, gotName, g))
		}
	}
	for p, g := range got {
		if _, ok := want[p]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s: only in %s: %s", p, gotName, g))
		}
	}
	slices.Sort(diffs)
	if len(diffs) > 0 {
		t.Errorf("%d differences:\n%s", len(diffs), strings.Join(diffs[:min(len(diffs), 40)], "\n"))
	}
}
