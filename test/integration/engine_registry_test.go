package integration

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/berth-oci/berth/internal/fixture"
)

// startRegistry runs Debian's docker-registry on a free loopback port with
// its storage in a temporary directory, for the test's life, and returns
// its host:port.
func startRegistry(t *testing.T) string {
	t.Helper()
	bin := fixture.RequireTool(t, "docker-registry")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host := l.Addr().String()
	l.Close()
	dir := t.TempDir()
	cfg := fmt.Sprintf("version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\nhttp:\n  addr: %s\n  secret: berth-engine-test\n", filepath.Join(dir, "data"), host)
	path := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	cmd := exec.Command(bin, "serve", path)
	cmd.Stdout, cmd.Stderr = &log, &log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	client := &http.Client{Timeout: time.Second}
	for i := 0; i < 200; i++ {
		if resp, err := client.Get("http://" + host + "/v2/"); err == nil {
			resp.Body.Close()
			return host
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("docker-registry did not start:\n%s", log.String())
	return ""
}

// TestEngineRegistry pushes an image of the store to a real registry,
// removes it, pulls it back and runs it; and pushes to the other
// transports.
func TestEngineRegistry(t *testing.T) {
	s, _ := withImages(t)
	host := startRegistry(t)
	ref := host + "/test/app:v1"
	s.ok("push", "-q", imgApp, "docker://"+ref)
	s.ok("tag", imgApp, ref)
	s.ok("rmi", imgApp, ref)
	if out := s.ok("images", "--format", "{{.Repository}}"); out != "localhost/images\n" {
		t.Fatalf("images after rmi: %q", out)
	}
	id := s.ok("pull", "-q", "docker://"+ref)
	if out := s.ok("run", "--rm", ref); out != "hello from app\n" {
		t.Errorf("run the pulled image: %q", out)
	}
	if out := s.ok("images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"); !bytes.Contains([]byte(out), []byte(ref+" "+id[:12])) {
		t.Errorf("images after the pull: %q (pulled %s)", out, id)
	}
	// A push of the image's own name, with no destination.
	s.ok("tag", ref, host+"/test/again:v2")
	s.ok("push", "-q", host+"/test/again:v2")
	s.ok("pull", "-q", host+"/test/again:v2")

	// Out to a layout and an archive, and back from the archive.
	dir := filepath.Join(t.TempDir(), "out")
	s.ok("push", ref, "oci:"+dir+":exported")
	if out, err := exec.Command(fixture.RequireTool(t, "skopeo"), "inspect", "--format", "{{.Digest}}", "oci:"+dir+":exported").CombinedOutput(); err != nil {
		t.Errorf("skopeo inspect of the layout berth wrote: %v\n%s", err, out)
	}
	archive := filepath.Join(t.TempDir(), "app.tar")
	s.ok("push", ref, "docker-archive:"+archive+":example.com/saved:1")
	s.ok("rmi", "-a")
	s.ok("pull", "-q", "docker-archive:"+archive)
	if out := s.ok("run", "--rm", "example.com/saved:1"); out != "hello from app\n" {
		t.Errorf("run the image loaded back: %q", out)
	}
}
