package seccomp

import (
	"errors"
	"strings"
	"testing"

	"github.com/berth-oci/berth/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

func TestInvalidProfiles(t *testing.T) {
	allow := func(mod func(*specs.LinuxSeccomp)) *specs.LinuxSeccomp {
		cfg := &specs.LinuxSeccomp{
			DefaultAction: specs.ActAllow,
			Syscalls:      []specs.LinuxSyscall{sys(specs.ActErrno, "getcwd"), sys(specs.ActLog, "getpid"), sys(specs.ActErrno, "mkdir"), sys(specs.ActTrap, "rmdir")},
		}
		mod(cfg)
		return cfg
	}
	cases := []struct {
		name string
		cfg  *specs.LinuxSeccomp
		want string
	}{
		{"nil", nil, "seccomp: no linux.seccomp object: invalid argument"},
		{"unknown action", allow(func(c *specs.LinuxSeccomp) { c.Syscalls[3].Action = "SCMP_ACT_FOO" }),
			`seccomp: syscalls[3]: unknown action "SCMP_ACT_FOO"`},
		{"empty default", allow(func(c *specs.LinuxSeccomp) { c.DefaultAction = "" }),
			`seccomp: defaultAction: unknown action ""`},
		{"lowercase action", allow(func(c *specs.LinuxSeccomp) { c.DefaultAction = "scmp_act_allow" }),
			`seccomp: defaultAction: unknown action "scmp_act_allow"`},
		{"errnoRet on allow", allow(func(c *specs.LinuxSeccomp) {
			c.Syscalls[1] = specs.LinuxSyscall{Names: []string{"getpid"}, Action: specs.ActKill, ErrnoRet: uintp(1)}
		}),
			"seccomp: syscalls[1].errnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno, not SCMP_ACT_KILL"},
		{"defaultErrnoRet on allow", allow(func(c *specs.LinuxSeccomp) { c.DefaultErrnoRet = uintp(1) }),
			"seccomp: defaultErrnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno, not SCMP_ACT_ALLOW"},
		{"errno too large", allow(func(c *specs.LinuxSeccomp) { c.Syscalls[0].ErrnoRet = uintp(4096) }),
			"seccomp: syscalls[0].errnoRet: 4096 is out of range for SCMP_ACT_ERRNO (0-4095)"},
		{"trace data too large", allow(func(c *specs.LinuxSeccomp) {
			c.Syscalls[0].Action, c.Syscalls[0].ErrnoRet = specs.ActTrace, uintp(65536)
		}),
			"seccomp: syscalls[0].errnoRet: 65536 is out of range for SCMP_ACT_TRACE (0-65535)"},
		{"notify default", allow(func(c *specs.LinuxSeccomp) { c.DefaultAction, c.ListenerPath = specs.ActNotify, "/run/a.sock" }),
			"seccomp: defaultAction: SCMP_ACT_NOTIFY cannot be the default action"},
		{"notify write", allow(func(c *specs.LinuxSeccomp) {
			c.ListenerPath = "/run/a.sock"
			c.Syscalls[2] = sys(specs.ActNotify, "mkdir", "write")
		}), "seccomp: syscalls[2].names[1]: SCMP_ACT_NOTIFY cannot be used for write"},
		{"notify without listener", allow(func(c *specs.LinuxSeccomp) { c.Syscalls[2].Action = specs.ActNotify }),
			"seccomp: listenerPath: required when a rule uses SCMP_ACT_NOTIFY"},
		{"metadata without listener", allow(func(c *specs.LinuxSeccomp) { c.ListenerMetadata = "x" }),
			"seccomp: listenerMetadata: set without listenerPath"},
		{"no names", allow(func(c *specs.LinuxSeccomp) { c.Syscalls[2].Names = nil }),
			"seccomp: syscalls[2]: names is empty"},
		{"empty name", allow(func(c *specs.LinuxSeccomp) { c.Syscalls[2].Names = []string{"mkdir", ""} }),
			"seccomp: syscalls[2].names[1]: empty syscall name"},
		{"unknown arch", allow(func(c *specs.LinuxSeccomp) { c.Architectures = []specs.Arch{specs.ArchX86, "SCMP_ARCH_FOO"} }),
			`seccomp: architectures[1]: unknown architecture "SCMP_ARCH_FOO"`},
		{"unknown flag", allow(func(c *specs.LinuxSeccomp) {
			c.Flags = []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog, "SECCOMP_FILTER_FLAG_FOO"}
		}),
			`seccomp: flags[1]: unknown flag "SECCOMP_FILTER_FLAG_FOO"`},
		{"unknown operator", allow(func(c *specs.LinuxSeccomp) {
			c.Syscalls[2].Args = []specs.LinuxSeccompArg{arg(0, specs.OpEqualTo, 1, 0), arg(1, "SCMP_CMP_FOO", 1, 0)}
		}), `seccomp: syscalls[2].args[1]: unknown operator "SCMP_CMP_FOO"`},
		{"argument index", allow(func(c *specs.LinuxSeccomp) {
			c.Syscalls[2].Args = []specs.LinuxSeccompArg{arg(6, specs.OpEqualTo, 1, 0)}
		}),
			"seccomp: syscalls[2].args[0]: index 6 is out of range (0-5)"},
		{"too many alternatives", allow(func(c *specs.LinuxSeccomp) {
			for i := range 65 {
				c.Syscalls[2].Args = append(c.Syscalls[2].Args, arg(0, specs.OpEqualTo, uint64(i), 0))
			}
		}), "seccomp: syscalls[2].args: conditions on the same argument expand to more than 64 rules"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Compile(tc.cfg)
			if err == nil {
				t.Fatalf("Compile succeeded (%d instructions), want %q", len(f.Program()), tc.want)
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error = %q\nwant     %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
			if !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Errorf("error %q is not ErrInvalidArgument", err)
			}
			if _, aerr := Apply(tc.cfg); aerr == nil || aerr.Error() != err.Error() {
				t.Errorf("Apply = %v, want the error of Compile", aerr)
			}
		})
	}
}

// Two unconditional rules for one syscall: libseccomp keeps the first, as
// with runc, rather than refusing the profile.
func TestConflictingRulesFirstWins(t *testing.T) {
	requireAMD64(t)
	for _, tc := range []struct {
		first, second specs.LinuxSeccompAction
		want          uint32
	}{{specs.ActAllow, specs.ActLog, retAllow}, {specs.ActLog, specs.ActAllow, retLog}} {
		f := mustCompile(t, &specs.LinuxSeccomp{
			DefaultAction: specs.ActErrno,
			Syscalls:      []specs.LinuxSyscall{sys(tc.first, "getcwd"), sys(tc.second, "getpid", "getcwd")},
		})
		expect(t, f, native(t, "getcwd"), tc.want)
	}
}

func TestProfileTooLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("libseccomp takes seconds over a profile this size")
	}
	var calls []specs.LinuxSyscall
	for nr := range 15 { // each about 300 instructions
		name, err := libseccomp.ScmpSyscall(nr).GetName()
		if err != nil {
			t.Fatal(err)
		}
		sc := sys(specs.ActErrno, name)
		// 8 x 8 alternatives of two 64-bit comparisons, different for each
		// syscall (libseccomp shares identical blocks).
		for v := range uint64(8) {
			v += uint64(nr) * 8
			sc.Args = append(sc.Args, arg(0, specs.OpEqualTo, v<<33|v, 0), arg(1, specs.OpEqualTo, v<<40|v, 0))
		}
		calls = append(calls, sc)
	}
	f, err := Compile(&specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: calls})
	if err == nil {
		t.Fatalf("Compile of a huge profile made %d instructions", len(f.Program()))
	}
	if !errors.Is(err, errdefs.ErrUnavailable) || !strings.Contains(err.Error(), "over the kernel's limit of 4096") {
		t.Errorf("Compile of a huge profile = %v", err)
	}
}

func TestLoadZeroFilter(t *testing.T) {
	var f Filter
	if _, err := f.Load(); err == nil || !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("Load of a zero Filter = %v", err)
	}
}

// An older kernel: the flags and actions it lacks are ErrUnavailable, named.
func TestOlderKernel(t *testing.T) {
	flagsWas, actionWas := kernelFlags, kernelHasAction
	defer func() { kernelFlags, kernelHasAction = flagsWas, actionWas }()
	kernelFlags = func() uint { return unix.SECCOMP_FILTER_FLAG_TSYNC }
	kernelHasAction = func(act action) bool { return act.kind() != actLog }
	for _, tc := range []struct {
		cfg  specs.LinuxSeccomp
		want string
	}{
		{specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{"SECCOMP_FILTER_FLAG_TSYNC", specs.LinuxSeccompFlagSpecAllow}},
			"seccomp: flags[1]: SECCOMP_FILTER_FLAG_SPEC_ALLOW is not supported by this kernel"},
		{specs.LinuxSeccomp{DefaultAction: specs.ActLog},
			"seccomp: defaultAction: SCMP_ACT_LOG is not supported by this kernel"},
		{specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{sys(specs.ActErrno, "mkdir"), sys(specs.ActLog, "getcwd")}},
			"seccomp: syscalls[1].action: SCMP_ACT_LOG is not supported by this kernel"},
	} {
		_, err := Compile(&tc.cfg)
		if err == nil || err.Error() != tc.want || !errors.Is(err, errdefs.ErrUnavailable) {
			t.Errorf("Compile = %v, want %q (ErrUnavailable)", err, tc.want)
		}
	}
	if _, err := Compile(&specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Flags: []specs.LinuxSeccompFlag{"SECCOMP_FILTER_FLAG_TSYNC"}}); err != nil {
		t.Errorf("what the older kernel has: %v", err)
	}
}
