package seccomp

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// denyMkdir returns a default-allow profile where mkdir and mkdirat take
// action (with errnoRet when not nil).
func denyMkdir(action specs.LinuxSeccompAction, errnoRet *uint) specs.LinuxSeccomp {
	return specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Syscalls:      []specs.LinuxSyscall{{Names: []string{"mkdir", "mkdirat"}, Action: action, ErrnoRet: errnoRet}},
	}
}

func TestApplyErrno(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "x")
	r := busybox(t, denyMkdir(specs.ActErrno, uintp(uint(unix.ETXTBSY))), "mkdir", target)
	if r.status.ExitStatus() != 1 || !strings.Contains(r.stderr, errnoText(unix.ETXTBSY)) {
		t.Errorf("busybox mkdir under ERRNO(ETXTBSY): %s", r)
	}
	if _, err := os.Stat(target); !os.IsNotExist(err) {
		t.Errorf("the directory was made anyway: %v", err)
	}
	// Without errnoRet the errno is EPERM.
	r = busybox(t, denyMkdir(specs.ActErrno, nil), "mkdir", target)
	if !strings.Contains(r.stderr, errnoText(unix.EPERM)) {
		t.Errorf("busybox mkdir under ERRNO: %s", r)
	}
	// Everything else still works.
	r = busybox(t, denyMkdir(specs.ActErrno, nil), "sh", "-c", "echo hello > "+filepath.Join(dir, "f")+" && cat "+filepath.Join(dir, "f"))
	if r.status.ExitStatus() != 0 || r.stdout != "hello\n" {
		t.Errorf("busybox sh under a mkdir-only profile: %s", r)
	}
}

func TestApplyKills(t *testing.T) {
	for _, action := range []specs.LinuxSeccompAction{specs.ActKill, specs.ActKillProcess, specs.ActKillThread, specs.ActTrap} {
		t.Run(string(action), func(t *testing.T) {
			r := busybox(t, denyMkdir(action, nil), "mkdir", filepath.Join(t.TempDir(), "x"))
			if !r.status.Signaled() || r.status.Signal() != syscall.SIGSYS {
				t.Errorf("busybox mkdir under %s: %s, want killed by SIGSYS", action, r)
			}
		})
	}
}

// Personalities from <sys/personality.h>.
const (
	perLinux   = 0x0000
	perLinux32 = 0x0008
)

// personality(PER_LINUX32) is refused, personality(PER_LINUX) is not:
// busybox's linux32 and linux64 applets make exactly these calls.
func TestApplyArgumentCondition(t *testing.T) {
	profile := specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Syscalls: []specs.LinuxSyscall{{
			Names: []string{"personality"}, Action: specs.ActErrno, ErrnoRet: uintp(uint(unix.ETXTBSY)),
			Args: []specs.LinuxSeccompArg{arg(0, specs.OpEqualTo, perLinux32, 0)},
		}},
	}
	if r := busybox(t, profile, "linux32", "true"); r.status.ExitStatus() == 0 || !strings.Contains(r.stderr, errnoText(unix.ETXTBSY)) {
		t.Errorf("linux32 with personality(PER_LINUX32) refused: %s", r)
	}
	if r := busybox(t, profile, "linux64", "true"); r.status.ExitStatus() != 0 {
		t.Errorf("linux64 with personality(PER_LINUX32) refused: %s", r)
	}
	// Two conditions on arg 0 are alternatives: now both are refused.
	profile.Syscalls[0].Args = append(profile.Syscalls[0].Args, arg(0, specs.OpEqualTo, perLinux, 0))
	for _, applet := range []string{"linux32", "linux64"} {
		if r := busybox(t, profile, applet, "true"); r.status.ExitStatus() == 0 {
			t.Errorf("%s with personality 0 or 8 refused: %s", applet, r)
		}
	}
}

// The syscalls a static glibc busybox needs to start, read a file and write
// to stdout, and nothing else.
var busyboxCat = []string{
	"execve", "brk", "arch_prctl", "set_tid_address", "set_robust_list", "rseq", "prlimit64",
	"readlink", "getrandom", "mprotect", "uname", "getuid", "geteuid", "openat", "newfstatat",
	"fstat", "read", "write", "sendfile", "close", "fcntl", "ioctl", "exit_group", "exit",
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "futex", "mmap", "munmap",
}

func TestApplyDefaultErrnoWithAllowList(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "greeting")
	if err := os.WriteFile(file, []byte("hello from a file\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	profile := specs.LinuxSeccomp{
		DefaultAction: specs.ActErrno,
		Syscalls:      []specs.LinuxSyscall{{Names: busyboxCat, Action: specs.ActAllow}},
	}
	if r := busybox(t, profile, "cat", file); r.status.ExitStatus() != 0 || r.stdout != "hello from a file\n" {
		t.Errorf("busybox cat under an allow-list: %s", r)
	}
	// mkdir is known and below the highest allowed syscall: the default, EPERM.
	if r := busybox(t, profile, "mkdir", filepath.Join(dir, "x")); r.status.ExitStatus() != 1 || !strings.Contains(r.stderr, errnoText(unix.EPERM)) {
		t.Errorf("busybox mkdir under an allow-list without it: %s", r)
	}
	profile.DefaultErrnoRet = uintp(uint(unix.EROFS))
	if r := busybox(t, profile, "mkdir", filepath.Join(dir, "x")); !strings.Contains(r.stderr, errnoText(unix.EROFS)) {
		t.Errorf("busybox mkdir under defaultErrnoRet EROFS: %s", r)
	}
}

// A filter compiled in the parent and loaded in the child behaves the same.
func TestLoadEncodedFilter(t *testing.T) {
	profile := denyMkdir(specs.ActErrno, uintp(uint(unix.EMLINK)))
	enc, err := mustCompile(t, &profile).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	r := runChild(t, plan{Encoded: enc, Argv: []string{"busybox", "mkdir", filepath.Join(t.TempDir(), "x")}})
	if !strings.Contains(r.stderr, errnoText(unix.EMLINK)) {
		t.Errorf("busybox mkdir under an encoded filter: %s", r)
	}
}

func TestApplyTsync(t *testing.T) {
	profile := denyMkdir(specs.ActErrno, uintp(uint(unix.EXDEV)))
	profile.Flags = []specs.LinuxSeccompFlag{"SECCOMP_FILTER_FLAG_TSYNC", specs.LinuxSeccompFlagLog, specs.LinuxSeccompFlagSpecAllow}
	r := busybox(t, profile, "mkdir", filepath.Join(t.TempDir(), "x"))
	if !strings.Contains(r.stderr, errnoText(unix.EXDEV)) {
		t.Errorf("busybox mkdir under a TSYNC profile: %s", r)
	}
}

func TestApplyNeedsNoNewPrivsOrCapSysAdmin(t *testing.T) {
	// Load on a thread of this process without no_new_privs; the goroutine
	// ends locked to it, so the thread (and what was done to it) goes too.
	done := make(chan error)
	go func() {
		runtime.LockOSThread()
		f, err := Compile(&specs.LinuxSeccomp{DefaultAction: specs.ActAllow})
		if err == nil {
			// Drop CAP_SYS_ADMIN on this thread only, when root.
			err = dropSysAdmin()
		}
		if err == nil {
			_, err = f.Load()
		}
		done <- err
	}()
	err := <-done
	if err == nil || !strings.Contains(err.Error(), "neither no_new_privs nor CAP_SYS_ADMIN") {
		t.Errorf("Load without no_new_privs or CAP_SYS_ADMIN = %v", err)
	}
}

// dropSysAdmin removes CAP_SYS_ADMIN from the calling thread's effective set.
func dropSysAdmin() error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return err
	}
	data[unix.CAP_SYS_ADMIN/32].Effective &^= 1 << (unix.CAP_SYS_ADMIN % 32)
	return unix.Capset(&hdr, &data[0])
}
