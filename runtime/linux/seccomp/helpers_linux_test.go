package seccomp

import (
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

// The values a filter returns, as the kernel reads them.
const (
	retKillThread  = unix.SECCOMP_RET_KILL_THREAD
	retKillProcess = unix.SECCOMP_RET_KILL_PROCESS
	retTrap        = unix.SECCOMP_RET_TRAP
	retAllow       = unix.SECCOMP_RET_ALLOW
	retLog         = unix.SECCOMP_RET_LOG
	retNotify      = unix.SECCOMP_RET_USER_NOTIF
	amd64          = unix.AUDIT_ARCH_X86_64
)

func retErrno(e unix.Errno) uint32 { return unix.SECCOMP_RET_ERRNO | uint32(e) }
func retTrace(d uint32) uint32     { return unix.SECCOMP_RET_TRACE | d }

func uintp(v uint) *uint { return &v }

// sysno resolves a syscall name for an architecture, failing the test when
// libseccomp does not know it.
func sysno(t testing.TB, name string, arch libseccomp.ScmpArch) int32 {
	t.Helper()
	nr, err := libseccomp.GetSyscallFromNameByArch(name, arch)
	if err != nil {
		t.Fatalf("resolve %s: %v", name, err)
	}
	return int32(nr)
}

// native builds a call to name on x86_64 with the given arguments.
func native(t testing.TB, name string, args ...uint64) call {
	t.Helper()
	c := call{nr: sysno(t, name, libseccomp.ArchAMD64), arch: amd64}
	copy(c.args[:], args)
	return c
}

func mustCompile(t testing.TB, cfg *specs.LinuxSeccomp) *Filter {
	t.Helper()
	f, err := Compile(cfg)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return f
}

// expect checks what f decides for c.
func expect(t testing.TB, f *Filter, c call, want uint32) {
	t.Helper()
	got, err := run(f.Program(), c)
	if err != nil {
		t.Fatalf("run filter on nr %d arch %#x: %v", c.nr, c.arch, err)
	}
	if got != want {
		t.Errorf("nr %d arch %#x args %v: filter returns %#x, want %#x", c.nr, c.arch, c.args[:2], got, want)
	}
}

func sys(action specs.LinuxSeccompAction, names ...string) specs.LinuxSyscall {
	return specs.LinuxSyscall{Names: names, Action: action}
}

func arg(index uint, op specs.LinuxSeccompOperator, value, valueTwo uint64) specs.LinuxSeccompArg {
	return specs.LinuxSeccompArg{Index: index, Op: op, Value: value, ValueTwo: valueTwo}
}

func requireAMD64(t testing.TB) {
	t.Helper()
	if a, _ := libseccomp.GetNativeArch(); a != libseccomp.ArchAMD64 {
		t.Skipf("the test's syscall numbers are for x86_64, this is %s", a)
	}
}
