package seccomp

import (
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

// Syscall numbers above anything libseccomp 2.5 or the profiles name.
const (
	future    = 1000
	futureX32 = x32Bit | 1000
)

func TestEnosysForSyscallsNewerThanTheProfile(t *testing.T) {
	requireAMD64(t)
	f := mustCompile(t, &specs.LinuxSeccomp{
		DefaultAction: specs.ActErrno,
		Syscalls:      []specs.LinuxSyscall{sys(specs.ActAllow, "read", "write", "mkdir")},
	})
	mkdir := sysno(t, "mkdir", libseccomp.ArchAMD64)
	expect(t, f, native(t, "mkdir"), retAllow)
	expect(t, f, native(t, "open"), retErrno(unix.EPERM)) // known, below mkdir: the default
	expect(t, f, call{nr: mkdir + 1, arch: amd64}, retErrno(unix.ENOSYS))
	expect(t, f, call{nr: future, arch: amd64}, retErrno(unix.ENOSYS))
	// -1 (a tracer's skipped syscall) is left to libseccomp: the default.
	expect(t, f, call{nr: -1, arch: amd64}, retErrno(unix.EPERM))
	// x32 is not in the profile: libseccomp's bad-arch action, not ENOSYS.
	expect(t, f, call{nr: futureX32, arch: amd64}, retKillThread)
	expect(t, f, call{nr: 3, arch: unix.AUDIT_ARCH_I386}, retKillThread)
}

func TestEnosysPerArchitecture(t *testing.T) {
	requireAMD64(t)
	f := mustCompile(t, &specs.LinuxSeccomp{
		DefaultAction: specs.ActKillProcess,
		Architectures: []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32},
		Syscalls: []specs.LinuxSyscall{
			sys(specs.ActAllow, "getpid", "socketcall"), // socketcall exists on x86 only
			{Names: []string{"getcwd"}, Action: specs.ActErrno, ErrnoRet: uintp(uint(unix.EROFS))},
		},
	})
	for _, a := range []struct {
		scmp  libseccomp.ScmpArch
		audit uint32
	}{{libseccomp.ArchAMD64, amd64}, {libseccomp.ArchX86, unix.AUDIT_ARCH_I386}, {libseccomp.ArchX32, amd64}} {
		getpid, getcwd := sysno(t, "getpid", a.scmp), sysno(t, "getcwd", a.scmp)
		expect(t, f, call{nr: getpid, arch: a.audit}, retAllow)
		expect(t, f, call{nr: getcwd, arch: a.audit}, retErrno(unix.EROFS))
		last := max(getpid, getcwd)
		if a.scmp == libseccomp.ArchX86 {
			last = max(last, sysno(t, "socketcall", a.scmp))
		}
		expect(t, f, call{nr: last + 1, arch: a.audit}, retErrno(unix.ENOSYS))
		expect(t, f, call{nr: min(getpid, getcwd) + 1, arch: a.audit}, retKillProcess)
	}
	expect(t, f, call{nr: 3, arch: unix.AUDIT_ARCH_AARCH64}, retKillThread)
}

func TestNoEnosysStub(t *testing.T) {
	requireAMD64(t)
	cases := []struct {
		name string
		cfg  specs.LinuxSeccomp
		want uint32
	}{
		{"allow", specs.LinuxSeccomp{DefaultAction: specs.ActAllow}, retAllow},
		{"log", specs.LinuxSeccomp{DefaultAction: specs.ActLog}, retLog},
		{"trace", specs.LinuxSeccomp{DefaultAction: specs.ActTrace}, retTrace(uint32(unix.EPERM))},
		{"errno ENOSYS", specs.LinuxSeccomp{DefaultAction: specs.ActErrno, DefaultErrnoRet: uintp(uint(unix.ENOSYS))}, retErrno(unix.ENOSYS)},
		{"errno EPERM", specs.LinuxSeccomp{DefaultAction: specs.ActErrno}, retErrno(unix.ENOSYS)},
		{"kill", specs.LinuxSeccomp{DefaultAction: specs.ActKill}, retErrno(unix.ENOSYS)},
		{"trap", specs.LinuxSeccomp{DefaultAction: specs.ActTrap}, retErrno(unix.ENOSYS)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Syscalls = []specs.LinuxSyscall{sys(specs.ActNotify, "getpid")}
			tc.cfg.ListenerPath = "/run/agent.sock"
			f := mustCompile(t, &tc.cfg)
			expect(t, f, call{nr: future, arch: amd64}, tc.want)
		})
	}
}

// A profile naming no syscall the library knows gets no limit: everything
// takes the default action.
func TestEnosysWithoutKnownSyscalls(t *testing.T) {
	requireAMD64(t)
	f := mustCompile(t, &specs.LinuxSeccomp{
		DefaultAction: specs.ActErrno,
		Syscalls:      []specs.LinuxSyscall{sys(specs.ActAllow, "berth_no_such_syscall")},
	})
	expect(t, f, call{nr: future, arch: amd64}, retErrno(unix.EPERM))
	expect(t, f, native(t, "read"), retErrno(unix.EPERM))
}

func TestAssemblerRejectsLongJumps(t *testing.T) {
	var a asm
	a.jump(unix.BPF_JEQ, 1, "far", "")
	for range 256 {
		a.stmt(unix.BPF_LD|unix.BPF_W|unix.BPF_ABS, 0)
	}
	a.label("far")
	if _, err := a.assemble(); err == nil {
		t.Error("a conditional jump over 256 instructions assembled")
	}
	var b asm
	b.jump(unix.BPF_JA, 0, "nowhere", "")
	if _, err := b.assemble(); err == nil {
		t.Error("a jump to a missing label assembled")
	}
}
