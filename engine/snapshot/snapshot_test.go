package snapshot

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/berth-oci/berth/internal/fixture"
	"github.com/berth-oci/berth/internal/testimage"
	"github.com/berth-oci/berth/layer"
	digest "github.com/opencontainers/go-digest"
)

func TestChainIDs(t *testing.T) {
	a := digest.FromString("a")
	b := digest.FromString("b")
	got := ChainIDs([]digest.Digest{a, b})
	want := digest.FromString(a.String() + " " + b.String())
	if got[0] != a || got[1] != want {
		t.Fatalf("ChainIDs = %v, want [%s %s]", got, a, want)
	}
	if len(ChainIDs(nil)) != 0 {
		t.Fatal("ChainIDs(nil) is not empty")
	}
}

// applyFiles returns an apply function for Create that writes files as a
// layer in overlay form.
func applyFiles(t *testing.T, files []testimage.File) (func(string) error, digest.Digest) {
	t.Helper()
	tb, _, err := testimage.Layer(files)
	if err != nil {
		t.Fatal(err)
	}
	return func(dir string) error {
		_, err := layer.Apply(context.Background(), dir, bytes.NewReader(tb), layer.ApplyOptions{Format: layer.Overlay})
		return err
	}, digest.FromBytes(tb)
}

func TestCreateOnceAndRemove(t *testing.T) {
	ctx := context.Background()
	s, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	apply, diffID := applyFiles(t, []testimage.File{{Name: "a.txt", Body: []byte("a"), Mode: 0o644}})
	var mu sync.Mutex
	calls := 0
	counted := func(dir string) error {
		mu.Lock()
		calls++
		mu.Unlock()
		return apply(dir)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.Create(ctx, diffID, counted); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if calls != 1 {
		t.Fatalf("apply ran %d times, want 1", calls)
	}
	if data, err := os.ReadFile(filepath.Join(s.Path(diffID), "a.txt")); err != nil || string(data) != "a" {
		t.Fatalf("snapshot content: %q, %v", data, err)
	}
	list, err := s.List()
	if err != nil || len(list) != 1 || list[0] != diffID {
		t.Fatalf("List = %v, %v", list, err)
	}
	if err := s.Remove(diffID); err != nil {
		t.Fatal(err)
	}
	if s.Exists(diffID) {
		t.Fatal("snapshot still exists after Remove")
	}
	if temps, _ := s.Temps(); len(temps) != 0 {
		t.Fatalf("temporaries left: %v", temps)
	}
}

func TestCreateFailureLeavesNothing(t *testing.T) {
	s, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	d := digest.FromString("x")
	boom := errors.New("boom")
	_, err = s.Create(context.Background(), d, func(dir string) error {
		os.WriteFile(filepath.Join(dir, "half"), nil, 0o644)
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Create error = %v, want boom", err)
	}
	if s.Exists(d) {
		t.Fatal("a failed snapshot exists")
	}
	if temps, _ := s.Temps(); len(temps) != 0 {
		t.Fatalf("temporaries left: %v", temps)
	}
	if _, err := s.Create(context.Background(), "sha256:zz", nil); err == nil {
		t.Fatal("Create accepted a malformed chain ID")
	}
}

// TestMountOverlay stacks two snapshots, the upper one deleting a file of
// the lower, and checks the merged view through both mount paths.
func TestMountOverlay(t *testing.T) {
	fixture.RequireRoot(t)
	ctx := context.Background()
	s, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	apply0, d0 := applyFiles(t, []testimage.File{
		{Name: "keep.txt", Body: []byte("keep"), Mode: 0o644},
		{Name: "gone.txt", Body: []byte("gone"), Mode: 0o644},
	})
	apply1, d1 := applyFiles(t, []testimage.File{
		{Name: ".wh.gone.txt", Mode: 0o644},
		{Name: "new.txt", Body: []byte("new"), Mode: 0o644},
	})
	chain := ChainIDs([]digest.Digest{d0, d1})
	if _, err := s.Create(ctx, chain[0], apply0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(ctx, chain[1], apply1); err != nil {
		t.Fatal(err)
	}
	for name, mount := range map[string]func(target, upper, work string) error{
		"fsopen": func(target, upper, work string) error {
			lowers, _ := s.lowerDirs(chain)
			return mountNewAPI(target, lowers, upper, work, overlayOptions)
		},
		"mount": func(target, upper, work string) error {
			lowers, _ := s.lowerDirs(chain)
			return s.mountClassic(target, lowers, upper, work, overlayOptions)
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			target, upper, work := filepath.Join(dir, "m"), filepath.Join(dir, "u"), filepath.Join(dir, "w")
			for _, d := range []string{target, upper, work} {
				os.Mkdir(d, 0o755)
			}
			if err := mount(target, upper, work); err != nil {
				t.Fatal(err)
			}
			defer Unmount(target)
			if ok, err := IsMounted(target); !ok || err != nil {
				t.Fatalf("IsMounted = %v, %v", ok, err)
			}
			for f, want := range map[string]string{"keep.txt": "keep", "new.txt": "new"} {
				if data, err := os.ReadFile(filepath.Join(target, f)); err != nil || string(data) != want {
					t.Errorf("%s: %q, %v", f, data, err)
				}
			}
			if _, err := os.Stat(filepath.Join(target, "gone.txt")); !os.IsNotExist(err) {
				t.Errorf("gone.txt is visible: %v", err)
			}
			if err := os.WriteFile(filepath.Join(target, "w.txt"), []byte("w"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := Unmount(target); err != nil {
				t.Fatal(err)
			}
			if ok, _ := IsMounted(target); ok {
				t.Fatal("still mounted")
			}
			if _, err := os.Stat(filepath.Join(upper, "w.txt")); err != nil {
				t.Fatalf("write did not land in the upper directory: %v", err)
			}
		})
	}
}

// TestMountLongChain mounts more layers than one page of absolute paths
// holds, through both the new mount API and the relative fallback.
func TestMountLongChain(t *testing.T) {
	fixture.RequireRoot(t)
	ctx := context.Background()
	root := filepath.Join(t.TempDir(), "a-rather-long-directory-name-to-make-paths-longer")
	s, err := New(root)
	if err != nil {
		t.Fatal(err)
	}
	var diffIDs []digest.Digest
	var applies []func(string) error
	for i := range 60 {
		apply, d := applyFiles(t, []testimage.File{{Name: "f" + string(rune('a'+i%26)) + string(rune('a'+i/26)), Body: []byte{byte(i)}, Mode: 0o644, Typeflag: tar.TypeReg}})
		diffIDs = append(diffIDs, d)
		applies = append(applies, apply)
	}
	chain := ChainIDs(diffIDs)
	for i, c := range chain {
		if _, err := s.Create(ctx, c, applies[i]); err != nil {
			t.Fatal(err)
		}
	}
	lowers, _ := s.lowerDirs(chain)
	for name, mount := range map[string]func(target, upper, work string) error{
		"Mount": func(target, upper, work string) error { return s.Mount(target, chain, upper, work, true) },
		"classic": func(target, upper, work string) error {
			return s.mountClassic(target, lowers, upper, work, overlayOptions)
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			target, upper, work := filepath.Join(dir, "m"), filepath.Join(dir, "u"), filepath.Join(dir, "w")
			for _, d := range []string{target, upper, work} {
				os.Mkdir(d, 0o755)
			}
			if err := mount(target, upper, work); err != nil {
				t.Fatal(err)
			}
			defer Unmount(target)
			entries, err := os.ReadDir(target)
			if err != nil || len(entries) != 60 {
				t.Fatalf("merged view has %d entries (%v), want 60", len(entries), err)
			}
		})
	}
}

// TestMountVolatile: a volatile overlay leaves a mark that makes the
// kernel refuse to mount its upper directory again until it is removed.
func TestMountVolatile(t *testing.T) {
	fixture.RequireRoot(t)
	s, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	target, upper, work := filepath.Join(dir, "m"), filepath.Join(dir, "u"), filepath.Join(dir, "w")
	for _, d := range []string{target, upper, work} {
		os.Mkdir(d, 0o755)
	}
	if err := s.Mount(target, nil, upper, work, true); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(target, "f"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Unmount(target); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(work, "work", "incompat", "volatile")); err != nil {
		t.Fatalf("no volatile mark: %v", err)
	}
	if err := s.Mount(target, nil, upper, work, true); err == nil {
		Unmount(target)
		t.Fatal("the kernel mounted a volatile upper directory again with its mark")
	}
	os.RemoveAll(filepath.Join(work, "work", "incompat"))
	if err := s.Mount(target, nil, upper, work, true); err != nil {
		t.Fatalf("mount again without the mark: %v", err)
	}
	defer Unmount(target)
	if data, err := os.ReadFile(filepath.Join(target, "f")); err != nil || string(data) != "x" {
		t.Fatalf("the upper directory's file: %q, %v", data, err)
	}
}
