package layer

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-oci/berth/internal/fixture"
	digest "github.com/opencontainers/go-digest"
	"golang.org/x/sys/unix"
)

// testLayer is one layer of the image written for umoci.
type testLayer struct {
	mediaType string
	blob      []byte
	diffID    digest.Digest
}

// writeLayout writes an OCI image layout holding one image tagged tag.
// It is deliberately tiny: the layout package is not this package's to use.
func writeLayout(t testing.TB, dir, tag string, layers []testLayer) {
	t.Helper()
	put := func(b []byte) map[string]any {
		d := digest.FromBytes(b)
		if err := os.MkdirAll(filepath.Join(dir, "blobs", "sha256"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "blobs", "sha256", d.Encoded()), b, 0o644); err != nil {
			t.Fatal(err)
		}
		return map[string]any{"digest": d, "size": len(b)}
	}
	js := func(v any) []byte {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var diffIDs []digest.Digest
	var descs []map[string]any
	for _, l := range layers {
		d := put(l.blob)
		d["mediaType"] = l.mediaType
		descs = append(descs, d)
		diffIDs = append(diffIDs, l.diffID)
	}
	config := put(js(map[string]any{
		"architecture": "amd64", "os": "linux", "config": map[string]any{},
		"rootfs": map[string]any{"type": "layers", "diff_ids": diffIDs},
	}))
	config["mediaType"] = "application/vnd.oci.image.config.v1+json"
	manifest := put(js(map[string]any{
		"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
		"config": config, "layers": descs,
	}))
	manifest["mediaType"] = "application/vnd.oci.image.manifest.v1+json"
	manifest["annotations"] = map[string]string{"org.opencontainers.image.ref.name": tag}
	os.WriteFile(filepath.Join(dir, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644)
	if err := os.WriteFile(filepath.Join(dir, "index.json"), js(map[string]any{"schemaVersion": 2, "manifests": []any{manifest}}), 0o644); err != nil {
		t.Fatal(err)
	}
}

// umociLayers builds three layers with whiteouts, opaque directories,
// hard links across layers, devices, capabilities, setuid bits, a sparse
// file and long names.
func umociLayers(t testing.TB) []testLayer {
	owned := func(uid, gid int, mode int64) func(*tar.Header) {
		return func(h *tar.Header) { h.Uid, h.Gid, h.Mode = uid, gid, mode }
	}
	long := strings.Repeat("very-long-directory-name/", 8)
	l1 := mkTar(t,
		dir("etc/"), reg("etc/passwd", "root:x:0:0::/root:/bin/sh\n"), reg("etc/passwd-", "old\n"),
		dir("bin/"), reg("bin/busybox", strings.Repeat("\x7fELF", 5000)).with(owned(0, 0, 0o755)),
		sym("bin/sh", "busybox"), hard("bin/ash", "bin/busybox"),
		dir("usr/"), dir("usr/bin/"),
		reg("usr/bin/ping", "ping").with(func(h *tar.Header) {
			h.Mode = 0o755
			h.PAXRecords = map[string]string{"SCHILY.xattr.security.capability": string(capNetRaw()), "SCHILY.xattr.user.comment": "pings"}
		}),
		reg("usr/bin/su", "su").with(owned(0, 0, 0o4755)),
		reg("usr/bin/wall", "wall").with(owned(0, 5, 0o2755)),
		dir("tmp/").with(owned(0, 0, 0o1777)),
		dir("home/"), dir("home/user/").with(owned(1000, 1000, 0o750)), reg("home/user/.profile", "x").with(owned(1000, 1000, 0o644)),
		dir("dev/"),
		ent{hdr: tar.Header{Typeflag: tar.TypeChar, Name: "dev/null", Mode: 0o666, Devmajor: 1, Devminor: 3, ModTime: testTime}},
		ent{hdr: tar.Header{Typeflag: tar.TypeBlock, Name: "dev/sda", Mode: 0o660, Gid: 6, Devmajor: 8, ModTime: testTime}},
		ent{hdr: tar.Header{Typeflag: tar.TypeFifo, Name: "dev/initctl", Mode: 0o600, ModTime: testTime}},
		dir("old/"), reg("old/a", "a"), dir("old/sub/"), reg("old/sub/b", "b"),
		dir("opq/"), reg("opq/lower", "l"), dir("opq/d/"), reg("opq/d/lower", "l"),
		reg("file-becomes-dir", "f"), dir("dir-becomes-file/"), reg("dir-becomes-file/x", "x"),
		dir(long), reg(long+strings.Repeat("f", 150), "pax long name"),
		reg("gnu-"+strings.Repeat("n", 120), "gnu long name").with(func(h *tar.Header) { h.Format = tar.FormatGNU }),
	)
	l2 := mkTar(t,
		wh(".wh.old"), wh("etc/.wh.passwd-"),
		dir("opq/"), reg("opq/new", "n"), wh("opq/.wh..wh..opq"),
		hard("usr/bin/ping6", "usr/bin/ping"), // across layers
		reg("etc/passwd", "root:x:0:0::/root:/bin/ash\n"),
		dir("file-becomes-dir/"), reg("file-becomes-dir/y", "y"),
		reg("dir-becomes-file", "now a file"),
	)
	sparseDir := t.TempDir()
	f, err := os.Create(sparseDir + "/sparse")
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte("start"), 0)
	f.WriteAt([]byte("end"), 20<<20)
	f.Close()
	os.Chtimes(sparseDir+"/sparse", testTime, testTime)
	l3, err := execOutput("tar", "--sparse", "--format=posix", "--numeric-owner", "--owner=0", "--group=0", "-C", sparseDir, "-cf", "-", "sparse")
	if err != nil {
		t.Fatal(err)
	}
	return []testLayer{
		{"application/vnd.oci.image.layer.v1.tar+gzip", compress(t, l1, Gzip), digest.FromBytes(l1)},
		{"application/vnd.oci.image.layer.v1.tar+gzip", compress(t, l2, Gzip), digest.FromBytes(l2)},
		{"application/vnd.oci.image.layer.v1.tar", l3, digest.FromBytes(l3)},
	}
}

func TestApplyMatchesUmoci(t *testing.T) {
	fixture.RequireRoot(t)
	umoci := fixture.RequireTool(t, "umoci")
	fixture.RequireTool(t, "tar")
	layers := umociLayers(t)
	tmp := t.TempDir()
	writeLayout(t, tmp+"/image", "test", layers)
	if out, err := exec.Command(umoci, "unpack", "--image", tmp+"/image:test", tmp+"/bundle").CombinedOutput(); err != nil {
		t.Fatalf("umoci unpack: %v\n%s", err, out)
	}
	ours := tmp + "/ours"
	if err := os.Mkdir(ours, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, l := range layers {
		_, err := Apply(context.Background(), ours, bytes.NewReader(l.blob), ApplyOptions{MediaType: l.mediaType, Digest: digest.FromBytes(l.blob), DiffID: l.diffID})
		if err != nil {
			t.Fatalf("apply layer %d: %v", i, err)
		}
	}
	theirs := tmp + "/bundle/rootfs"
	os.Chmod(theirs, 0o755) // the bundle's rootfs mode is umoci's choice, not the image's
	ignore := func(x string) bool { return strings.HasPrefix(x, "user.rootlesscontainers") }
	want := treeState(t, theirs, false, ignore)
	got := treeState(t, ours, false, ignore)
	compareTrees(t, "umoci", want, "berth", got)
	if len(got) < 30 {
		t.Errorf("only %d entries unpacked", len(got))
	}
	// What the comparison relies on being there at all.
	if st := statT(t, ours+"/usr/bin/ping6"); st.Nlink != 2 {
		t.Errorf("usr/bin/ping6 has %d links, want 2 (linked across layers)", st.Nlink)
	}
	if _, err := unix.Lgetxattr(ours+"/usr/bin/ping", "security.capability", make([]byte, 64)); err != nil {
		t.Errorf("security.capability: %v", err)
	}
	mustNotExist(t, ours+"/opq/lower")
	mustExist(t, ours+"/opq/new")
	if st := statT(t, ours+"/sparse"); st.Blocks*512 > 1<<20 {
		t.Errorf("sparse file allocates %d bytes", st.Blocks*512)
	}
}
