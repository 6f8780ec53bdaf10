package layer

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-oci/berth/internal/fixture"
	digest "github.com/opencontainers/go-digest"
	"golang.org/x/sys/unix"
)

// copyTree copies src to dst preserving everything (cp -a keeps mtimes,
// owners, xattrs and hard links).
func copyTree(t testing.TB, src, dst string) {
	t.Helper()
	if out, err := exec.Command("cp", "-a", src, dst).CombinedOutput(); err != nil {
		t.Fatalf("cp -a: %v: %s", err, out)
	}
}

// baseTree is a tree with something of every kind, built by Apply.
func baseTree(t testing.TB) string {
	return applyAll(t, ApplyOptions{}, mkTar(t,
		dir("etc/"), reg("etc/conf", "a=1\n"), reg("etc/keep", "same"),
		dir("gone/"), reg("gone/x", "x"), reg("gone/y", "y"),
		dir("lib/"), reg("lib/a.so", "library"), hard("lib/a.so.1", "lib/a.so"),
		sym("lib64", "lib"), reg("file-to-dir", "f"), dir("dir-to-file/"), reg("dir-to-file/x", "x"),
		reg("bin/ping", "ping").with(func(h *tar.Header) {
			h.PAXRecords = map[string]string{"SCHILY.xattr.security.capability": string(capNetRaw())}
		}),
		reg("deleted", "d"),
	))
}

// mutate changes a copy of baseTree in every way Diff must see.
func mutate(t testing.TB, root string) {
	t.Helper()
	later := time.Now().Add(time.Hour)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(root+"/etc/conf", []byte("a=2\n"), 0o644))
	must(os.Remove(root + "/deleted"))
	must(os.RemoveAll(root + "/gone"))
	must(os.Mkdir(root+"/gone", 0o700))
	must(os.WriteFile(root+"/gone/new", []byte("n"), 0o600))
	must(os.Remove(root + "/file-to-dir"))
	must(os.Mkdir(root+"/file-to-dir", 0o755))
	must(os.RemoveAll(root + "/dir-to-file"))
	must(os.WriteFile(root+"/dir-to-file", []byte("now a file"), 0o644))
	must(os.Link(root+"/lib/a.so", root+"/lib/a.so.2")) // a new link to an unchanged file
	must(os.WriteFile(root+"/new-a", []byte("twin"), 0o644))
	must(os.Link(root+"/new-a", root+"/new-b"))
	must(os.Chmod(root+"/bin/ping", 0o4755))
	must(os.Chtimes(root+"/etc", later, later))
	must(unix.Mkfifo(root+"/fifo", 0o600))
	must(unix.Lsetxattr(root+"/etc/keep", "user.added", []byte("1"), 0))
}

func TestDiffRoundTrip(t *testing.T) {
	fixture.RequireRoot(t)
	base := baseTree(t)
	changed := filepath.Join(t.TempDir(), "changed")
	copyTree(t, base, changed)
	mutate(t, changed)

	for _, c := range []Compression{None, Gzip, Zstd} {
		t.Run(c.String(), func(t *testing.T) {
			var blob bytes.Buffer
			res, err := Diff(context.Background(), base, changed, &blob, DiffOptions{Compression: c})
			if err != nil {
				t.Fatal(err)
			}
			if res.Digest != digest.FromBytes(blob.Bytes()) || res.Size != int64(blob.Len()) {
				t.Errorf("result %+v does not describe the %d bytes written", res, blob.Len())
			}
			target := filepath.Join(t.TempDir(), "target")
			copyTree(t, base, target)
			ares, err := Apply(context.Background(), target, bytes.NewReader(blob.Bytes()), ApplyOptions{MediaType: res.MediaType, Digest: res.Digest, DiffID: res.DiffID})
			if err != nil {
				t.Fatalf("apply the diff: %v", err)
			}
			if ares.Size != res.UncompressedSize {
				t.Errorf("apply read %d bytes, diff wrote %d", ares.Size, res.UncompressedSize)
			}
			compareTrees(t, "changed", treeState(t, changed, true, nil), "base+diff", treeState(t, target, true, nil))

			var again bytes.Buffer
			res2, err := Diff(context.Background(), base, changed, &again, DiffOptions{Compression: c})
			if err != nil || res2 != res {
				t.Errorf("second diff %+v, %v; want the same digests %+v", res2, err, res)
			}
		})
	}
}

// TestDiffSameChangeSameDigest makes one change twice, on two separate
// copies, each built its own way (other inodes, other creation order), and
// wants the same layer from both.
func TestDiffSameChangeSameDigest(t *testing.T) {
	fixture.RequireRoot(t)
	base := baseTree(t)
	owned := func(h *tar.Header) { h.Uid, h.Gid = 5, 6 }
	change := []ent{
		dir("./"), dir("etc/"), reg("etc/conf", "a=3\n"), reg("etc/new", "n").with(owned),
		dir("lib/"), hard("lib/a.so.3", "lib/a.so"),
		dir("opt/"), dir("opt/app/"), reg("opt/app/bin", strings.Repeat("b", 70000)), hard("opt/app/bin2", "opt/app/bin"),
		sym("opt/app/current", "bin").with(func(h *tar.Header) { h.ModTime = testTime.Add(time.Second) }),
		wh(".wh.deleted"), wh("gone/.wh..wh..opq"), dir("gone/"),
	}
	// The same entries in another order: directories after their content
	// (their times are still set last), links after their targets.
	order := []int{11, 13, 12, 8, 10, 9, 7, 6, 3, 2, 1, 5, 4, 0}
	shuffled := make([]ent, len(order))
	for i, j := range order {
		shuffled[i] = change[j]
	}
	var results []DiffResult
	for _, entries := range [][]ent{change, shuffled} {
		changed := filepath.Join(t.TempDir(), "changed")
		copyTree(t, base, changed)
		if _, err := Apply(context.Background(), changed, bytes.NewReader(mkTar(t, entries...)), ApplyOptions{}); err != nil {
			t.Fatal(err)
		}
		res, err := Diff(context.Background(), base, changed, io.Discard, DiffOptions{Compression: Gzip})
		if err != nil {
			t.Fatal(err)
		}
		results = append(results, res)
	}
	if results[0] != results[1] {
		t.Errorf("the same change gave two layers:\n%+v\n%+v", results[0], results[1])
	}
	if results[0].Entries < 10 {
		t.Errorf("diff has %d entries, want the whole change", results[0].Entries)
	}
}

func TestDiffNoChange(t *testing.T) {
	fixture.RequireRoot(t)
	base := baseTree(t)
	same := filepath.Join(t.TempDir(), "same")
	copyTree(t, base, same)
	var blob bytes.Buffer
	res, err := Diff(context.Background(), base, same, &blob, DiffOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Entries != 0 || res.UncompressedSize != 1024 {
		t.Errorf("diff of identical trees: %d entries, %d bytes; want none, an empty tar", res.Entries, res.UncompressedSize)
	}
	os.WriteFile(same+"/etc/keep", []byte("edit"), 0o644)
	if res, err = Diff(context.Background(), base, same, io.Discard, DiffOptions{}); err != nil || res.Entries != 3 {
		t.Errorf("one file edited: %d entries, %v; want the file and the two directories above it", res.Entries, err)
	}
}

func TestDiffEntries(t *testing.T) {
	fixture.RequireRoot(t)
	base := baseTree(t)
	changed := filepath.Join(t.TempDir(), "changed")
	copyTree(t, base, changed)
	mutate(t, changed)
	var blob bytes.Buffer
	if _, err := Diff(context.Background(), base, changed, &blob, DiffOptions{}); err != nil {
		t.Fatal(err)
	}
	got := map[string]*tar.Header{}
	var order []string
	tr := tar.NewReader(&blob)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if got[h.Name] != nil {
			t.Errorf("%s written twice", h.Name)
		}
		got[h.Name] = h
		order = append(order, h.Name)
		if h.Uname != "" || h.Gname != "" || !h.AccessTime.IsZero() || !h.ChangeTime.IsZero() {
			t.Errorf("%s: header carries uname %q gname %q atime %v ctime %v", h.Name, h.Uname, h.Gname, h.AccessTime, h.ChangeTime)
		}
	}
	want := []string{".wh.deleted", "gone/.wh..wh..opq", "file-to-dir/.wh..wh..opq", "etc/conf", "etc/keep", "fifo", "new-a", "bin/ping", "dir-to-file"}
	for _, n := range want {
		if got[n] == nil {
			t.Errorf("no entry %s in %v", n, order)
		}
	}
	for _, n := range []string{"gone/.wh.x", "lib/a.so", "lib/a.so.1", "lib64", "etc/.wh.keep"} {
		if got[n] != nil {
			t.Errorf("unchanged or opaque-covered %s was written", n)
		}
	}
	if h := got["new-b"]; h == nil || h.Typeflag != tar.TypeLink || h.Linkname != "new-a" {
		t.Errorf("new-b: %+v, want a hard link to new-a", h)
	}
	if h := got["lib/a.so.2"]; h == nil || h.Typeflag != tar.TypeLink || h.Linkname != "lib/a.so" {
		t.Errorf("lib/a.so.2: %+v, want a hard link to the lower lib/a.so", h)
	}
	if strings.Index(strings.Join(order, " "), "gone/.wh..wh..opq") > strings.Index(strings.Join(order, " "), "gone/new") {
		t.Errorf("opaque marker after the directory's new content: %v", order)
	}
}

func TestDiffWholeTree(t *testing.T) {
	fixture.RequireRoot(t)
	src := baseTree(t)
	var blob bytes.Buffer
	res, err := Diff(context.Background(), "", src, &blob, DiffOptions{Compression: Gzip})
	if err != nil {
		t.Fatal(err)
	}
	dst := applyAll(t, ApplyOptions{DiffID: res.DiffID}, blob.Bytes())
	compareTrees(t, "source", treeState(t, src, true, nil), "unpacked", treeState(t, dst, true, nil))
}

func TestDiffOverlayUpper(t *testing.T) {
	fixture.RequireRoot(t)
	base := baseTree(t)
	dirs := t.TempDir()
	upper, work, merged := dirs+"/upper", dirs+"/work", dirs+"/merged"
	for _, d := range []string{upper, work, merged} {
		os.Mkdir(d, 0o755)
	}
	opts := "lowerdir=" + base + ",upperdir=" + upper + ",workdir=" + work + ",redirect_dir=off,metacopy=off,index=off"
	if err := unix.Mount("overlay", merged, "overlay", 0, opts); err != nil {
		fixture.Unmet(t, "overlayfs mount: "+err.Error())
	}
	mutate(t, merged)
	want := treeState(t, merged, true, nil)
	if err := unix.Unmount(merged, 0); err != nil {
		t.Fatal(err)
	}
	var blob bytes.Buffer
	res, err := Diff(context.Background(), "", upper, &blob, DiffOptions{Format: Overlay, Compression: Zstd})
	if err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(t.TempDir(), "target")
	copyTree(t, base, target)
	if _, err := Apply(context.Background(), target, bytes.NewReader(blob.Bytes()), ApplyOptions{DiffID: res.DiffID}); err != nil {
		t.Fatal(err)
	}
	// Overlayfs copies a hard-linked lower file up alone; the merged view
	// then reports its own inode numbers, so compare without link identity.
	unlink := func(m map[string]string) map[string]string {
		for k, v := range m {
			if i := strings.Index(v, " linked-to="); i >= 0 {
				m[k] = v[:i] + v[strings.Index(v[i+1:], " ")+i+1:]
			}
		}
		return m
	}
	compareTrees(t, "merged", unlink(want), "base+diff", unlink(treeState(t, target, true, nil)))
}
