package bundle

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-oci/berth/internal/fixture"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// The generated config must run under runc unchanged.
func TestRuncRunsGeneratedBundle(t *testing.T) {
	fixture.RequireRoot(t)
	runc := fixture.RequireTool(t, "runc")
	dir := t.TempDir()
	if err := fixture.BusyboxRootfs(filepath.Join(dir, "rootfs")); err != nil {
		t.Fatal(err)
	}
	img := &ocispec.Image{Platform: ocispec.Platform{OS: "linux", Architecture: "amd64"}, Config: ocispec.ImageConfig{
		User:       "berth",
		Env:        []string{"FOO=bar"},
		WorkingDir: "/tmp",
		Entrypoint: []string{"/bin/sh", "-c"},
		Cmd:        []string{`echo "$(id -u):$(id -g):$(id -G):$FOO:$(pwd):$(hostname)"; grep CapBnd /proc/self/status; touch /ro 2>/dev/null || echo readonly`},
	}}
	s, err := Generate(img, filepath.Join(dir, "rootfs"), Options{ReadOnly: true, Hostname: "box"})
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteConfig(dir, s); err != nil {
		t.Fatal(err)
	}
	id := fmt.Sprintf("berth-bundle-test-%d", os.Getpid())
	out, err := exec.Command(runc, "--root", filepath.Join(t.TempDir(), "runc"), "run", "--bundle", dir, id).CombinedOutput()
	if err != nil {
		t.Fatalf("runc run: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 3 || lines[0] != "1000:1000:1000 10 29:bar:/tmp:box" || lines[2] != "readonly" {
		t.Fatalf("container said:\n%s", out)
	}
	// The default set of 11 capabilities, nothing more: bits 0-8 minus
	// DAC_READ_SEARCH(2) and LINUX_IMMUTABLE(9), plus NET_BIND_SERVICE(10),
	// SYS_CHROOT(18), SETFCAP(31).
	if want := "CapBnd:\t00000000800405fb"; lines[1] != want {
		t.Errorf("bounding set %q, want %q", lines[1], want)
	}
}
