package seccomp

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/berth-oci/berth/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

func TestEveryActionAsRule(t *testing.T) {
	requireAMD64(t)
	cases := []struct {
		action specs.LinuxSeccompAction
		errno  *uint
		want   uint32
	}{
		{specs.ActKill, nil, retKillThread},
		{specs.ActKillThread, nil, retKillThread},
		{specs.ActKillProcess, nil, retKillProcess},
		{specs.ActTrap, nil, retTrap},
		{specs.ActErrno, nil, retErrno(unix.EPERM)},
		{specs.ActErrno, uintp(uint(unix.ETXTBSY)), retErrno(unix.ETXTBSY)},
		{specs.ActErrno, uintp(0), retErrno(0)},
		{specs.ActTrace, nil, retTrace(uint32(unix.EPERM))},
		{specs.ActTrace, uintp(4242), retTrace(4242)},
		{specs.ActAllow, nil, retAllow},
		{specs.ActLog, nil, retLog},
		{specs.ActNotify, nil, retNotify},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s/%v", tc.action, tc.errno != nil), func(t *testing.T) {
			def := specs.ActAllow
			if tc.action == specs.ActAllow {
				def = specs.ActErrno
			}
			r := sys(tc.action, "getcwd")
			r.ErrnoRet = tc.errno
			cfg := &specs.LinuxSeccomp{DefaultAction: def, Syscalls: []specs.LinuxSyscall{r}}
			if tc.action == specs.ActNotify {
				cfg.ListenerPath = "/run/agent.sock"
			}
			f := mustCompile(t, cfg)
			expect(t, f, native(t, "getcwd"), tc.want)
			if tc.action != specs.ActAllow {
				expect(t, f, native(t, "getpid"), retAllow)
			}
			if got := f.Notify(); got != (tc.action == specs.ActNotify) {
				t.Errorf("Notify() = %v", got)
			}
		})
	}
}

func TestEveryActionAsDefault(t *testing.T) {
	requireAMD64(t)
	cases := []struct {
		action specs.LinuxSeccompAction
		errno  *uint
		want   uint32
	}{
		{specs.ActKill, nil, retKillThread},
		{specs.ActKillThread, nil, retKillThread},
		{specs.ActKillProcess, nil, retKillProcess},
		{specs.ActTrap, nil, retTrap},
		{specs.ActErrno, nil, retErrno(unix.EPERM)},
		{specs.ActErrno, uintp(uint(unix.ENXIO)), retErrno(unix.ENXIO)},
		{specs.ActTrace, uintp(7), retTrace(7)},
		{specs.ActAllow, nil, retAllow},
		{specs.ActLog, nil, retLog},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s/%v", tc.action, tc.errno != nil), func(t *testing.T) {
			other := specs.ActAllow
			if tc.action == specs.ActAllow {
				other = specs.ActLog
			}
			f := mustCompile(t, &specs.LinuxSeccomp{
				DefaultAction:   tc.action,
				DefaultErrnoRet: tc.errno,
				Syscalls:        []specs.LinuxSyscall{sys(other, "exit_group")},
			})
			expect(t, f, native(t, "getcwd"), tc.want)
			want := uint32(retAllow)
			if other == specs.ActLog {
				want = retLog
			}
			expect(t, f, native(t, "exit_group"), want)
		})
	}
}

func TestOperators(t *testing.T) {
	requireAMD64(t)
	const hi = 1 << 32 // the filter compares both halves of a 64-bit argument
	cases := []struct {
		op          specs.LinuxSeccompOperator
		value, two  uint64
		match, miss []uint64
	}{
		{specs.OpEqualTo, 8, 0, []uint64{8}, []uint64{7, 9, hi + 8}},
		{specs.OpEqualTo, hi + 1, 0, []uint64{hi + 1}, []uint64{1, hi}},
		{specs.OpNotEqual, 8, 0, []uint64{0, 7, 9, hi + 8}, []uint64{8}},
		{specs.OpLessThan, 8, 0, []uint64{0, 7}, []uint64{8, 9, hi}},
		{specs.OpLessEqual, 8, 0, []uint64{0, 8}, []uint64{9, hi + 1}},
		{specs.OpGreaterThan, 8, 0, []uint64{9, hi}, []uint64{0, 8}},
		{specs.OpGreaterThan, 0xffffffff, 0, []uint64{hi, hi + 5}, []uint64{0xffffffff, 5}},
		{specs.OpGreaterEqual, 8, 0, []uint64{8, hi}, []uint64{0, 7}},
		// value is the mask, valueTwo the datum: docker's clone rule.
		{specs.OpMaskedEqual, 0x7e020000, 0, []uint64{0, 0x11, unix.CLONE_VM | unix.CLONE_FS}, []uint64{unix.CLONE_NEWNS, unix.CLONE_NEWUSER | 1}},
		{specs.OpMaskedEqual, 0xff, 0x42, []uint64{0x42, 0x1042}, []uint64{0x43, 0}},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s/%#x/%#x", tc.op, tc.value, tc.two), func(t *testing.T) {
			r := sys(specs.ActErrno, "personality")
			r.Args = []specs.LinuxSeccompArg{arg(0, tc.op, tc.value, tc.two)}
			f := mustCompile(t, &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{r}})
			for _, v := range tc.match {
				expect(t, f, native(t, "personality", v), retErrno(unix.EPERM))
			}
			for _, v := range tc.miss {
				expect(t, f, native(t, "personality", v), retAllow)
			}
		})
	}
}

func TestArgumentsOnDifferentIndexesAreANDed(t *testing.T) {
	requireAMD64(t)
	r := sys(specs.ActErrno, "socket")
	r.Args = []specs.LinuxSeccompArg{arg(0, specs.OpEqualTo, unix.AF_INET, 0), arg(1, specs.OpEqualTo, unix.SOCK_RAW, 0)}
	f := mustCompile(t, &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{r}})
	expect(t, f, native(t, "socket", unix.AF_INET, unix.SOCK_RAW), retErrno(unix.EPERM))
	expect(t, f, native(t, "socket", unix.AF_INET, unix.SOCK_STREAM), retAllow)
	expect(t, f, native(t, "socket", unix.AF_UNIX, unix.SOCK_RAW), retAllow)
}

// libseccomp refuses two conditions on one argument in a rule; they become
// alternatives, and the other indexes stay ANDed with each.
func TestSameArgumentConditionsAreSplit(t *testing.T) {
	requireAMD64(t)
	r := sys(specs.ActErrno, "personality")
	r.Args = []specs.LinuxSeccompArg{arg(0, specs.OpEqualTo, 1, 0), arg(0, specs.OpEqualTo, 2, 0)}
	mixed := sys(specs.ActErrno, "socket")
	mixed.ErrnoRet = uintp(uint(unix.EAFNOSUPPORT))
	mixed.Args = []specs.LinuxSeccompArg{
		arg(0, specs.OpEqualTo, unix.AF_INET, 0),
		arg(1, specs.OpEqualTo, unix.SOCK_RAW, 0),
		arg(0, specs.OpEqualTo, unix.AF_INET6, 0),
	}
	f := mustCompile(t, &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{r, mixed}})
	expect(t, f, native(t, "personality", 1), retErrno(unix.EPERM))
	expect(t, f, native(t, "personality", 2), retErrno(unix.EPERM))
	expect(t, f, native(t, "personality", 3), retAllow)
	expect(t, f, native(t, "socket", unix.AF_INET, unix.SOCK_RAW), retErrno(unix.EAFNOSUPPORT))
	expect(t, f, native(t, "socket", unix.AF_INET6, unix.SOCK_RAW), retErrno(unix.EAFNOSUPPORT))
	expect(t, f, native(t, "socket", unix.AF_INET6, unix.SOCK_STREAM), retAllow)
	expect(t, f, native(t, "socket", unix.AF_UNIX, unix.SOCK_RAW), retAllow)
}

func TestAlternatives(t *testing.T) {
	alts, err := alternatives("syscalls[0]", []specs.LinuxSeccompArg{
		arg(0, specs.OpEqualTo, 1, 0), arg(1, specs.OpEqualTo, 5, 0), arg(0, specs.OpEqualTo, 2, 0), arg(1, specs.OpEqualTo, 6, 0),
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, alt := range alts {
		s := ""
		for _, c := range alt {
			s += fmt.Sprintf("a%d==%d ", c.arg, c.value)
		}
		got = append(got, s)
	}
	want := []string{"a0==1 a1==5 ", "a0==1 a1==6 ", "a0==2 a1==5 ", "a0==2 a1==6 "}
	if !slices.Equal(got, want) {
		t.Errorf("alternatives = %q, want %q", got, want)
	}
}

func TestUnknownSyscallNamesAreSkipped(t *testing.T) {
	requireAMD64(t)
	f := mustCompile(t, &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Syscalls: []specs.LinuxSyscall{
			sys(specs.ActErrno, "berth_no_such_syscall", "getcwd", "berth_no_such_syscall"),
			sys(specs.ActKill, "berth_other"),
		},
	})
	if got, want := f.Skipped(), []string{"berth_no_such_syscall", "berth_other"}; !slices.Equal(got, want) {
		t.Errorf("Skipped() = %q, want %q", got, want)
	}
	expect(t, f, native(t, "getcwd"), retErrno(unix.EPERM))
}

// A syscall named only for another architecture resolves to a libseccomp
// pseudo number and is neither skipped nor an error on x86_64.
func TestForeignSyscallNames(t *testing.T) {
	requireAMD64(t)
	f := mustCompile(t, &specs.LinuxSeccomp{
		DefaultAction: specs.ActErrno,
		Architectures: []specs.Arch{specs.ArchX86},
		Syscalls:      []specs.LinuxSyscall{sys(specs.ActAllow, "socketcall", "_llseek", "getcwd")},
	})
	if len(f.Skipped()) != 0 {
		t.Errorf("Skipped() = %q", f.Skipped())
	}
	expect(t, f, call{nr: sysno(t, "socketcall", libseccomp.ArchX86), arch: unix.AUDIT_ARCH_I386}, retAllow)
	expect(t, f, call{nr: sysno(t, "_llseek", libseccomp.ArchX86), arch: unix.AUDIT_ARCH_I386}, retAllow)
}

func TestRuleWithTheDefaultActionIsSkipped(t *testing.T) {
	requireAMD64(t)
	f := mustCompile(t, &specs.LinuxSeccomp{
		DefaultAction: specs.ActErrno,
		Syscalls: []specs.LinuxSyscall{
			sys(specs.ActAllow, "exit_group", "getpid"),
			sys(specs.ActErrno, "getcwd"), // EPERM, like the default
			{Names: []string{"mkdir"}, Action: specs.ActErrno, ErrnoRet: uintp(uint(unix.EROFS))},
		},
	})
	expect(t, f, native(t, "getcwd"), retErrno(unix.EPERM))
	expect(t, f, native(t, "mkdir"), retErrno(unix.EROFS))
	expect(t, f, native(t, "getpid"), retAllow)
}

func TestArchitectures(t *testing.T) {
	requireAMD64(t)
	for name, a := range archs {
		t.Run(string(name), func(t *testing.T) {
			scmp := scmpArchs[name]
			f, err := Compile(&specs.LinuxSeccomp{
				DefaultAction: specs.ActAllow,
				Architectures: []specs.Arch{name},
				Syscalls:      []specs.LinuxSyscall{sys(specs.ActErrno, "getcwd")},
			})
			if !slices.Contains(libArchs(), string(name)) {
				want := fmt.Sprintf("seccomp: architectures[0]: the syscall tables of libseccomp %s have no %s", tablesVersion, name)
				if a.table.known {
					want = fmt.Sprintf("seccomp: architectures[0]: %s cannot join a filter for SCMP_ARCH_X86_64: its byte order differs", name)
				}
				if err == nil || !errdefs.IsUnavailable(err) || err.Error() != want {
					t.Fatalf("Compile = %v, want an ErrUnavailable starting %q", err, want)
				}
				return
			}
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			expect(t, f, call{nr: sysno(t, "getcwd", scmp), arch: a.audit}, retErrno(unix.EPERM))
			expect(t, f, native(t, "getcwd"), retErrno(unix.EPERM))
		})
	}
}

func TestArchitectureOutsideTheFilterIsKilled(t *testing.T) {
	requireAMD64(t)
	for _, defaultAction := range []specs.LinuxSeccompAction{specs.ActAllow, specs.ActErrno} {
		f := mustCompile(t, &specs.LinuxSeccomp{
			DefaultAction: defaultAction,
			Syscalls:      []specs.LinuxSyscall{sys(specs.ActLog, "getcwd")},
		})
		expect(t, f, call{nr: sysno(t, "getcwd", libseccomp.ArchX86), arch: unix.AUDIT_ARCH_I386}, retKillThread)
		expect(t, f, call{nr: sysno(t, "getcwd", libseccomp.ArchX32), arch: amd64}, retKillThread)
	}
}

func TestFlags(t *testing.T) {
	listener := "/run/agent.sock"
	notify := []specs.LinuxSyscall{sys(specs.ActNotify, "mkdir")}
	cases := []struct {
		flags    []specs.LinuxSeccompFlag
		syscalls []specs.LinuxSyscall
		want     uint
	}{
		{nil, nil, 0},
		{[]specs.LinuxSeccompFlag{"SECCOMP_FILTER_FLAG_TSYNC"}, nil, unix.SECCOMP_FILTER_FLAG_TSYNC},
		{[]specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog}, nil, unix.SECCOMP_FILTER_FLAG_LOG},
		{[]specs.LinuxSeccompFlag{specs.LinuxSeccompFlagSpecAllow}, nil, unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW},
		{[]specs.LinuxSeccompFlag{specs.LinuxSeccompFlagWaitKillableRecv}, nil, 0},
		{nil, notify, unix.SECCOMP_FILTER_FLAG_NEW_LISTENER},
		{[]specs.LinuxSeccompFlag{specs.LinuxSeccompFlagWaitKillableRecv}, notify,
			unix.SECCOMP_FILTER_FLAG_NEW_LISTENER | unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV},
		{[]specs.LinuxSeccompFlag{"SECCOMP_FILTER_FLAG_TSYNC", specs.LinuxSeccompFlagLog}, notify,
			unix.SECCOMP_FILTER_FLAG_NEW_LISTENER | unix.SECCOMP_FILTER_FLAG_TSYNC | unix.SECCOMP_FILTER_FLAG_TSYNC_ESRCH | unix.SECCOMP_FILTER_FLAG_LOG},
	}
	for _, tc := range cases {
		f := mustCompile(t, &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Flags: tc.flags, Syscalls: tc.syscalls, ListenerPath: listener})
		if f.Flags() != tc.want {
			t.Errorf("flags %q, notify %v: Flags() = %#x, want %#x", tc.flags, tc.syscalls != nil, f.Flags(), tc.want)
		}
	}
}

func TestFeatures(t *testing.T) {
	f := Features()
	if f.Enabled == nil || !*f.Enabled {
		t.Error("seccomp not enabled")
	}
	for _, want := range []struct {
		got  []string
		name string
		n    int
	}{{f.Actions, "actions", 9}, {f.Operators, "operators", 7}, {f.KnownFlags, "knownFlags", 4}} {
		if len(want.got) != want.n || !slices.IsSorted(want.got) {
			t.Errorf("%s = %q, want %d sorted names", want.name, want.got, want.n)
		}
	}
	if !slices.Contains(f.Archs, string(specs.ArchX86_64)) || !slices.Contains(f.Archs, string(specs.ArchAARCH64)) {
		t.Errorf("archs = %q", f.Archs)
	}
	for _, name := range f.SupportedFlags {
		if !slices.Contains(f.KnownFlags, name) {
			t.Errorf("supported flag %s is not known", name)
		}
		// A supported flag must compile.
		if _, err := Compile(&specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{specs.LinuxSeccompFlag(name)}}); err != nil {
			t.Errorf("supported flag %s: %v", name, err)
		}
	}
	// Every flag is in Linux 5.19; older kernels may lack some.
	var uname unix.Utsname
	if err := unix.Uname(&uname); err != nil {
		t.Fatal(err)
	}
	var major, minor int
	fmt.Sscanf(unix.ByteSliceToString(uname.Release[:]), "%d.%d", &major, &minor)
	if (major > 5 || major == 5 && minor >= 19) && len(f.SupportedFlags) != 4 {
		t.Errorf("Linux %d.%d supports only %q", major, minor, f.SupportedFlags)
	}
}

func TestSkippedNamesAreLogged(t *testing.T) {
	var logs strings.Builder
	defer slog.SetDefault(slog.Default())
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	mustCompile(t, &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{sys(specs.ActErrno, "berth_future_syscall")}})
	if !strings.Contains(logs.String(), "level=DEBUG") || !strings.Contains(logs.String(), "syscall=berth_future_syscall") {
		t.Errorf("debug log = %q", logs.String())
	}
}
