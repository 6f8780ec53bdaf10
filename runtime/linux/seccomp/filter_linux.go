package seccomp

import (
	"fmt"
	"runtime"
	"slices"
	"unsafe"

	"github.com/berth-oci/berth/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// maxInsns is the kernel's limit on one program (BPF_MAXINSNS).
const maxInsns = 4096

// Filter is a compiled linux.seccomp profile: the BPF program and the
// seccomp(2) flags to load it with. It holds no kernel
// resources and may be loaded any number of times, on any thread.
type Filter struct {
	program []unix.SockFilter
	flags   uint
	notify  bool
	skipped []string
}

// Compile checks cfg and builds its program without loading it, so that
// `create` fails early, in the parent, with an error naming the field at
// fault (errdefs.ErrInvalidArgument), or naming what this kernel or the
// syscall tables lack (errdefs.ErrUnavailable). It has no side effects.
func Compile(cfg *specs.LinuxSeccomp) (*Filter, error) {
	p, err := parse(cfg)
	if err != nil {
		return nil, err
	}
	if err := checkKernel(p); err != nil {
		return nil, err
	}
	prog, skipped, err := build(p)
	if err != nil {
		return nil, err
	}
	if needsStub(p.defaultAction) {
		stub, err := enosysStub(p)
		if err != nil {
			return nil, err
		}
		prog = append(stub, prog...)
	}
	if len(prog) > maxInsns {
		return nil, unavailable("syscalls", "the profile compiles to %d BPF instructions, over the kernel's limit of %d", len(prog), maxInsns)
	}
	return &Filter{program: prog, flags: loadFlags(p), notify: p.notify, skipped: skipped}, nil
}

func checkKernel(p *profile) error {
	have := kernelFlags()
	for _, f := range p.flags {
		if have&f.bit == 0 {
			return unavailable(f.field, "%s is not supported by this kernel", f.name)
		}
	}
	if !kernelHasAction(p.defaultAction) {
		return unavailable("defaultAction", "%s is not supported by this kernel", actionName(p.defaultAction))
	}
	for _, r := range p.rules {
		if !kernelHasAction(r.action) {
			return unavailable(r.field+".action", "%s is not supported by this kernel", actionName(r.action))
		}
	}
	return nil
}

func loadFlags(p *profile) uint {
	var bits uint
	for _, f := range p.flags {
		bits |= f.bit
	}
	if !p.notify {
		// The kernel refuses it without a listener, where it means nothing.
		return bits &^ unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
	}
	bits |= unix.SECCOMP_FILTER_FLAG_NEW_LISTENER
	if bits&unix.SECCOMP_FILTER_FLAG_TSYNC != 0 {
		// Without TSYNC_ESRCH a TSYNC failure returns a thread id, which
		// cannot be told apart from the listener fd; the kernel refuses.
		bits |= unix.SECCOMP_FILTER_FLAG_TSYNC_ESRCH
	}
	return bits
}

// Program returns a copy of the BPF program, stub included.
func (f *Filter) Program() []unix.SockFilter { return slices.Clone(f.program) }

// Flags returns the seccomp(2) flags Load passes (SECCOMP_FILTER_FLAG_*).
func (f *Filter) Flags() uint { return f.flags }

// Notify reports whether the profile uses SCMP_ACT_NOTIFY, so that Load
// returns a listener fd.
func (f *Filter) Notify() bool { return f.notify }

// Skipped returns the syscall names of the profile that the syscall tables
// (libseccomp's) do not know, which have no rule (sorted, without duplicates).
func (f *Filter) Skipped() []string { return slices.Clone(f.skipped) }

// Load installs the filter on the calling thread (on every thread of the
// process with SECCOMP_FILTER_FLAG_TSYNC) and returns the listener fd when
// the profile uses SCMP_ACT_NOTIFY, else -1. The listener fd is close-on-exec.
//
// It locks the calling goroutine to its OS thread and never unlocks it: the
// filtered thread must be the one that calls execve, and must never run
// another goroutine; if the goroutine ends, the Go runtime ends the thread.
// The thread needs no_new_privs or CAP_SYS_ADMIN; Load does not set
// no_new_privs itself, that is process.noNewPrivileges' business.
func (f *Filter) Load() (notifyFD int, err error) {
	if len(f.program) == 0 {
		return -1, fmt.Errorf("seccomp: load filter: empty program (a Filter comes from Compile or UnmarshalBinary): %w", errdefs.ErrInvalidArgument)
	}
	runtime.LockOSThread()
	fprog := unix.SockFprog{Len: uint16(len(f.program)), Filter: &f.program[0]}
	r, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, uintptr(f.flags), uintptr(unsafe.Pointer(&fprog)))
	runtime.KeepAlive(f.program)
	switch {
	case errno == unix.EACCES:
		return -1, fmt.Errorf("seccomp: load filter: %w: the thread has neither no_new_privs nor CAP_SYS_ADMIN (%w)", errno, errdefs.ErrFailedPrecondition)
	case errno == unix.ESRCH && f.flags&unix.SECCOMP_FILTER_FLAG_TSYNC != 0:
		return -1, fmt.Errorf("seccomp: load filter: another thread could not be synchronized: %w", errno)
	case errno != 0:
		return -1, fmt.Errorf("seccomp: load filter: %w", errno)
	case f.notify:
		return int(r), nil
	case r != 0: // TSYNC without ESRCH reports the thread that failed
		return -1, fmt.Errorf("seccomp: load filter: thread %d could not be synchronized", r)
	}
	return -1, nil
}

// Apply compiles cfg and installs it on the calling thread: see Filter.Load
// for what it needs and does. Call it on the thread that will execve the
// user's process, as late as possible: after setuid and dropping
// capabilities, right before execve, because from then on every syscall of
// the runtime is subject to the user's profile too. Without no_new_privs
// (process.noNewPrivileges false) the thread needs CAP_SYS_ADMIN, so it must
// apply before dropping capabilities, as runc does, and the profile must
// then let the rest of the setup through (capset, setuid, prctl...).
//
// When cfg uses SCMP_ACT_NOTIFY the returned fd is the listener (else -1).
// The caller hands it to SendNotifyFD and closes it before execve. Every
// syscall the runtime makes between Apply and execve must be one the
// profile lets through without notification, since no agent holds the fd
// yet: the init should pass the fd to the runtime's parent over its sync
// socket (sendmsg), and the parent, which is unfiltered and still sees the
// host's filesystem, should call SendNotifyFD, as runc does.
func Apply(cfg *specs.LinuxSeccomp) (notifyFD int, err error) {
	f, err := Compile(cfg)
	if err != nil {
		return -1, err
	}
	return f.Load()
}

func actionName(act action) string {
	for name, a := range actions {
		if a == act.kind() && name != specs.ActKill {
			return string(name)
		}
	}
	return fmt.Sprintf("action %#x", uint32(act))
}
