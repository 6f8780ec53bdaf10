package cli

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-oci/berth/internal/fixture"
)

// An image built with new/unpack/repack/config runs under runc and is
// read by umoci, the way a user builds one offline.
func TestBuildImageOfflineAndRunIt(t *testing.T) {
	fixture.RequireRoot(t)
	runc := fixture.RequireTool(t, "runc")
	umoci := fixture.RequireTool(t, "umoci")
	tmp := t.TempDir()
	lay := "oci:" + filepath.Join(tmp, "lay")
	mustBerth(t, "image", "new", lay+":base")
	work := filepath.Join(tmp, "work")
	mustBerth(t, "image", "unpack", lay+":base", work)
	if err := fixture.BusyboxRootfs(filepath.Join(work, "rootfs")); err != nil {
		t.Fatal(err)
	}
	mustBerth(t, "image", "repack", "--history.comment", "busybox", lay+":v1", work)
	mustBerth(t, "image", "config", "--config.entrypoint", "/bin/sh", "--config.entrypoint", "-c",
		"--config.cmd", "echo $GREETING from $(hostname)", "--config.env", "GREETING=hello", "--config.user", "berth", lay+":v1")
	mustBerth(t, "image", "validate", lay)

	bundle := filepath.Join(tmp, "bundle")
	mustBerth(t, "image", "unpack", lay+":v1", bundle)
	id := fmt.Sprintf("berth-cli-%d", os.Getpid())
	out, err := exec.Command(runc, "--root", filepath.Join(tmp, "runc"), "run", "-b", bundle, id).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "hello from berth" {
		t.Fatalf("runc run: %v\n%s", err, out)
	}
	ub := filepath.Join(tmp, "umoci-bundle")
	if out, err := exec.Command(umoci, "unpack", "--image", filepath.Join(tmp, "lay")+":v1", ub).CombinedOutput(); err != nil {
		t.Fatalf("umoci unpack: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(ub, "rootfs/bin/busybox")); err != nil {
		t.Fatalf("umoci's unpack lacks busybox: %v", err)
	}
}
