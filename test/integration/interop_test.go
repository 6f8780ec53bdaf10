package integration

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-oci/berth/internal/fixture"
)

// TestPodman drives berth-runtime from podman (through conmon) with a
// private store, an image imported offline, and podman's own seccomp
// profile and device rules.
func TestPodman(t *testing.T) {
	fixture.RequireRoot(t)
	podman := fixture.RequireTool(t, "podman")
	dir := t.TempDir()
	tarball := filepath.Join(dir, "rootfs.tar")
	if err := os.WriteFile(tarball, rootfsTar(t, fixture.Busybox(t)), 0o644); err != nil {
		t.Fatal(err)
	}
	base := []string{"--root", filepath.Join(dir, "root"), "--runroot", filepath.Join(dir, "runroot"),
		"--tmpdir", filepath.Join(dir, "tmp"), "--storage-driver", "vfs", "--cgroup-manager=cgroupfs",
		"--events-backend=file", "--runtime", runtimeBin}
	pm := func(args ...string) (string, error) {
		var out, errb bytes.Buffer
		c := exec.Command(podman, append(append([]string(nil), base...), args...)...)
		c.Stdout, c.Stderr = &out, &errb
		err := c.Run()
		if err != nil {
			err = fmt.Errorf("podman %s: %v: %s", strings.Join(args, " "), err, errb.String())
		}
		return out.String(), err
	}
	t.Cleanup(func() { pm("rm", "--all", "--force"); pm("rmi", "--all", "--force") })
	if _, err := pm("import", tarball, "localhost/berth-bb:latest"); err != nil {
		t.Fatal(err)
	}
	runFlags := []string{"--network", "none", "--ulimit", "nofile=20000:20000", "--ulimit", "nproc=32768:32768"}
	out, err := pm(append(append([]string{"run", "--rm"}, runFlags...), "localhost/berth-bb", "echo", "ok")...)
	if err != nil || out != "ok\n" {
		t.Fatalf("podman run --rm: %q %v", out, err)
	}
	out, err = pm(append(append([]string{"run", "--rm"}, runFlags...), "localhost/berth-bb", "sh", "-c", "exit 5")...)
	if err == nil || !strings.Contains(err.Error(), "exit status 5") {
		t.Fatalf("podman run of a process exiting 5: %q %v", out, err)
	}
	// The limit as the container's own cgroup shows it (a cgroup namespace).
	out, err = pm(append(append([]string{"run", "--rm", "--memory", "64m", "--cgroupns", "private"}, runFlags...),
		"localhost/berth-bb", "cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes")...)
	if err != nil || strings.TrimSpace(out) != "67108864" {
		t.Fatalf("podman run --memory 64m: %q %v", out, err)
	}
	if _, err := pm(append(append([]string{"run", "-d", "--name", "berth-long"}, runFlags...), "localhost/berth-bb",
		"sh", "-c", "i=0; while true; do i=$((i+1)); echo $i > /tmp/n.new; mv /tmp/n.new /tmp/n; sleep 0.02; done")...); err != nil {
		t.Fatal(err)
	}
	counter := func() string {
		out, _ := pm("exec", "berth-long", "cat", "/tmp/n")
		return out
	}
	engWaitFor(t, "the counter to start", func() bool { return strings.TrimSpace(counter()) != "" })
	if _, err := pm("pause", "berth-long"); err != nil {
		t.Fatal(err)
	}
	if out, _ := pm("inspect", "--format", "{{.State.Status}}", "berth-long"); strings.TrimSpace(out) != "paused" {
		t.Fatalf("status after pause: %q", out)
	}
	// exec into a frozen container would hang: read the counter from the
	// host (it is renamed into place, so a freeze never leaves it empty).
	pid, _ := pm("inspect", "--format", "{{.State.Pid}}", "berth-long")
	nFile := "/proc/" + strings.TrimSpace(pid) + "/root/tmp/n"
	before, _ := os.ReadFile(nFile)
	time.Sleep(200 * time.Millisecond)
	if after, _ := os.ReadFile(nFile); string(after) != string(before) || len(before) == 0 {
		t.Fatalf("the counter moved while paused: %q -> %q", before, after)
	}
	if _, err := pm("unpause", "berth-long"); err != nil {
		t.Fatal(err)
	}
	first := counter()
	engWaitFor(t, "the counter to move after unpause", func() bool { return counter() != first })
	if out, err := pm("ps", "--format", "{{.Names}} {{.Status}}"); err != nil || !strings.Contains(out, "berth-long Up") {
		t.Fatalf("podman ps: %q %v", out, err)
	}
	if out, err := pm("exec", "berth-long", "sh", "-c", "echo exec-ok $(hostname)"); err != nil || !strings.HasPrefix(out, "exec-ok ") {
		t.Fatalf("podman exec: %q %v", out, err)
	}
	if _, err := pm("stop", "-t", "1", "berth-long"); err != nil {
		t.Fatal(err)
	}
	if _, err := pm("rm", "berth-long"); err != nil {
		t.Fatal(err)
	}
	if out, _ := pm("ps", "-a", "-q"); strings.TrimSpace(out) != "" {
		t.Fatalf("containers left: %q", out)
	}
}

// TestContainerd drives berth-runtime from containerd 1.6's runc v2 shim
// (ctr run --runc-binary), with a containerd of the test's own.
func TestContainerd(t *testing.T) {
	fixture.RequireRoot(t)
	containerd := fixture.RequireTool(t, "containerd")
	ctr := fixture.RequireTool(t, "ctr")
	fixture.RequireTool(t, "containerd-shim-runc-v2")
	dir := t.TempDir()
	sock := filepath.Join(dir, "containerd.sock")
	cfg := fmt.Sprintf("version = 2\nroot = %q\nstate = %q\ndisabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n[grpc]\n  address = %q\n[ttrpc]\n  address = %q\n",
		filepath.Join(dir, "root"), filepath.Join(dir, "state"), sock, sock+".ttrpc")
	if err := os.WriteFile(filepath.Join(dir, "config.toml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	logf, _ := os.Create(filepath.Join(dir, "containerd.log"))
	d := exec.Command(containerd, "--config", filepath.Join(dir, "config.toml"))
	d.Stdout, d.Stderr = logf, logf
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		d.Process.Kill()
		d.Wait()
		logf.Close()
	})
	waitFor(t, func() bool {
		c, err := net.Dial("unix", sock)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	c := func(args ...string) (string, error) {
		var out, errb bytes.Buffer
		cmd := exec.Command(ctr, append([]string{"-a", sock, "-n", "berth"}, args...)...)
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		if err != nil {
			err = fmt.Errorf("ctr %s: %v: %s", strings.Join(args, " "), err, errb.String())
		}
		return out.String(), err
	}
	archive := filepath.Join(dir, "bb.tar")
	ociArchive(t, fixture.Busybox(t), archive)
	if _, err := c("images", "import", "--base-name", "localhost/berth-bb", archive); err != nil {
		t.Fatal(err)
	}
	img := "localhost/berth-bb:latest"
	out, err := c("run", "--rm", "--runc-binary", runtimeBin, img, "ctr1", "echo", "ok")
	if err != nil || out != "ok\n" {
		t.Fatalf("ctr run --rm: %q %v", out, err)
	}
	if _, err := c("run", "-d", "--runc-binary", runtimeBin, img, "ctr2", "sleep", "100"); err != nil {
		t.Fatal(err)
	}
	if out, err := c("task", "ls"); err != nil || !strings.Contains(out, "RUNNING") {
		t.Fatalf("ctr task ls: %q %v", out, err)
	}
	if _, err := c("task", "kill", "-s", "SIGKILL", "ctr2"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		out, _ := c("task", "ls")
		return strings.Contains(out, "STOPPED")
	})
	if _, err := c("task", "delete", "ctr2"); err != nil {
		t.Fatal(err)
	}
	if _, err := c("containers", "delete", "ctr2"); err != nil {
		t.Fatal(err)
	}
	if out, _ := c("containers", "ls", "-q"); strings.TrimSpace(out) != "" {
		t.Fatalf("containers left: %q", out)
	}
}
