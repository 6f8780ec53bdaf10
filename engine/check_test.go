package engine

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/berth-oci/berth/internal/testimage"
)

func kinds(ps []Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Kind)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestCheckRepairs damages a store by hand in the ways crashes and
// careless hands do, and checks that Check names each damage and that a
// repair leaves nothing for the next Check.
func TestCheckRepairs(t *testing.T) {
	ctx := context.Background()
	e := openTest(t)
	dir := testLayout(t, map[string][]testimage.File{
		"a": {{Name: "a.txt", Body: []byte("a"), Mode: 0o644}},
		"b": {{Name: "b.txt", Body: []byte("b"), Mode: 0o644}},
	})
	a, err := e.Pull(ctx, "oci:"+dir+":a", PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.Pull(ctx, "oci:"+dir+":b", PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ps, err := e.Check(ctx, false); err != nil || len(ps) != 0 {
		t.Fatalf("a fresh store: %+v, %v", ps, err)
	}
	// Image a loses its top layer's blob; b's top snapshot directory goes;
	// a half-made snapshot, a stray blob and a container directory without
	// a record appear.
	p, _ := e.content.BlobPath(a[0].Manifest.Digest)
	os.Remove(p)
	os.RemoveAll(e.snaps.Path(b[0].ChainIDs[1]))
	os.MkdirAll(filepath.Join(e.snaps.Root(), ".tmp", "abc-123"), 0o755)
	put(t, e.content, "application/octet-stream", []byte("stray"))
	os.MkdirAll(e.ctrDir(newID()), 0o700)
	ps, err := e.Check(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"container-directory", "image-blobs", "leftovers", "snapshot-record", "snapshot-temporary"}
	if got := kinds(ps); !slices.Equal(got, want) {
		t.Fatalf("problems %v, want %v: %+v", got, want, ps)
	}
	ps, err = e.Check(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if !p.Repaired {
			t.Errorf("not repaired: %+v", p)
		}
	}
	if ps, err := e.Check(ctx, false); err != nil || len(ps) != 0 {
		t.Fatalf("after the repair: %+v, %v", ps, err)
	}
	imgs, _ := e.Images(ctx)
	if len(imgs) != 1 || imgs[0].ID != b[0].ID {
		t.Fatalf("images after the repair: %v (a lost a blob and goes, b stays)", imgs)
	}
	// b's snapshot comes back when a container needs it.
	c, err := e.Create(ctx, imgs[0], "b", CreateOptions{Command: []string{"true"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.mountRootfs(ctx, mustRecord(t, e, c.ID)); err != nil {
		t.Fatalf("mount with the snapshot restored: %v", err)
	}
	if _, err := os.Stat(filepath.Join(c.Dir, "rootfs", "b.txt")); err != nil {
		t.Errorf("b.txt in the restored snapshot: %v", err)
	}
	if err := e.Remove(ctx, c.ID, RemoveOptions{}); err != nil {
		t.Fatal(err)
	}
}

func mustRecord(t *testing.T, e *Engine, id string) *containerRecord {
	t.Helper()
	r, err := e.lookupRecord(id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
