// Package integration tests the berth binaries end to end, as root, against
// the real kernel and real peers (podman, containerd).
package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// runtimeBin is the berth-runtime under test; buildDir, when not empty,
// the temporary directory it was built into, removed after the tests.
var runtimeBin, buildDir string

func TestMain(m *testing.M) {
	code, err := setup()
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration:", err)
		os.Exit(1)
	}
	if code >= 0 {
		os.Exit(code)
	}
	code = m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// setup finds berth-runtime in $BERTH_BIN or builds it the way the
// Makefile does (static, cgo for the namespace-joining constructor).
func setup() (int, error) {
	if dir := os.Getenv("BERTH_BIN"); dir != "" {
		runtimeBin = filepath.Join(dir, "berth-runtime")
		if _, err := os.Stat(runtimeBin); err == nil {
			return -1, nil
		}
	}
	if os.Geteuid() != 0 {
		return -1, nil // every test here skips without root
	}
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return 0, fmt.Errorf("go env GOMOD: %w", err)
	}
	modDir := filepath.Dir(strings.TrimSpace(string(out)))
	dir, err := os.MkdirTemp("", "berth-integration-")
	if err != nil {
		return 0, err
	}
	buildDir = dir
	runtimeBin = filepath.Join(dir, "berth-runtime")
	build := exec.Command("go", "build", "-tags", "netgo osusergo", "-ldflags", "-extldflags -static",
		"-o", runtimeBin, "./cmd/berth-runtime")
	build.Dir = modDir
	build.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := build.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("build berth-runtime: %v\n%s", err, out)
	}
	return -1, nil
}
