package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/berth-oci/berth/internal/fixture"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// rt is one berth-runtime state root for a test.
type rt struct {
	t    *testing.T
	root string
}

func newRT(t *testing.T) *rt {
	t.Helper()
	fixture.RequireRoot(t)
	r := &rt{t: t, root: t.TempDir()}
	t.Cleanup(r.cleanup)
	return r
}

// cleanup removes what a failed test left running, and the read-only
// copy of the runtime binary that the runtime keeps mounted under its root.
func (r *rt) cleanup() {
	out, _ := exec.Command(runtimeBin, "--root", r.root, "list", "-q").Output()
	for _, id := range strings.Fields(string(out)) {
		exec.Command(runtimeBin, "--root", r.root, "delete", "--force", id).Run()
	}
	unmountUnder(r.root)
}

func unmountUnder(dir string) {
	b, _ := os.ReadFile("/proc/self/mountinfo")
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) > 4 && strings.HasPrefix(f[4], dir+"/") {
			unix.Unmount(f[4], unix.MNT_DETACH)
		}
	}
}

// cmd builds a berth-runtime command on this root.
func (r *rt) cmd(args ...string) *exec.Cmd {
	return exec.Command(runtimeBin, append([]string{"--root", r.root}, args...)...)
}

// exec runs berth-runtime with stdout and stderr in files: a container
// created or run detached keeps the runtime's stdio, so a pipe would not
// see its end while the container lives.
func (r *rt) exec(args ...string) (stdout, stderr string, err error) {
	r.t.Helper()
	dir := r.t.TempDir()
	outF, err1 := os.Create(filepath.Join(dir, "stdout"))
	errF, err2 := os.Create(filepath.Join(dir, "stderr"))
	if err1 != nil || err2 != nil {
		r.t.Fatal(err1, err2)
	}
	defer outF.Close()
	defer errF.Close()
	c := r.cmd(args...)
	c.Stdout, c.Stderr = outF, errF
	err = c.Run()
	o, _ := os.ReadFile(outF.Name())
	e, _ := os.ReadFile(errF.Name())
	return string(o), string(e), err
}

// ok runs a command that must succeed and returns its stdout.
func (r *rt) ok(args ...string) string {
	r.t.Helper()
	out, stderr, err := r.exec(args...)
	if err != nil {
		r.t.Fatalf("berth-runtime %s: %v\nstderr: %s", strings.Join(args, " "), err, stderr)
	}
	return out
}

// fails runs a command that must fail and returns its stderr.
func (r *rt) fails(args ...string) string {
	r.t.Helper()
	_, stderr, err := r.exec(args...)
	if err == nil {
		r.t.Fatalf("berth-runtime %s succeeded, want an error", strings.Join(args, " "))
	}
	return stderr
}

// run runs a container attached and returns its stdout, stderr and exit
// status.
func (r *rt) run(bundle, id string, extra ...string) (string, string, int) {
	r.t.Helper()
	stdout, stderr, err := r.exec(append(append([]string{"run", "--bundle", bundle}, extra...), id)...)
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		r.t.Fatalf("run %s: %v", id, err)
	}
	return stdout, stderr, code
}

// state returns the parsed `state` of a container.
func (r *rt) state(id string) map[string]any {
	r.t.Helper()
	var st map[string]any
	if err := json.Unmarshal([]byte(r.ok("state", id)), &st); err != nil {
		r.t.Fatalf("parse state: %v", err)
	}
	return st
}

var bundleSeq atomic.Int64

// bundle makes a busybox bundle whose config is `berth-runtime spec`
// without a terminal, running args, changed by edit.
func (r *rt) bundle(args []string, edit func(*specs.Spec)) string {
	r.t.Helper()
	dir := filepath.Join(r.t.TempDir(), fmt.Sprintf("bundle%d", bundleSeq.Add(1)))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := fixture.BusyboxRootfs(filepath.Join(dir, "rootfs")); err != nil {
		r.t.Fatal(err)
	}
	c := exec.Command(runtimeBin, "spec", "--bundle", dir)
	if out, err := c.CombinedOutput(); err != nil {
		r.t.Fatalf("spec: %v: %s", err, out)
	}
	spec := readSpec(r.t, dir)
	spec.Process.Terminal = false
	spec.Process.Args = args
	spec.Root.Readonly = false
	if edit != nil {
		edit(spec)
	}
	writeSpec(r.t, dir, spec)
	return dir
}

func readSpec(t *testing.T, dir string) *specs.Spec {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s specs.Spec
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return &s
}

func writeSpec(t *testing.T, dir string, s *specs.Spec) {
	t.Helper()
	b, err := json.MarshalIndent(s, "", "\t")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// sh is a process running a shell script in the container.
func sh(script string) []string { return []string{"sh", "-c", script} }

// bindHost adds a read-write bind of a host directory at dest.
func bindHost(s *specs.Spec, src, dest string) {
	s.Mounts = append(s.Mounts, specs.Mount{Destination: dest, Type: "bind", Source: src, Options: []string{"rbind", "rw"}})
}

func addNamespace(s *specs.Spec, t specs.LinuxNamespaceType, path string) {
	for i, ns := range s.Linux.Namespaces {
		if ns.Type == t {
			s.Linux.Namespaces[i].Path = path
			return
		}
	}
	s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: t, Path: path})
}

func statusLine(out, key string) string {
	for _, l := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(l, key+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
