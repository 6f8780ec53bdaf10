package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/berth-oci/berth/internal/fixture"
)

// nobody is the unprivileged user the rootless test runs as.
const nobody = 65534

// TestRootless runs berth-runtime as an unprivileged user with the config
// `spec --rootless` writes: a user namespace maps the caller to root, and
// no cgroup is needed.
func TestRootless(t *testing.T) {
	fixture.RequireRoot(t)
	dir, err := os.MkdirTemp("", "berth-rootless-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := fixture.BusyboxRootfs(filepath.Join(dir, "rootfs")); err != nil {
		t.Fatal(err)
	}
	if err := filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err == nil {
			err = os.Lchown(p, nobody, nobody)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	asNobody := func(args ...string) (string, error) {
		cmd := exec.Command(runtimeBin, append([]string{"--root", filepath.Join(dir, "state")}, args...)...)
		cmd.Dir = dir
		cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + dir}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := asNobody("spec", "--rootless"); err != nil {
		t.Fatalf("spec --rootless: %v\n%s", err, out)
	}
	spec := readSpec(t, dir)
	spec.Process.Terminal = false
	spec.Process.Args = sh("id -u; cat /proc/self/uid_map; grep CapEff /proc/self/status")
	writeSpec(t, dir, spec)
	os.Lchown(filepath.Join(dir, "config.json"), nobody, nobody)
	out, err := asNobody("run", "rootless1")
	if err != nil {
		t.Fatalf("rootless run: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || lines[0] != "0" || strings.Join(strings.Fields(lines[1]), " ") != "0 65534 1" || lines[2] == "CapEff:\t0000000000000000" {
		t.Fatalf("inside the rootless container:\n%s", out)
	}
	if out, err := asNobody("list", "-q"); err != nil || strings.TrimSpace(out) != "" {
		t.Fatalf("containers left: %q %v", out, err)
	}
}
