package seccomp

import (
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// kernelFlags is the set of filter flags this kernel accepts. A flag is
// probed by loading no program with it: a kernel that knows the flag fails
// on the NULL program (EFAULT), one that does not rejects the flag (EINVAL).
// Nothing is installed either way. Any other answer (a filter of our own
// refusing seccomp(2)) tells nothing, and the flag counts as supported:
// loading will say.
var kernelFlags = sync.OnceValue(func() uint {
	var ok uint
	for _, bit := range flags {
		probe := bit
		if bit == unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV {
			probe |= unix.SECCOMP_FILTER_FLAG_NEW_LISTENER // meaningless alone
		}
		_, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, uintptr(probe), 0)
		if errno != unix.EINVAL {
			ok |= bit
		}
	}
	return ok
})

var (
	actionsMu    sync.Mutex
	actionsAvail = map[uint32]bool{}
)

// kernelHasAction reports whether the kernel implements act
// (SECCOMP_GET_ACTION_AVAIL, Linux 4.14; older kernels have only the
// original actions and reject the query). A variable, as kernelFlags, so
// that tests can play an older kernel.
var kernelHasAction = hasAction

func hasAction(act action) bool {
	ret := uint32(act.kind())
	actionsMu.Lock()
	defer actionsMu.Unlock()
	if avail, ok := actionsAvail[ret]; ok {
		return avail
	}
	_, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_GET_ACTION_AVAIL, 0, uintptr(unsafe.Pointer(&ret)))
	var avail bool
	switch errno {
	case unix.EOPNOTSUPP:
		avail = false
	case unix.EINVAL: // no SECCOMP_GET_ACTION_AVAIL: only the first actions
		avail = ret == unix.SECCOMP_RET_KILL_THREAD || ret == unix.SECCOMP_RET_TRAP ||
			ret == unix.SECCOMP_RET_ERRNO || ret == unix.SECCOMP_RET_TRACE || ret == unix.SECCOMP_RET_ALLOW
	default: // 0, or no answer (seccomp(2) filtered): loading will say
		avail = true
	}
	actionsAvail[ret] = avail
	return avail
}
