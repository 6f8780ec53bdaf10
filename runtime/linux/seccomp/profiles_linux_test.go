package seccomp

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/berth-oci/berth/internal/fixture"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

// denied are the syscalls largeProfile refuses, roughly those a container
// default profile refuses without extra capabilities.
var denied = []string{
	"acct", "add_key", "bpf", "clock_adjtime", "clock_settime", "create_module", "delete_module",
	"finit_module", "fsconfig", "fsmount", "fsopen", "fspick", "get_kernel_syms", "init_module",
	"ioperm", "iopl", "kcmp", "kexec_file_load", "kexec_load", "keyctl", "lookup_dcookie", "mount",
	"move_mount", "name_to_handle_at", "nfsservctl", "open_by_handle_at", "open_tree",
	"perf_event_open", "pivot_root", "process_vm_readv", "process_vm_writev", "ptrace",
	"query_module", "quotactl", "reboot", "request_key", "setdomainname", "sethostname", "setns",
	"settimeofday", "swapoff", "swapon", "sysfs", "umount2", "unshare", "uselib", "userfaultfd",
	"ustat", "vhangup", "vm86", "vm86old",
}

// largeProfile is a profile of the size and shape of podman's default:
// default ERRNO, x86_64 with x86 and x32, an allow-list of every other
// syscall libseccomp knows, and argument rules for personality, clone and
// socket.
func largeProfile(t testing.TB) specs.LinuxSeccomp {
	t.Helper()
	native, err := libseccomp.GetNativeArch()
	if err != nil {
		t.Fatal(err)
	}
	conditional := []string{"personality", "clone", "socket"}
	var allowed []string
	for nr := range 1024 {
		name, err := libseccomp.ScmpSyscall(nr).GetNameByArch(native)
		if err == nil && !slices.Contains(denied, name) && !slices.Contains(conditional, name) {
			allowed = append(allowed, name)
		}
	}
	p := specs.LinuxSeccomp{
		DefaultAction: specs.ActErrno,
		Architectures: []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32},
		Syscalls: []specs.LinuxSyscall{
			{Names: allowed, Action: specs.ActAllow},
			{Names: denied, Action: specs.ActErrno, ErrnoRet: uintp(uint(unix.EPERM))},
			// Namespaces flags refused, as docker's profile does.
			{Names: []string{"clone"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{arg(0, specs.OpMaskedEqual, 0x7e020000, 0)}},
			{Names: []string{"socket"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{arg(0, specs.OpNotEqual, unix.AF_VSOCK, 0)}},
		},
	}
	for _, per := range []uint64{0, 8, 0x20000, 0x20008, 0xffffffff} {
		p.Syscalls = append(p.Syscalls, specs.LinuxSyscall{Names: []string{"personality"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{arg(0, specs.OpEqualTo, per, 0)}})
	}
	return p
}

func profileSize(p specs.LinuxSeccomp) int {
	n := 0
	for _, sc := range p.Syscalls {
		n += len(sc.Names)
	}
	return n
}

// podmanProfile reads the default profile Debian's podman ships and turns it
// into a linux.seccomp object the way podman does for a container with
// podman's default capabilities on x86_64.
func podmanProfile(t testing.TB) specs.LinuxSeccomp {
	t.Helper()
	const path = "/usr/share/containers/seccomp.json"
	data, err := os.ReadFile(path)
	if err != nil {
		fixture.Unmet(t, "podman's default seccomp profile: "+err.Error())
	}
	type filter struct {
		Caps   []string `json:"caps"`
		Arches []string `json:"arches"`
	}
	var src struct {
		specs.LinuxSeccomp
		Syscalls []struct {
			specs.LinuxSyscall
			Includes filter `json:"includes"`
			Excludes filter `json:"excludes"`
		} `json:"syscalls"`
	}
	if err := json.Unmarshal(data, &src); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	caps := []string{"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_NET_BIND_SERVICE",
		"CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID", "CAP_SYS_CHROOT"}
	has := func(list []string, any []string) bool {
		return slices.ContainsFunc(list, func(s string) bool { return slices.Contains(any, s) })
	}
	p := src.LinuxSeccomp
	p.Architectures = []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32}
	p.Syscalls = nil
	for _, sc := range src.Syscalls {
		in := (len(sc.Includes.Arches) == 0 || slices.Contains(sc.Includes.Arches, "amd64")) &&
			!slices.ContainsFunc(sc.Includes.Caps, func(c string) bool { return !slices.Contains(caps, c) }) &&
			!has(sc.Excludes.Caps, caps) && !slices.Contains(sc.Excludes.Arches, "amd64")
		if in {
			p.Syscalls = append(p.Syscalls, sc.LinuxSyscall)
		}
	}
	return p
}

func TestPodmanDefaultProfile(t *testing.T) {
	requireAMD64(t)
	profile := podmanProfile(t)
	f := mustCompile(t, &profile)
	t.Logf("podman's profile: %d names, %d instructions, skipped %q", profileSize(profile), len(f.Program()), f.Skipped())
	dir := t.TempDir()
	script := fmt.Sprintf("cd %s && echo ok && mkdir d && rmdir d && ls / >/dev/null && linux32 true", dir)
	if r := busybox(t, profile, "sh", "-c", script); r.status.ExitStatus() != 0 || r.stdout != "ok\n" {
		t.Errorf("busybox sh under podman's profile: %s", r)
	}
	// swapoff is refused with EPERM (without the filter: ENOENT).
	if r := busybox(t, profile, "swapoff", "/berth-no-such-swap"); !strings.Contains(r.stderr, errnoText(unix.EPERM)) {
		t.Errorf("busybox swapoff under podman's profile: %s", r)
	}
}

func TestLargeProfile(t *testing.T) {
	requireAMD64(t)
	profile := largeProfile(t)
	if n := profileSize(profile); n < 300 {
		t.Fatalf("large profile names only %d syscalls", n)
	}
	f := mustCompile(t, &profile)
	t.Logf("large profile: %d names, %d instructions", profileSize(profile), len(f.Program()))
	expect(t, f, native(t, "clone", unix.CLONE_VM|unix.CLONE_THREAD), retAllow)
	expect(t, f, native(t, "clone", unix.CLONE_NEWNS), retErrno(unix.EPERM))
	expect(t, f, native(t, "socket", unix.AF_VSOCK), retErrno(unix.EPERM))
	expect(t, f, native(t, "socket", unix.AF_INET), retAllow)
	expect(t, f, native(t, "personality", 0x20008), retAllow)
	expect(t, f, native(t, "personality", 0x1), retErrno(unix.EPERM))
	expect(t, f, native(t, "mount"), retErrno(unix.EPERM))
}

// A syscall this kernel has but the profile (and libseccomp) does not know
// returns ENOSYS in a real process; a known refused one returns EPERM.
func TestEnosysInARealProcess(t *testing.T) {
	requireAMD64(t)
	profile := largeProfile(t)
	p, err := parse(&profile)
	if err != nil {
		t.Fatal(err)
	}
	last := lastSyscalls(p)[specs.ArchX86_64]
	// statmount and listmount (Linux 6.8) only read, and fail on NULL.
	var newer []uintptr
	for _, nr := range []uintptr{457, 458} {
		if _, _, errno := unix.RawSyscall(nr, 0, 0, 0); nr > uintptr(last) && errno != unix.ENOSYS {
			newer = append(newer, nr)
		}
	}
	if len(newer) == 0 {
		t.Skipf("no syscall both above the profile's last (%d) and known to this kernel", last)
	}
	r := runChild(t, plan{Profile: profile, Probe: append([]uintptr{unix.SYS_GETPID, unix.SYS_MOUNT}, newer...)})
	want := fmt.Sprintf("%d 0\n%d %d\n", unix.SYS_GETPID, unix.SYS_MOUNT, unix.EPERM)
	for _, nr := range newer {
		want += fmt.Sprintf("%d %d\n", nr, unix.ENOSYS)
	}
	if r.status.ExitStatus() != 0 || r.stdout != want {
		t.Errorf("probes under a default-ERRNO profile: %s, want stdout %q", r, want)
	}
}

// BenchmarkApply measures what the container's init pays: compiling a
// podman-sized profile and loading it. Each iteration loads on a thread of
// its own, which ends with the goroutine (filters cannot be removed).
func BenchmarkApply(b *testing.B) {
	requireAMD64(b)
	profile := largeProfile(b)
	b.ReportMetric(float64(profileSize(profile)), "syscalls")
	for b.Loop() {
		if err := onFreshThread(func() error {
			if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
				return err
			}
			_, err := Apply(&profile)
			return err
		}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCompile(b *testing.B) {
	requireAMD64(b)
	for _, tc := range []struct {
		name    string
		profile func(testing.TB) specs.LinuxSeccomp
	}{{"large", largeProfile}, {"podman", podmanProfile}} {
		b.Run(tc.name, func(b *testing.B) {
			profile := tc.profile(b)
			for b.Loop() {
				if _, err := Compile(&profile); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// onFreshThread runs fn on an OS thread that is discarded afterwards.
func onFreshThread(fn func() error) error {
	done := make(chan error)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread exits with the goroutine
		done <- fn()
	}()
	return <-done
}
