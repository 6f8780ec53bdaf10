// Package seccomp turns the linux.seccomp object of a runtime-spec config into
// a seccomp BPF program and installs it in the container's first process.
//
// The package is pure Go (no cgo): it resolves syscall names with
// libseccomp's tables, generated into zsyscalls_linux.go (internal/gen, from
// the libseccomp named by tablesVersion), and generates the BPF program
// itself, making the decisions libseccomp's program makes: per architecture
// a binary search over ranges of syscall numbers with one outcome, then each
// syscall's rules, 64-bit arguments compared high word then low word (the
// low word only on 32-bit architectures, values truncated, as libseccomp),
// MASKED_EQ as (arg & mask) == (datum & mask), x86's, MIPS o32's, PPC's
// and s390's socketcall/ipc multiplexing, x86_64/x32 on one audit arch, and
// SCMP_ACT_KILL (libseccomp's bad-arch action) for an architecture outside
// the filter. A differential test compiles a corpus and random profiles both
// ways and runs both programs over every syscall number and argument
// boundaries. The package prepends a short stub of its own and loads the
// program with seccomp(2) itself, which gives it every filter flag the kernel
// has and keeps no_new_privs out of it.
//
// Semantics, where the runtime-spec leaves room:
//
//   - A syscall name libseccomp's tables do not know at all is
//     skipped with a debug log, as runc does: a profile written for a newer
//     kernel still loads. Compile reports the names it skipped.
//   - A rule whose action (errno included) equals the default action is
//     skipped: it cannot change the outcome, and libseccomp refuses it.
//   - Rules for one syscall are kept as libseccomp keeps them: the first
//     unconditional rule stands and later rules are ignored; an
//     unconditional rule replaces the conditional ones before it.
//     Conditional rules are tried in profile order, the first that holds
//     decides. This is where berth differs from libseccomp 2.5: for
//     conditional rules that overlap, libseccomp's rule tree decides by its
//     own order (sometimes the default though a rule holds, sometimes a rule
//     that does not hold), or refuses the profile (EEXIST); berth follows
//     the profile. Profiles whose conditional rules of different actions do
//     not overlap (podman's, docker's) compile to the same decisions.
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
//     (or than the tables), and C libraries fall back to an older syscall on
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
// Cost: a podman-sized profile (about 440 names on x86_64, x86 and x32)
// compiles in about 0.4 ms to about 400 instructions (libseccomp took
// 20 ms); loading it takes about 1 ms. A
// runtime that compiles in `create` to fail early can pass the Filter to
// the init (MarshalBinary, UnmarshalBinary) rather than compile twice.
package seccomp
