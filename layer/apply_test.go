package layer

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/internal/fixture"
	digest "github.com/opencontainers/go-digest"
	"golang.org/x/sys/unix"
)

func TestApplyEntryTypes(t *testing.T) {
	fixture.RequireRoot(t)
	l := mkTar(t,
		dir("etc/"),
		reg("etc/passwd", "root:x:0:0::/root:/bin/sh\n").with(func(h *tar.Header) { h.Uid, h.Gid, h.Mode = 0, 42, 0o640 }),
		reg("bin/su", "suid").with(func(h *tar.Header) { h.Uid, h.Mode = 1000, 0o4755 }),
		sym("bin/sh", "/bin/busybox").with(func(h *tar.Header) { h.Uid, h.Gid = 7, 8 }),
		hard("bin/su2", "bin/su"),
		ent{hdr: tar.Header{Typeflag: tar.TypeChar, Name: "dev/null", Mode: 0o666, Devmajor: 1, Devminor: 3, ModTime: testTime}},
		ent{hdr: tar.Header{Typeflag: tar.TypeBlock, Name: "dev/loop0", Mode: 0o660, Devmajor: 7, Devminor: 0, ModTime: testTime}},
		ent{hdr: tar.Header{Typeflag: tar.TypeFifo, Name: "run/fifo", Mode: 0o600, ModTime: testTime}},
		dir("tmp/").with(func(h *tar.Header) { h.Mode = 0o1777 }),
		reg("usr/bin/ping", "ping").with(func(h *tar.Header) {
			h.PAXRecords = map[string]string{"SCHILY.xattr.security.capability": string(capNetRaw()), "SCHILY.xattr.user.note": "hi"}
		}),
		reg(strings.Repeat("long/", 40)+"name-"+strings.Repeat("x", 200), "deep"),
	)
	root := applyAll(t, ApplyOptions{}, l)

	if got := readFile(t, root+"/etc/passwd"); !strings.HasPrefix(got, "root:x") {
		t.Errorf("etc/passwd = %q", got)
	}
	st := statT(t, root+"/etc/passwd")
	if st.Gid != 42 || st.Mode&0o7777 != 0o640 {
		t.Errorf("etc/passwd gid %d mode %o", st.Gid, st.Mode&0o7777)
	}
	if st := statT(t, root+"/bin/su"); st.Mode&0o7777 != 0o4755 || st.Uid != 1000 || st.Nlink != 2 {
		t.Errorf("bin/su mode %o uid %d nlink %d, want setuid 4755, 1000, 2 links", st.Mode&0o7777, st.Uid, st.Nlink)
	}
	if target, _ := os.Readlink(root + "/bin/sh"); target != "/bin/busybox" {
		t.Errorf("bin/sh -> %q", target)
	}
	if st := statT(t, root+"/bin/sh"); st.Uid != 7 || st.Gid != 8 {
		t.Errorf("symlink owner %d:%d, want 7:8", st.Uid, st.Gid)
	}
	if st := statT(t, root+"/dev/null"); st.Mode&unix.S_IFMT != unix.S_IFCHR || unix.Major(st.Rdev) != 1 || unix.Minor(st.Rdev) != 3 {
		t.Errorf("dev/null mode %o rdev %d:%d", st.Mode, unix.Major(st.Rdev), unix.Minor(st.Rdev))
	}
	if st := statT(t, root+"/dev/loop0"); st.Mode&unix.S_IFMT != unix.S_IFBLK {
		t.Errorf("dev/loop0 is not a block device")
	}
	if st := statT(t, root+"/run/fifo"); st.Mode&unix.S_IFMT != unix.S_IFIFO {
		t.Errorf("run/fifo is not a fifo")
	}
	if st := statT(t, root+"/tmp"); st.Mode&0o7777 != 0o1777 {
		t.Errorf("tmp mode %o, want sticky 1777", st.Mode&0o7777)
	}
	buf := make([]byte, 64)
	n, err := unix.Lgetxattr(root+"/usr/bin/ping", "security.capability", buf)
	if err != nil || !bytes.Equal(buf[:n], capNetRaw()) {
		t.Errorf("security.capability = %x, %v", buf[:max(n, 0)], err)
	}
	if fi := mustExist(t, root+"/etc/passwd"); !fi.ModTime().Equal(testTime) {
		t.Errorf("etc/passwd mtime %v, want %v", fi.ModTime(), testTime)
	}
	if fi := mustExist(t, root+"/etc"); !fi.ModTime().Equal(testTime) {
		t.Errorf("etc mtime %v: directory times must be set after their content", fi.ModTime())
	}
	mustExist(t, root+"/"+strings.Repeat("long/", 40)+"name-"+strings.Repeat("x", 200))
}

// TestApplyOwnerAndModeOnlyWhenNeeded covers what creating an entry gives
// on its own, which Apply keeps when it matches and fixes when it does
// not: the group of a setgid directory, the umask, setuid bits after a
// chown, a setgid bit a new directory inherits.
func TestApplyOwnerAndModeOnlyWhenNeeded(t *testing.T) {
	fixture.RequireRoot(t)
	old := unix.Umask(0o077)
	defer unix.Umask(old)
	l := mkTar(t,
		dir("sg/").with(func(h *tar.Header) { h.Mode, h.Gid = 0o2775, 42 }),
		reg("sg/root-group", "x"),
		reg("sg/own-group", "x").with(func(h *tar.Header) { h.Gid = 42 }),
		dir("sg/sub/"),
		dir("sg/private/").with(func(h *tar.Header) { h.Mode = 0o700 }),
		sym("sg/link", "root-group"),
		reg("open", "x").with(func(h *tar.Header) { h.Mode = 0o666 }),
		dir("opendir/").with(func(h *tar.Header) { h.Mode = 0o777 }),
		reg("suid", "x").with(func(h *tar.Header) { h.Mode, h.Uid, h.Gid = 0o6755, 1000, 1000 }),
		reg("suid-root", "x").with(func(h *tar.Header) { h.Mode = 0o4755 }),
		reg("suid-700", "x").with(func(h *tar.Header) { h.Mode, h.Uid = 0o4700, 1000 }),
		reg("sgid-700-root", "x").with(func(h *tar.Header) { h.Mode = 0o2700 }),
	)
	root := applyAll(t, ApplyOptions{}, l)
	want := map[string][3]uint32{ // mode, uid, gid
		"sg":            {0o2775, 0, 42},
		"sg/root-group": {0o644, 0, 0},
		"sg/own-group":  {0o644, 0, 42},
		"sg/sub":        {0o755, 0, 0},
		"open":          {0o666, 0, 0},
		"opendir":       {0o777, 0, 0},
		"suid":          {0o6755, 1000, 1000},
		"suid-root":     {0o4755, 0, 0},
		"suid-700":      {0o4700, 1000, 0},
		"sgid-700-root": {0o2700, 0, 0},
		"sg/private":    {0o700, 0, 0},
	}
	for p, w := range want {
		st := statT(t, filepath.Join(root, p))
		if got := [3]uint32{st.Mode & 0o7777, st.Uid, st.Gid}; got != w {
			t.Errorf("%s: mode %o owner %d:%d, want mode %o owner %d:%d", p, got[0], got[1], got[2], w[0], w[1], w[2])
		}
	}
	if st := statT(t, root+"/sg/link"); st.Gid != 0 {
		t.Errorf("sg/link group %d, want 0 (not the setgid directory's)", st.Gid)
	}
}

// capNetRaw is a v2 security.capability value granting cap_net_raw.
func capNetRaw() []byte {
	v := make([]byte, 20)
	v[0], v[3] = 1, 2 // effective flag, revision 2
	v[4+1] = 1 << 5   // permitted: cap_net_raw is bit 13
	return v
}

func statT(t testing.TB, p string) *syscall.Stat_t {
	t.Helper()
	return mustExist(t, p).Sys().(*syscall.Stat_t)
}

func TestApplyWhiteouts(t *testing.T) {
	fixture.RequireRoot(t)
	base := mkTar(t,
		reg("file1", "1"), dir("a/"), reg("a/file2", "2"), dir("b/"), reg("b/x", "x"), dir("c/"), reg("c/file3", "3"),
		dir("o/"), reg("o/lower", "l"), dir("o/sub/"), reg("o/sub/lower", "l"),
		dir("p/"), reg("p/lower", "l"),
	)
	top := mkTar(t,
		wh(".wh.file1"), wh("a/.wh.file2"), wh(".wh.b"), reg("file4", "4"),
		// opaque marker after this layer's own entries: they must stay
		dir("o/"), reg("o/new", "n"), dir("o/sub/"), reg("o/sub/new", "n"), wh("o/.wh..wh..opq"),
		// opaque marker first
		wh("p/.wh..wh..opq"), reg("p/new", "n"),
		// a whiteout of an entry of the same layer does not touch it
		reg("same", "s"), wh(".wh.same"),
		wh(".wh.never-existed"),
	)
	root := applyAll(t, ApplyOptions{}, base, top)
	for _, gone := range []string{"file1", "a/file2", "b", "o/lower", "o/sub/lower", "p/lower"} {
		mustNotExist(t, filepath.Join(root, gone))
	}
	for _, kept := range []string{"a", "c/file3", "file4", "o/new", "o/sub/new", "p/new", "same"} {
		mustExist(t, filepath.Join(root, kept))
	}
	for _, p := range []string{".wh.file1", "a/.wh.file2", ".wh.b", "o/.wh..wh..opq", "p/.wh..wh..opq"} {
		mustNotExist(t, filepath.Join(root, p))
	}
}

func TestApplyOverlayFormat(t *testing.T) {
	fixture.RequireRoot(t)
	l := mkTar(t, dir("a/"), wh("a/.wh.gone"), reg("a/x", "x"), dir("o/"), wh("o/.wh..wh..opq"), reg("o/y", "y"),
		dir("d/"), reg("d/z", "z"), wh(".wh.d"))
	root := applyAll(t, ApplyOptions{Format: Overlay}, l)
	if st := statT(t, root+"/a/gone"); st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != 0 {
		t.Errorf("a/gone mode %o rdev %d, want a 0/0 char device", st.Mode, st.Rdev)
	}
	for _, d := range []string{"o", "d"} {
		buf := make([]byte, 8)
		n, err := unix.Lgetxattr(filepath.Join(root, d), "trusted.overlay.opaque", buf)
		if err != nil || string(buf[:n]) != "y" {
			t.Errorf("%s: trusted.overlay.opaque = %q, %v; want y", d, buf[:max(n, 0)], err)
		}
	}
	mustExist(t, root+"/o/y")
	mustExist(t, root+"/d/z")
}

func TestApplyDuplicatesLaterWins(t *testing.T) {
	fixture.RequireRoot(t)
	l := mkTar(t,
		reg("f", "first"), reg("f", "second"),
		reg("x", "file"), dir("x/"), reg("x/inside", "i"), // dir replaces file
		dir("y/"), reg("y/inside", "i"), reg("y", "file now"), // file replaces dir
		sym("s", "f"), reg("s", "not a link"),
	)
	root := applyAll(t, ApplyOptions{}, l)
	if got := readFile(t, root+"/f"); got != "second" {
		t.Errorf("f = %q", got)
	}
	mustExist(t, root+"/x/inside")
	if got := readFile(t, root+"/y"); got != "file now" {
		t.Errorf("y = %q", got)
	}
	if fi := mustExist(t, root+"/s"); !fi.Mode().IsRegular() {
		t.Errorf("s is %v", fi.Mode())
	}
}

func TestApplyDirectoryOverDirectoryKeepsChildren(t *testing.T) {
	fixture.RequireRoot(t)
	base := mkTar(t, dir("d/").with(func(h *tar.Header) {
		h.PAXRecords = map[string]string{"SCHILY.xattr.user.old": "1"}
	}), reg("d/child", "c"))
	top := mkTar(t, dir("d/").with(func(h *tar.Header) { h.Mode, h.Uid = 0o700, 5 }))
	root := applyAll(t, ApplyOptions{}, base, top)
	mustExist(t, root+"/d/child")
	if st := statT(t, root+"/d"); st.Mode&0o777 != 0o700 || st.Uid != 5 {
		t.Errorf("d mode %o uid %d, want the new attributes", st.Mode&0o777, st.Uid)
	}
	if _, err := unix.Lgetxattr(root+"/d", "user.old", nil); err == nil {
		t.Errorf("d kept user.old: a directory entry's attributes replace the old ones")
	}
}

func TestApplyCompressionAndDigests(t *testing.T) {
	fixture.RequireRoot(t)
	raw := mkTar(t, dir("a/"), reg("a/b", strings.Repeat("content ", 1000)))
	diffID := digest.FromBytes(raw)
	for _, c := range []Compression{None, Gzip, Zstd} {
		t.Run(c.String(), func(t *testing.T) {
			blob := append(compress(t, raw, c), 0) // trailing byte: must be hashed too (tar and none only)
			if c != None {
				blob = blob[:len(blob)-1]
			}
			d := digest.FromBytes(blob)
			root := t.TempDir()
			res, err := Apply(context.Background(), root, bytes.NewReader(blob), ApplyOptions{MediaType: c.MediaType(), Digest: d, DiffID: digest.FromBytes(trimOrKeep(raw, blob, c))})
			if err != nil {
				t.Fatal(err)
			}
			if res.Digest != d || res.CompressedSize != int64(len(blob)) {
				t.Errorf("result %+v, want digest %s size %d", res, d, len(blob))
			}
			if c != None && res.DiffID != diffID {
				t.Errorf("diffID %s, want %s", res.DiffID, diffID)
			}
			mustExist(t, root+"/a/b")

			_, err = Apply(context.Background(), t.TempDir(), bytes.NewReader(blob), ApplyOptions{DiffID: digest.FromString("other")})
			if !errors.Is(err, errdefs.ErrDigestMismatch) || !strings.Contains(err.Error(), digest.FromString("other").String()) {
				t.Errorf("wrong diffID: %v, want a digest mismatch naming both", err)
			}
			_, err = Apply(context.Background(), t.TempDir(), bytes.NewReader(blob), ApplyOptions{Digest: digest.FromString("other")})
			if !errors.Is(err, errdefs.ErrDigestMismatch) || !strings.Contains(err.Error(), d.String()) {
				t.Errorf("wrong digest: %v, want a digest mismatch naming both", err)
			}
		})
	}
}

func trimOrKeep(raw, blob []byte, c Compression) []byte {
	if c == None {
		return blob
	}
	return raw
}

func TestApplyMediaTypeMismatchUsesMagic(t *testing.T) {
	fixture.RequireRoot(t)
	raw := mkTar(t, reg("f", "x"))
	for _, mt := range []string{"application/vnd.oci.image.layer.v1.tar+gzip", "application/vnd.docker.image.rootfs.diff.tar.gzip", ""} {
		if _, err := Apply(context.Background(), t.TempDir(), bytes.NewReader(raw), ApplyOptions{MediaType: mt}); err != nil {
			t.Errorf("uncompressed tar declared %q: %v", mt, err)
		}
	}
	_, err := Apply(context.Background(), t.TempDir(), bytes.NewReader(raw), ApplyOptions{MediaType: "application/vnd.oci.image.config.v1+json"})
	if !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("config media type: %v, want invalid argument", err)
	}
	_, err = Apply(context.Background(), t.TempDir(), strings.NewReader("definitely not a tar, not gzip either......"), ApplyOptions{MediaType: "application/vnd.oci.image.layer.v1.tar+gzip"})
	if !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("garbage declared gzip: %v, want invalid argument", err)
	}
}

func TestApplyIDMapping(t *testing.T) {
	fixture.RequireRoot(t)
	l := mkTar(t, reg("f", "x").with(func(h *tar.Header) { h.Uid, h.Gid = 1000, 1000 }), dir("d/"),
		reg("cap", "c").with(func(h *tar.Header) {
			h.PAXRecords = map[string]string{"SCHILY.xattr.security.capability": string(capNetRaw())}
		}))
	m := []IDMap{{ContainerID: 0, HostID: 100000, Size: 65536}}
	root := applyAll(t, ApplyOptions{UIDMap: m, GIDMap: m}, l)
	if st := statT(t, root+"/f"); st.Uid != 101000 || st.Gid != 101000 {
		t.Errorf("f owned by %d:%d, want 101000:101000", st.Uid, st.Gid)
	}
	if st := statT(t, root+"/d"); st.Uid != 100000 {
		t.Errorf("d owned by %d, want 100000", st.Uid)
	}
	buf := make([]byte, 64)
	n, err := unix.Lgetxattr(root+"/cap", "security.capability", buf)
	if err != nil || n != 24 || buf[3] != 3 {
		t.Errorf("capability %x, %v: want a v3 capability bound to the mapped root", buf[:max(n, 0)], err)
	}

	out := mkTar(t, reg("f", "x").with(func(h *tar.Header) { h.Uid = 70000 }))
	_, err = Apply(context.Background(), t.TempDir(), bytes.NewReader(out), ApplyOptions{UIDMap: m, GIDMap: m})
	if !errors.Is(err, errdefs.ErrInvalidArgument) || !strings.Contains(err.Error(), "70000") {
		t.Errorf("uid outside mapping: %v", err)
	}
}

func TestApplyRootless(t *testing.T) {
	var warnings []string
	l := mkTar(t,
		dir("ro/").with(func(h *tar.Header) { h.Mode = 0o555 }), reg("ro/f", "x"),
		ent{hdr: tar.Header{Typeflag: tar.TypeChar, Name: "dev/null", Mode: 0o666, Devmajor: 1, Devminor: 3}},
		reg("owned", "x").with(func(h *tar.Header) { h.Uid = 1234 }),
	)
	root := applyAll(t, ApplyOptions{Rootless: true, Warn: func(m string) { warnings = append(warnings, m) }}, l)
	mustExist(t, root+"/ro/f")
	mustNotExist(t, root+"/dev/null")
	if st := statT(t, root+"/ro"); st.Mode&0o777 != 0o555 {
		t.Errorf("ro mode %o, want 555 restored at the end", st.Mode&0o777)
	}
	if st := statT(t, root+"/owned"); int(st.Uid) != os.Geteuid() {
		t.Errorf("rootless chowned to %d", st.Uid)
	}
	if len(warnings) == 0 || !strings.Contains(strings.Join(warnings, "\n"), "dev/null") {
		t.Errorf("warnings %q, want one about dev/null", warnings)
	}
	os.Chmod(root+"/ro", 0o755) // let t.TempDir clean up as a non-root user
}

func TestApplySparse(t *testing.T) {
	fixture.RequireRoot(t)
	gnutar := fixture.RequireTool(t, "tar")
	src := t.TempDir()
	f, err := os.Create(src + "/sparse")
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte("head"), 0)
	f.WriteAt([]byte("middle"), 8<<20)
	f.Truncate(32 << 20)
	f.Close()
	for _, format := range []string{"gnu", "posix"} {
		out, err := execOutput(gnutar, "--sparse", "--format="+format, "-C", src, "-cf", "-", "sparse")
		if err != nil {
			t.Fatal(err)
		}
		root := applyAll(t, ApplyOptions{}, out)
		st := statT(t, root+"/sparse")
		if st.Size != 32<<20 || st.Blocks*512 > 1<<20 {
			t.Errorf("%s: size %d with %d bytes allocated, want 32 MiB mostly holes", format, st.Size, st.Blocks*512)
		}
		b := make([]byte, 6)
		g, _ := os.Open(root + "/sparse")
		g.ReadAt(b, 8<<20)
		g.Close()
		if string(b) != "middle" {
			t.Errorf("%s: content at 8 MiB %q", format, b)
		}
	}
}

func TestApplyCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Apply(ctx, t.TempDir(), bytes.NewReader(mkTar(t, reg("f", "x"))), ApplyOptions{Rootless: true})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled apply: %v", err)
	}
}

var _ = time.Now

// TestApplyDevicesWithoutCapMknod applies device nodes as root without
// CAP_MKNOD (as in many containers): they are skipped with a warning, and
// a fifo, which needs no privilege, is still made. Capabilities belong to
// a thread, so the test drops CAP_MKNOD on its own locked thread only and
// never unlocks it: the runtime ends the thread with the test.
func TestApplyDevicesWithoutCapMknod(t *testing.T) {
	fixture.RequireRoot(t)
	runtime.LockOSThread()
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var caps [2]unix.CapUserData
	if err := unix.Capget(&hdr, &caps[0]); err != nil {
		t.Fatal(err)
	}
	caps[0].Effective &^= 1 << unix.CAP_MKNOD
	if err := unix.Capset(&hdr, &caps[0]); err != nil {
		t.Fatal(err)
	}
	var warnings []string
	l := mkTar(t,
		ent{hdr: tar.Header{Typeflag: tar.TypeChar, Name: "dev/null", Mode: 0o666, Devmajor: 1, Devminor: 3, ModTime: testTime}},
		ent{hdr: tar.Header{Typeflag: tar.TypeBlock, Name: "dev/sda", Mode: 0o660, Devmajor: 8, ModTime: testTime}},
		ent{hdr: tar.Header{Typeflag: tar.TypeFifo, Name: "dev/fifo", Mode: 0o600, ModTime: testTime}},
	)
	root := t.TempDir()
	if _, err := Apply(context.Background(), root, bytes.NewReader(l), ApplyOptions{Warn: func(m string) { warnings = append(warnings, m) }}); err != nil {
		t.Fatal(err)
	}
	mustNotExist(t, root+"/dev/null")
	mustNotExist(t, root+"/dev/sda")
	if st := statT(t, root+"/dev/fifo"); st.Mode&unix.S_IFMT != unix.S_IFIFO {
		t.Errorf("dev/fifo mode %o, want a fifo", st.Mode)
	}
	if w := strings.Join(warnings, "\n"); !strings.Contains(w, "dev/null") || !strings.Contains(w, "dev/sda") {
		t.Errorf("warnings %q, want one for each device", warnings)
	}
}

// TestApplyOverlayLowerDirs applies three layers in overlay format, each
// into its own directory, the last one needing directories it does not
// carry: they copy what the layers below show, and the overlay mounted
// from the three shows the lower directories' attributes.
func TestApplyOverlayLowerDirs(t *testing.T) {
	fixture.RequireRoot(t)
	tmp := t.TempDir()
	l1, l2, l3 := tmp+"/l1", tmp+"/l2", tmp+"/l3"
	apply := func(dir string, lower []string, entries ...ent) {
		t.Helper()
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if _, err := Apply(context.Background(), dir, bytes.NewReader(mkTar(t, entries...)), ApplyOptions{Format: Overlay, LowerDirs: lower}); err != nil {
			t.Fatal(err)
		}
	}
	apply(l1, nil,
		dir("a/").with(func(h *tar.Header) {
			h.Mode, h.Uid, h.Gid = 0o750, 5, 6
			h.PAXRecords = map[string]string{"SCHILY.xattr.user.x": "1"}
		}),
		dir("a/b/").with(func(h *tar.Header) { h.Mode = 0o711 }), reg("a/b/gone", "g"),
		dir("o/"), dir("o/c/").with(func(h *tar.Header) { h.Mode = 0o700 }))
	apply(l2, []string{l1}, dir("o/"), wh("o/.wh..wh..opq"), reg("x", "x"))
	apply(l3, []string{l2, l1}, wh("a/b/.wh.gone"), reg("o/c/new", "n"), reg("fresh/f", "f"))

	want := map[string][3]uint32{ // mode, uid, gid
		"a":     {0o750, 5, 6},
		"a/b":   {0o711, 0, 0},
		"o":     {0o755, 0, 0},
		"o/c":   {0o755, 0, 0}, // hidden below by the opaque o of l2: a new directory
		"fresh": {0o755, 0, 0},
	}
	for p, w := range want {
		st := statT(t, filepath.Join(l3, p))
		if got := [3]uint32{st.Mode & 0o7777, st.Uid, st.Gid}; got != w {
			t.Errorf("l3/%s: mode %o owner %d:%d, want mode %o owner %d:%d", p, got[0], got[1], got[2], w[0], w[1], w[2])
		}
	}
	if fi := mustExist(t, l3+"/a"); !fi.ModTime().Equal(testTime) {
		t.Errorf("l3/a mtime %v, want the lower one %v", fi.ModTime(), testTime)
	}
	buf := make([]byte, 8)
	if n, err := unix.Lgetxattr(l3+"/a", "user.x", buf); err != nil || string(buf[:n]) != "1" {
		t.Errorf("l3/a user.x = %q, %v; want the lower directory's", buf[:max(n, 0)], err)
	}

	merged := tmp + "/merged"
	os.Mkdir(merged, 0o755)
	if err := unix.Mount("overlay", merged, "overlay", unix.MS_RDONLY, "lowerdir="+l3+":"+l2+":"+l1); err != nil {
		fixture.Unmet(t, "overlayfs mount: "+err.Error())
	}
	defer unix.Unmount(merged, 0)
	if st := statT(t, merged+"/a"); st.Mode&0o7777 != 0o750 || st.Uid != 5 {
		t.Errorf("merged a: mode %o uid %d, want the image's 750 and 5", st.Mode&0o7777, st.Uid)
	}
	mustNotExist(t, merged+"/a/b/gone")
	mustExist(t, merged+"/o/c/new")
	mustExist(t, merged+"/x")
}

// TestApplyOverlayLowerDirsFunc gives the lower layers only on demand: a
// layer that carries every directory it needs never asks, one that does
// not asks once and gets what the lower layers show, and an error from
// the function fails the apply.
func TestApplyOverlayLowerDirsFunc(t *testing.T) {
	fixture.RequireRoot(t)
	tmp := t.TempDir()
	l1, l2, l3, l4 := tmp+"/l1", tmp+"/l2", tmp+"/l3", tmp+"/l4"
	calls := 0
	apply := func(dir string, lower func() ([]string, error), entries ...ent) error {
		t.Helper()
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		_, err := Apply(context.Background(), dir, bytes.NewReader(mkTar(t, entries...)), ApplyOptions{Format: Overlay, LowerDirsFunc: lower})
		return err
	}
	counted := func(dirs ...string) func() ([]string, error) {
		return func() ([]string, error) { calls++; return dirs, nil }
	}
	if err := apply(l1, nil, dir("a/").with(func(h *tar.Header) { h.Mode, h.Uid, h.Gid = 0o750, 5, 6 })); err != nil {
		t.Fatal(err)
	}
	if err := apply(l2, counted(l1), dir("a/"), reg("a/x", "x")); err != nil || calls != 0 {
		t.Fatalf("a layer carrying its directories: err %v, %d calls for lower layers", err, calls)
	}
	if err := apply(l3, counted(l2, l1), reg("a/y", "y"), reg("a/z", "z")); err != nil || calls != 1 {
		t.Fatalf("a layer needing a directory: err %v, %d calls for lower layers, want 1", err, calls)
	}
	if st := statT(t, l3+"/a"); st.Mode&0o7777 != 0o755 || st.Uid != 0 {
		// l2's a (0755 root) is the nearest: it is what the merged view shows.
		t.Errorf("l3/a: mode %o uid %d, want l2's 755 and 0", st.Mode&0o7777, st.Uid)
	}
	failing := func() ([]string, error) { return nil, errors.New("layer below failed") }
	if err := apply(l4, failing, reg("b/y", "y")); err == nil || !strings.Contains(err.Error(), "layer below failed") {
		t.Fatalf("apply with failing lower layers: %v", err)
	}
}
