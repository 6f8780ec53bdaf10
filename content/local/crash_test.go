package local

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/berth-oci/berth/content"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// The crash test runs a writer in a child process (this test binary,
// re-executed) and kills it mid-write with SIGKILL, as the OOM killer or a
// power cut would stop it.
const crashEnv = "BERTH_CONTENT_CRASH_ROOT"

var crashData = []byte("a blob whose writer is killed halfway through")

func TestMain(m *testing.M) {
	if root := os.Getenv(crashEnv); root != "" {
		os.Exit(crashingWriter(root))
	}
	os.Exit(m.Run())
}

// crashingWriter writes half a blob, says so, and waits to be killed.
func crashingWriter(root string) int {
	s, err := New(root)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	desc := ocispec.Descriptor{Digest: digest.FromBytes(crashData), Size: int64(len(crashData))}
	w, err := s.Writer(context.Background(), desc)
	if err == nil {
		_, err = w.Write(crashData[:len(crashData)/2])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("half written")
	select {}
}

func TestCrashMidWrite(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "blobs")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashEnv+"="+root)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "half written\n" {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("child said %q, %v", line, err)
	}
	s, err := New(root)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// While the writer lives, its file is left alone.
	if n, err := s.PruneIngests(ctx); err != nil || n != 0 {
		t.Errorf("prune with the writer alive removed %d (%v)", n, err)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait() // killed: the error says so
	checkCrashLeftover(t, s)
}

// checkCrashLeftover checks a killed writer left a file in the ingest
// directory but no blob, and that GC removes the leftover.
func checkCrashLeftover(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	d := digest.FromBytes(crashData)
	left, _ := os.ReadDir(s.IngestDir())
	if len(left) != 1 {
		t.Fatalf("ingest dir after the crash holds %v, want the dead writer's file", left)
	}
	if _, err := s.Info(ctx, d); err == nil {
		t.Error("the half-written blob is visible")
	}
	if ents, _ := os.ReadDir(s.Root()); len(ents) != 0 {
		t.Errorf("store root holds %v after a crash, want nothing", ents)
	}
	if removed, err := content.GC(ctx, s, nil); err != nil || len(removed) != 0 {
		t.Fatalf("gc: removed %v, %v", removed, err)
	}
	if left, _ := os.ReadDir(s.IngestDir()); len(left) != 0 {
		t.Errorf("gc left %v in the ingest dir", left)
	}
	// And the blob can be written afresh.
	desc := ocispec.Descriptor{Digest: d, Size: int64(len(crashData))}
	w, err := s.Writer(ctx, desc)
	if err != nil {
		t.Fatal(err)
	}
	if w.Offset() != 0 {
		t.Errorf("new writer starts at %d, want 0", w.Offset())
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// Files in the ingest directory that berth did not name are not touched.
func TestPruneLeavesStrangers(t *testing.T) {
	s := newStore(t)
	if err := os.MkdirAll(s.IngestDir(), 0o755); err != nil {
		t.Fatal(err)
	}
	stranger := filepath.Join(s.IngestDir(), "notes.txt")
	if err := os.WriteFile(stranger, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if n, err := s.PruneIngests(context.Background()); err != nil || n != 0 {
		t.Errorf("prune removed %d (%v), want 0", n, err)
	}
	if _, err := os.Stat(stranger); err != nil {
		t.Errorf("prune removed a file it did not name: %v", err)
	}
}
