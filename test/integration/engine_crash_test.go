package integration

import (
	"context"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/berth-oci/berth/internal/testimage"
	"github.com/berth-oci/berth/layout"
)

// bigLayout writes an image whose second layer is large enough (24 MB,
// incompressible) that pulling it takes a while to kill in the middle.
func bigLayout(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "big")
	l, err := layout.Create(dir)
	if err != nil {
		t.Fatal(err)
	}
	rnd := rand.New(rand.NewSource(1))
	files := []testimage.File{{Name: "big/", Mode: 0o755, Typeflag: '5'}, {Name: "big/marker", Body: []byte("big\n"), Mode: 0o644}}
	for i := range 3 {
		body := make([]byte, 8<<20)
		rnd.Read(body)
		files = append(files, testimage.File{Name: "big/blob" + string(rune('0'+i)), Body: body, Mode: 0o644})
	}
	d := writeTestImage(t, l.Store(), testImageSpec{files: files, config: engImages["busybox"].config, plain: true})
	if err := l.Tag(context.Background(), d, "big"); err != nil {
		t.Fatal(err)
	}
	return dir
}

// killWhen starts berth with args and kills it with SIGKILL as soon as a
// file matching glob appears. It fails the test if berth ended first.
func (s *engStore) killWhen(glob string, args ...string) {
	s.t.Helper()
	cmd := s.cmd(args...)
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		if m, _ := filepath.Glob(glob); len(m) > 0 {
			cmd.Process.Signal(syscall.SIGKILL)
			<-done
			return
		}
		select {
		case err := <-done:
			s.t.Fatalf("berth %s ended (%v) before %s appeared", strings.Join(args, " "), err, glob)
		case <-time.After(500 * time.Microsecond):
		}
	}
}

// checkRepairs runs system check (expecting problems), repairs, and checks
// again (expecting none).
func (s *engStore) checkRepairs(what string) {
	s.t.Helper()
	out, _, code := s.berth("system", "check")
	if code != 1 || strings.Contains(out, "no problems found") {
		s.t.Errorf("%s: system check found nothing (exit %d): %s", what, code, out)
	}
	s.ok("system", "check", "--repair")
	if out := s.ok("system", "check"); out != "no problems found\n" {
		s.t.Errorf("%s: after the repair: %s", what, out)
	}
}

// TestEngineCrashRecovery kills berth with SIGKILL in the middle of a pull
// (while a blob is written, and while a layer is unpacked) and of runs,
// and checks that no record points at missing data and that system check
// repairs what is left.
func TestEngineCrashRecovery(t *testing.T) {
	s, _ := withImages(t)
	dir := bigLayout(t)
	ref := "oci:" + dir + ":big"
	s.killWhen(filepath.Join(s.root, "content", "ingest", "*"), "pull", ref)
	if out := s.ok("images", "--format", "{{.Tag}}"); strings.Contains(out, "big") {
		t.Fatalf("a killed pull left an image record: %q", out)
	}
	s.checkRepairs("pull killed while writing a blob")
	s.killWhen(filepath.Join(s.root, "snapshots", ".tmp", "*"), "run", "--rm", ref, "true")
	if out := s.ok("images", "--format", "{{.Tag}}"); strings.Contains(out, "big") {
		t.Fatalf("a killed run left an image record: %q", out)
	}
	s.checkRepairs("run killed while unpacking a layer")
	if out := s.ok("run", "--rm", ref, "cat", "/big/marker"); out != "big\n" {
		t.Fatalf("run after the repairs: %q", out)
	}

	// A foreground run killed while its container runs: the container
	// outlives it, without anyone to record its end.
	victim := s.cmd("run", "--rm", "--name", "victim", imgBusybox, "sleep", "1000")
	if err := victim.Start(); err != nil {
		t.Fatal(err)
	}
	engWaitFor(t, "the container to run", func() bool {
		return s.ok("ps", "--format", "{{.Names}}") == "victim\n"
	})
	victim.Process.Signal(syscall.SIGKILL)
	victim.Wait()
	// A detached container whose monitor is killed.
	s.ok("run", "-d", "--name", "orphan", imgBusybox, "sleep", "1000")
	monitor := int(s.inspect("orphan")["State"].(map[string]any)["ConmonPid"].(float64))
	syscall.Kill(monitor, syscall.SIGKILL)
	engWaitFor(t, "the monitor to go", func() bool { return syscall.Kill(monitor, 0) != nil })
	s.checkRepairs("containers whose supervisors were killed")
	if out := s.ok("ps", "-a", "--format", "{{.Names}} {{.State}}"); out != "orphan exited\n" {
		t.Errorf("containers after the repair: %q", out)
	}
	s.ok("rm", "orphan")
	b, _ := os.ReadFile("/proc/self/mountinfo")
	if strings.Contains(string(b), s.root) {
		t.Errorf("mounts left under the store after the repair")
	}
}

// TestEngineSystemDfPrune: system df counts, system prune removes.
func TestEngineSystemDfPrune(t *testing.T) {
	s, _ := withImages(t)
	s.ok("run", "--name", "stopped", imgApp)
	out := s.ok("system", "df")
	if !strings.Contains(out, "Images") || !strings.Contains(out, "Containers") {
		t.Errorf("system df: %q", out)
	}
	var du struct{ Images, Containers map[string]float64 }
	if err := jsonUnmarshal(s.ok("system", "df", "--format", "json"), &du); err != nil {
		t.Fatal(err)
	}
	if du.Images["total"] != 2 || du.Images["active"] != 1 || du.Containers["total"] != 1 || du.Images["size"] <= 0 {
		t.Errorf("system df json: %v", du)
	}
	s.ok("system", "prune", "--all")
	if out := s.ok("ps", "-a", "-q") + s.ok("images", "-q"); out != "" {
		t.Errorf("left after system prune --all: %q", out)
	}
	if out := s.ok("system", "check"); out != "no problems found\n" {
		t.Errorf("system check after prune: %q", out)
	}
}
