package seccomp

import (
	"maps"
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// The names of the runtime-spec (config-linux.md, Seccomp), mapped to the
// kernel's values. They are the whole vocabulary: anything else is an
// error, never a silent default.

// action is what a filter returns: SECCOMP_RET_* with its data (the errno of
// SCMP_ACT_ERRNO, the value of SCMP_ACT_TRACE) in the low 16 bits.
type action uint32

const (
	actKillThread  action = unix.SECCOMP_RET_KILL_THREAD
	actKillProcess action = unix.SECCOMP_RET_KILL_PROCESS
	actTrap        action = unix.SECCOMP_RET_TRAP
	actErrno       action = unix.SECCOMP_RET_ERRNO
	actTrace       action = unix.SECCOMP_RET_TRACE
	actAllow       action = unix.SECCOMP_RET_ALLOW
	actLog         action = unix.SECCOMP_RET_LOG
	actNotify      action = unix.SECCOMP_RET_USER_NOTIF
)

// kind is the action without its data.
func (a action) kind() action { return a & unix.SECCOMP_RET_ACTION_FULL }

// data is the errno or trace value.
func (a action) data() uint32 { return uint32(a) & unix.SECCOMP_RET_DATA }

var actions = map[specs.LinuxSeccompAction]action{
	specs.ActKill:        actKillThread, // SCMP_ACT_KILL is libseccomp's old name for KILL_THREAD
	specs.ActKillProcess: actKillProcess,
	specs.ActKillThread:  actKillThread,
	specs.ActTrap:        actTrap,
	specs.ActErrno:       actErrno,
	specs.ActTrace:       actTrace,
	specs.ActAllow:       actAllow,
	specs.ActLog:         actLog,
	specs.ActNotify:      actNotify,
}

// badArch is what a syscall of an architecture the filter does not cover
// gets: libseccomp's default (SCMP_FLTATR_ACT_BADARCH is SCMP_ACT_KILL).
const badArch = actKillThread

var operators = map[specs.LinuxSeccompOperator]bool{
	specs.OpNotEqual:     true,
	specs.OpLessThan:     true,
	specs.OpLessEqual:    true,
	specs.OpEqualTo:      true,
	specs.OpGreaterEqual: true,
	specs.OpGreaterThan:  true,
	specs.OpMaskedEqual:  true,
}

// arch is an architecture a filter can cover: its syscall table and how the
// kernel lays out its seccomp_data arguments.
type arch struct {
	table     *syscallTable
	audit     uint32 // AUDIT_ARCH_*, seccomp_data.arch
	bits64    bool   // conditions compare 64-bit arguments (else the low word only, as libseccomp)
	bigEndian bool
}

// archs are the runtime-spec's architectures; the table and audit value
// come from zsyscalls_linux.go. x32 counts as 32-bit, as in libseccomp.
var archs = map[specs.Arch]arch{
	specs.ArchX86:         newArch(specs.ArchX86, false, false),
	specs.ArchX86_64:      newArch(specs.ArchX86_64, true, false),
	specs.ArchX32:         newArch(specs.ArchX32, false, false), // x86_64 numbers with bit 30 set
	specs.ArchARM:         newArch(specs.ArchARM, false, false),
	specs.ArchAARCH64:     newArch(specs.ArchAARCH64, true, false),
	specs.ArchMIPS:        newArch(specs.ArchMIPS, false, true),
	specs.ArchMIPS64:      newArch(specs.ArchMIPS64, true, true),
	specs.ArchMIPS64N32:   newArch(specs.ArchMIPS64N32, false, true),
	specs.ArchMIPSEL:      newArch(specs.ArchMIPSEL, false, false),
	specs.ArchMIPSEL64:    newArch(specs.ArchMIPSEL64, true, false),
	specs.ArchMIPSEL64N32: newArch(specs.ArchMIPSEL64N32, false, false),
	specs.ArchPPC:         newArch(specs.ArchPPC, false, true),
	specs.ArchPPC64:       newArch(specs.ArchPPC64, true, true),
	specs.ArchPPC64LE:     newArch(specs.ArchPPC64LE, true, false),
	specs.ArchS390:        newArch(specs.ArchS390, false, true),
	specs.ArchS390X:       newArch(specs.ArchS390X, true, true),
	specs.ArchPARISC:      newArch(specs.ArchPARISC, false, true),
	specs.ArchPARISC64:    newArch(specs.ArchPARISC64, true, true),
	specs.ArchRISCV64:     newArch(specs.ArchRISCV64, true, false),
	specs.ArchLOONGARCH64: newArch(specs.ArchLOONGARCH64, true, false),
	specs.ArchM68K:        newArch(specs.ArchM68K, false, true),
	specs.ArchSH:          newArch(specs.ArchSH, false, false), // libseccomp's SH is little-endian
	specs.ArchSHEB:        newArch(specs.ArchSHEB, false, true),
}

func newArch(name specs.Arch, bits64, bigEndian bool) arch {
	t := tableFor(string(name))
	if t == nil {
		panic("seccomp: no syscall table entry for " + string(name)) // a generator bug
	}
	return arch{table: t, audit: t.audit, bits64: bits64, bigEndian: bigEndian}
}

// flagTsync is not among specs-go's constants, but the spec lists it.
const flagTsync specs.LinuxSeccompFlag = "SECCOMP_FILTER_FLAG_TSYNC"

var flags = map[specs.LinuxSeccompFlag]uint{
	flagTsync:                              unix.SECCOMP_FILTER_FLAG_TSYNC,
	specs.LinuxSeccompFlagLog:              unix.SECCOMP_FILTER_FLAG_LOG,
	specs.LinuxSeccompFlagSpecAllow:        unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW,
	specs.LinuxSeccompFlagWaitKillableRecv: unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
}

func sortedNames[K ~string, V any](m map[K]V) []string {
	names := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		names = append(names, string(k))
	}
	return names
}
