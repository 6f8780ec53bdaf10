// Package seccomp turns the linux.seccomp object of a runtime-spec config into
// a seccomp BPF program and installs it in the container's first process.
//
// libseccomp (through libseccomp-golang) resolves syscall names per
// architecture and generates the rules; the package then prepends a short
// stub of its own and loads the program with seccomp(2) itself, which gives it
// every filter flag the kernel has (libseccomp 2.5 knows no
// SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV) and keeps no_new_privs out of it.
//
// Semantics, where the runtime-spec leaves room:
//
//   - A syscall name libseccomp does not know for the native architecture is
//     skipped with a debug log, as runc does: a profile written for a newer
//     kernel still loads. Compile reports the names it skipped.
//   - A rule whose action (errno included) equals the default action is
//     skipped: it cannot change the outcome, and libseccomp refuses it.
//   - Conditions on different argument indexes are ANDed. Several conditions
//     on the same index cannot be ANDed in one libseccomp rule; they are ORed,
//     as runc does, by emitting one rule per alternative. When a rule mixes
//     both, the alternatives are the cross product (runc instead ORs every
//     condition, dropping the AND with the other indexes).
//   - errnoRet (and defaultErrnoRet) is only valid with SCMP_ACT_ERRNO and
//     SCMP_ACT_TRACE and defaults to EPERM; anywhere else it is an error.
//   - Unless the default action lets syscalls through (ALLOW, LOG, TRACE) or
//     already returns ENOSYS, a syscall whose number is above the highest one
//     the profile names for that architecture returns ENOSYS instead of the
//     default action, as runc does. Such syscalls are newer than the profile
//     (or than libseccomp), and C libraries fall back to an older syscall on
//     ENOSYS but fail on EPERM (clone3, fchmodat2, ...). A known syscall
//     below that number keeps the default action.
//   - Two unconditional rules for one syscall do not conflict: libseccomp
//     keeps the first.
//   - SCMP_ACT_NOTIFY cannot be the default action, nor be used for write(2),
//     as in runc: the init would block on its own handover of the listener fd.
//   - SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV only means something with a
//     listener; without a SCMP_ACT_NOTIFY rule it is accepted and not passed
//     to the kernel (which would refuse it).
//
// The filter goes on the calling thread only, unless the profile asks for
// SECCOMP_FILTER_FLAG_TSYNC: execve keeps only the calling thread, so the
// container's process is filtered either way, and the Go runtime's other
// threads are not exposed to the user's profile in the meantime.
//
// Cost: libseccomp compiles a podman-sized profile (about 400 names on
// x86_64, x86 and x32) in about 20 ms; loading it takes about 1 ms. A
// runtime that compiles in `create` to fail early can pass the Filter to
// the init (MarshalBinary, UnmarshalBinary) rather than compile twice.
package seccomp
