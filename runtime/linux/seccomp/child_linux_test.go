package seccomp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/berth-oci/berth/internal/fixture"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// The real tests re-execute the test binary as a child that plays the
// container's init: it sets no_new_privs, applies a profile with Apply, hands
// a listener fd over with SendNotifyFD, and then either execs busybox or
// probes syscalls itself. The parent checks what the child experienced.

const childEnv = "BERTH_SECCOMP_TEST_CHILD"

// plan is what the parent asks a child to do, passed as JSON in childEnv.
type plan struct {
	Profile specs.LinuxSeccomp
	State   specs.ContainerProcessState // sent with the listener fd
	Argv    []string                    // busybox's arguments (argv[0] included)
	Probe   []uintptr                   // syscall numbers to call (no arguments) instead of exec
	Encoded []byte                      // a Filter's MarshalBinary, loaded instead of Profile
}

func TestMain(m *testing.M) {
	if p := os.Getenv(childEnv); p != "" {
		os.Exit(child(p))
	}
	os.Exit(m.Run())
}

func child(encoded string) int {
	var p plan
	if err := json.Unmarshal([]byte(encoded), &p); err != nil {
		fmt.Fprintln(os.Stderr, "child: decode plan:", err)
		return 125
	}
	// no_new_privs is per thread: set it on the thread Apply filters.
	runtime.LockOSThread()
	// A SIGSYS death would leave a core file in the package directory.
	if err := unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{}); err != nil {
		fmt.Fprintln(os.Stderr, "child: rlimit core:", err)
		return 125
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		fmt.Fprintln(os.Stderr, "child: no_new_privs:", err)
		return 125
	}
	fd, err := apply(p)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child: apply:", err)
		return 125
	}
	if fd >= 0 {
		// What the runtime fills in; SendNotifyFD adds the rest.
		st := p.State
		st.Pid, st.State.Pid, st.Metadata = os.Getpid(), os.Getpid(), p.Profile.ListenerMetadata
		err := SendNotifyFD(p.Profile.ListenerPath, st, fd)
		unix.Close(fd)
		if err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			return 125
		}
	}
	if p.Probe != nil {
		for _, nr := range p.Probe {
			_, _, errno := unix.RawSyscall(nr, 0, 0, 0)
			fmt.Printf("%d %d\n", nr, errno)
		}
		return 0
	}
	err = unix.Exec(fixture.BusyboxPath, p.Argv, os.Environ())
	fmt.Fprintln(os.Stderr, "child: exec:", err)
	return 125
}

func apply(p plan) (int, error) {
	if p.Encoded == nil {
		return Apply(&p.Profile)
	}
	var f Filter
	if err := f.UnmarshalBinary(p.Encoded); err != nil {
		return -1, err
	}
	return f.Load()
}

// result is how a child ended.
type result struct {
	stdout, stderr string
	status         syscall.WaitStatus
}

func (r result) String() string {
	return fmt.Sprintf("status %s, stdout %q, stderr %q", describe(r.status), r.stdout, r.stderr)
}

func describe(ws syscall.WaitStatus) string {
	if ws.Signaled() {
		return "killed by " + ws.Signal().String()
	}
	return fmt.Sprintf("exit %d", ws.ExitStatus())
}

// start starts a child with p; wait collects it.
func start(t *testing.T, p plan) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	if p.Probe == nil && !isBusybox() {
		fixture.Unmet(t, "busybox-static is not installed")
	}
	encoded, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), childEnv+"="+string(encoded))
	cmd.Dir = t.TempDir()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start child: %v", err)
	}
	return cmd, &stdout, &stderr
}

func wait(t *testing.T, cmd *exec.Cmd, stdout, stderr *bytes.Buffer) result {
	t.Helper()
	err := cmd.Wait()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("wait for child: %v", err)
	}
	r := result{stdout: stdout.String(), stderr: stderr.String(), status: cmd.ProcessState.Sys().(syscall.WaitStatus)}
	if r.status.Exited() && r.status.ExitStatus() == 125 {
		t.Fatalf("child failed before its command: %s", r)
	}
	return r
}

func runChild(t *testing.T, p plan) result {
	t.Helper()
	cmd, stdout, stderr := start(t, p)
	return wait(t, cmd, stdout, stderr)
}

// busybox runs busybox with args under profile in a child.
func busybox(t *testing.T, profile specs.LinuxSeccomp, args ...string) result {
	t.Helper()
	return runChild(t, plan{Profile: profile, Argv: append([]string{"busybox"}, args...)})
}

func isBusybox() bool {
	fi, err := os.Stat(fixture.BusyboxPath)
	return err == nil && fi.Mode().IsRegular()
}

// errnoText is how busybox (glibc's strerror) spells an errno.
func errnoText(e unix.Errno) string {
	s := e.Error()
	return strings.ToUpper(s[:1]) + s[1:]
}
