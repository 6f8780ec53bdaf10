package rootfs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/berth-oci/berth/internal/fixture"
)

// The root tests run Prepare, Pivot and Finish in a child: this test
// binary re-executed with childEnv pointing at a childConfig, in the new
// namespaces the spec asks for. The child then executes a shell command of
// the busybox rootfs, whose output the test checks, or (with no command)
// prints its mountinfo.
const childEnv = "BERTH_ROOTFS_TEST_CHILD"

type childConfig struct {
	Spec    *specs.Spec
	Bundle  string
	Rootfs  string
	NoPivot bool
	UserNS  bool
	Console string
	Steps   []string // "prepare", "pivot", "finish"
	Script  string   // run with /bin/sh -c after the steps; "" prints mountinfo
}

func TestMain(m *testing.M) {
	if p := os.Getenv(childEnv); p != "" {
		os.Exit(childMain(p))
	}
	os.Exit(m.Run())
}

func childMain(cfgPath string) int {
	b, err := os.ReadFile(cfgPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	var cfg childConfig
	if err := json.Unmarshal(b, &cfg); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	opts := Options{Bundle: cfg.Bundle, Rootfs: cfg.Rootfs, NoPivot: cfg.NoPivot, UserNS: cfg.UserNS, ConsolePath: cfg.Console}
	steps := map[string]func(*specs.Spec, Options) error{"prepare": Prepare, "pivot": Pivot, "finish": Finish}
	start := time.Now()
	for _, s := range cfg.Steps {
		if err := steps[s](cfg.Spec, opts); err != nil {
			fmt.Fprintf(os.Stderr, "ERROR %s: %v\n", s, err)
			return 3
		}
	}
	fmt.Fprintf(os.Stderr, "TIME %d\n", time.Since(start).Nanoseconds())
	if cfg.Script == "" {
		mi, err := os.ReadFile("/proc/self/mountinfo")
		if err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			return 2
		}
		os.Stdout.Write(mi)
		return 0
	}
	env := []string{"PATH=/bin:/sbin:/usr/bin:/usr/sbin", "HOME=/root"}
	err = syscall.Exec("/bin/sh", []string{"sh", "-c", cfg.Script}, env)
	fmt.Fprintln(os.Stderr, "child: exec:", err)
	return 2
}

var cloneFlags = map[specs.LinuxNamespaceType]uintptr{
	specs.MountNamespace:   unix.CLONE_NEWNS,
	specs.PIDNamespace:     unix.CLONE_NEWPID,
	specs.NetworkNamespace: unix.CLONE_NEWNET,
	specs.IPCNamespace:     unix.CLONE_NEWIPC,
	specs.UTSNamespace:     unix.CLONE_NEWUTS,
	specs.CgroupNamespace:  unix.CLONE_NEWCGROUP,
	specs.UserNamespace:    unix.CLONE_NEWUSER,
}

// childResult is what a child reported.
type childResult struct {
	Stdout, Stderr string
	Err            error
	Elapsed        time.Duration // of the steps, measured in the child
}

// runChild runs cfg in a child in the new namespaces of cfg.Spec.
func runChild(t testing.TB, cfg childConfig) childResult {
	t.Helper()
	dir := t.TempDir()
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "child.json")
	if err := os.WriteFile(cfgPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), childEnv+"="+cfgPath)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	attr := &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	for _, ns := range cfg.Spec.Linux.Namespaces {
		if ns.Path == "" {
			attr.Cloneflags |= cloneFlags[ns.Type]
		}
	}
	if attr.Cloneflags&unix.CLONE_NEWUSER != 0 {
		for _, m := range cfg.Spec.Linux.UIDMappings {
			attr.UidMappings = append(attr.UidMappings, syscall.SysProcIDMap{ContainerID: int(m.ContainerID), HostID: int(m.HostID), Size: int(m.Size)})
		}
		for _, m := range cfg.Spec.Linux.GIDMappings {
			attr.GidMappings = append(attr.GidMappings, syscall.SysProcIDMap{ContainerID: int(m.ContainerID), HostID: int(m.HostID), Size: int(m.Size)})
		}
	}
	cmd.SysProcAttr = attr
	res := childResult{Err: cmd.Run()}
	res.Stdout, res.Stderr = stdout.String(), stderr.String()
	for _, line := range strings.Split(res.Stderr, "\n") {
		if ns, ok := strings.CutPrefix(line, "TIME "); ok {
			var n int64
			fmt.Sscan(ns, &n)
			res.Elapsed = time.Duration(n)
		}
	}
	return res
}

// container is a busybox bundle with a spec to run in a child.
type container struct {
	bundle, rootfs string
	spec           *specs.Spec
}

// newContainer makes a busybox bundle whose spec is runc's default one.
func newContainer(t testing.TB) *container {
	t.Helper()
	fixture.RequireRoot(t)
	rootfs := fixture.Busybox(t)
	spec := runcSpec(t)
	spec.Root.Path = rootfs
	return &container{bundle: filepath.Dir(rootfs), rootfs: rootfs, spec: spec}
}

func (c *container) config(script string, steps ...string) childConfig {
	if len(steps) == 0 {
		steps = []string{"prepare", "pivot", "finish"}
	}
	return childConfig{Spec: c.spec, Bundle: c.bundle, Rootfs: c.rootfs, Steps: steps, Script: script}
}

// run runs script in the container and returns its output, failing the
// test when the container or the script fails.
func (c *container) run(t testing.TB, script string) string {
	t.Helper()
	res := runChild(t, c.config(script))
	if res.Err != nil {
		t.Fatalf("container: %v\nstderr:\n%s\nstdout:\n%s", res.Err, res.Stderr, res.Stdout)
	}
	return res.Stdout
}
