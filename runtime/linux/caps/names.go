// Package caps sets the five capability sets of the calling thread from a
// runtime-spec process: bounding, effective, permitted, inheritable, ambient.
//
// Capabilities are per thread: the caller locks its goroutine to the OS
// thread that later calls execve, and applies them there.
package caps

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
)

// names lists every capability the runtime recognises, by number.
var names = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
	"CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK",
	"CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
	"CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE",
	"CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE",
	"CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
	"CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
}

// Names returns the recognised capability names in kernel order.
func Names() []string { return append([]string(nil), names...) }

// Set is a bit set of capabilities.
type Set uint64

// Has reports whether capability number c is in s.
func (s Set) Has(c int) bool { return s&(1<<uint(c)) != 0 }

// Parse turns names into a set. Names it does not recognise, or that the
// running kernel does not have, are returned apart: the spec asks for a
// warning, not an error.
func Parse(list []string) (set Set, unknown []string) {
	last := LastCap()
	for _, n := range list {
		c := number(n)
		if c < 0 || c > last {
			unknown = append(unknown, n)
			continue
		}
		set |= 1 << uint(c)
	}
	return set, unknown
}

func number(name string) int {
	name = strings.ToUpper(name)
	if !strings.HasPrefix(name, "CAP_") {
		name = "CAP_" + name
	}
	for i, n := range names {
		if n == name {
			return i
		}
	}
	return -1
}

var lastCap = sync.OnceValue(func() int {
	b, err := os.ReadFile("/proc/sys/kernel/cap_last_cap")
	if err != nil {
		return len(names) - 1
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || n >= 64 {
		return len(names) - 1
	}
	return n
})

// LastCap is the highest capability number the kernel knows.
func LastCap() int { return lastCap() }

// Name returns the name of capability number c.
func Name(c int) string {
	if c >= 0 && c < len(names) {
		return names[c]
	}
	return fmt.Sprintf("CAP_%d", c)
}
