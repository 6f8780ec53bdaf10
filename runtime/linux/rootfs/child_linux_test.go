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
	code := m.Run()
	if publicDir != "" {
		os.RemoveAll(publicDir)
	}
	os.Exit(code)
}

// publicDir holds a copy of the test binary that a child in a user
// namespace (running as an unprivileged host uid) may execute, and its
// bundles: the go build directory and t.TempDir() are private (0700).
var publicDir string

func publicTemp(t testing.TB) string {
	t.Helper()
	if publicDir == "" {
		d, err := os.MkdirTemp("", "berth-rootfs-test-")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
		publicDir = d
	}
	d, err := os.MkdirTemp(publicDir, "t")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(d, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// publicBinary returns a copy of the test binary anyone may execute.
func publicBinary(t testing.TB) string {
	t.Helper()
	publicTemp(t)
	bin := filepath.Join(publicDir, "rootfs.test")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	b, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin+".tmp", b, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(bin+".tmp", bin); err != nil {
		t.Fatal(err)
	}
	return bin
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
	steps := map[string]func(*specs.Spec, Options) error{"prepare": Prepare, "pivot": Pivot, "finish": Finish, "console": consoleStep}
	start := time.Now()
	for _, s := range cfg.Steps {
		t := time.Now()
		if err := steps[s](cfg.Spec, opts); err != nil {
			fmt.Fprintf(os.Stderr, "ERROR %s: %v\n", s, err)
			return 3
		}
		fmt.Fprintf(os.Stderr, "STEP %s %v\n", s, time.Since(t))
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

// consoleStep allocates a pty from the container's /dev/ptmx and binds
// it onto /dev/console, as a runtime does after the pivot.
func consoleStep(_ *specs.Spec, opts Options) error {
	fd, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return err
	}
	// Kept open (and so alive) until the exec closes it.
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		return err
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		return err
	}
	return BindConsole(opts, fmt.Sprintf("/dev/pts/%d", n))
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
	if cfg.UserNS {
		dir = publicTemp(t)
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "child.json")
	if err := os.WriteFile(cfgPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	bin := os.Args[0]
	if cfg.UserNS {
		bin = publicBinary(t)
	}
	cmd := exec.Command(bin)
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
		// Become the namespace's root, as the runtime's init does.
		attr.Credential = &syscall.Credential{Uid: 0, Gid: 0, NoSetGroups: true}
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
	userNS         bool
	noPivot        bool
	console        string
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

// newUserContainer makes a bundle for a container with a new user
// namespace mapping root to host uid and gid 100000, in a directory that
// uid may enter.
func newUserContainer(t testing.TB) *container {
	t.Helper()
	fixture.RequireRoot(t)
	if _, err := os.Stat(fixture.BusyboxPath); err != nil {
		fixture.Unmet(t, "busybox-static is not installed")
	}
	bundle := publicTemp(t)
	rootfs := filepath.Join(bundle, "rootfs")
	if err := fixture.BusyboxRootfs(rootfs); err != nil {
		t.Fatal(err)
	}
	spec := runcSpec(t)
	spec.Root.Path = rootfs
	spec.Linux.Namespaces = append(spec.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
	spec.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
	spec.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
	return &container{bundle: bundle, rootfs: rootfs, spec: spec, userNS: true}
}

func (c *container) config(script string, steps ...string) childConfig {
	if len(steps) == 0 {
		steps = []string{"prepare", "pivot", "finish"}
	}
	return childConfig{Spec: c.spec, Bundle: c.bundle, Rootfs: c.rootfs, Steps: steps, Script: script,
		UserNS: c.userNS, NoPivot: c.noPivot, Console: c.console}
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

// runSteps is run with the given steps.
func (c *container) runSteps(t testing.TB, script string, steps ...string) string {
	t.Helper()
	res := runChild(t, c.config(script, steps...))
	if res.Err != nil {
		t.Fatalf("container: %v\nstderr:\n%s\nstdout:\n%s", res.Err, res.Stderr, res.Stdout)
	}
	return res.Stdout
}

// fail runs script in the container, which must fail, and returns the
// error the child reported.
func (c *container) fail(t testing.TB, steps ...string) string {
	t.Helper()
	res := runChild(t, c.config("true", steps...))
	if res.Err == nil {
		t.Fatalf("container started; want an error\nstdout:\n%s", res.Stdout)
	}
	for _, line := range strings.Split(res.Stderr, "\n") {
		if strings.HasPrefix(line, "ERROR ") {
			return line
		}
	}
	t.Fatalf("no error reported: %v\n%s", res.Err, res.Stderr)
	return ""
}

// values parses the "key=value" lines a script printed.
func values(out string) map[string]string {
	v := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if k, val, ok := strings.Cut(line, "="); ok {
			v[k] = val
		}
	}
	return v
}

// mountLine returns the mountinfo line (of a container's output) whose
// mount point is mp.
func mountLine(mountinfo, mp string) string {
	for _, line := range strings.Split(mountinfo, "\n") {
		if f := strings.Fields(line); len(f) > 4 && f[4] == mp {
			return line
		}
	}
	return ""
}
