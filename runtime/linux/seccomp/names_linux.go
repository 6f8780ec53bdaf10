package seccomp

import (
	"maps"
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

// The names of the runtime-spec (config-linux.md, Seccomp), mapped to
// libseccomp's values. They are the whole vocabulary: anything else is an
// error, never a silent default.

var actions = map[specs.LinuxSeccompAction]libseccomp.ScmpAction{
	specs.ActKill:        libseccomp.ActKillThread, // SCMP_ACT_KILL is libseccomp's old name for KILL_THREAD
	specs.ActKillProcess: libseccomp.ActKillProcess,
	specs.ActKillThread:  libseccomp.ActKillThread,
	specs.ActTrap:        libseccomp.ActTrap,
	specs.ActErrno:       libseccomp.ActErrno,
	specs.ActTrace:       libseccomp.ActTrace,
	specs.ActAllow:       libseccomp.ActAllow,
	specs.ActLog:         libseccomp.ActLog,
	specs.ActNotify:      libseccomp.ActNotify,
}

var operators = map[specs.LinuxSeccompOperator]libseccomp.ScmpCompareOp{
	specs.OpNotEqual:     libseccomp.CompareNotEqual,
	specs.OpLessThan:     libseccomp.CompareLess,
	specs.OpLessEqual:    libseccomp.CompareLessOrEqual,
	specs.OpEqualTo:      libseccomp.CompareEqual,
	specs.OpGreaterEqual: libseccomp.CompareGreaterEqual,
	specs.OpGreaterThan:  libseccomp.CompareGreater,
	specs.OpMaskedEqual:  libseccomp.CompareMaskedEqual,
}

// arch pairs libseccomp's token with the AUDIT_ARCH_* value the kernel puts in
// seccomp_data.arch, which the ENOSYS stub compares against.
type arch struct {
	scmp  libseccomp.ScmpArch
	audit uint32
}

var archs = map[specs.Arch]arch{
	specs.ArchX86:         {libseccomp.ArchX86, unix.AUDIT_ARCH_I386},
	specs.ArchX86_64:      {libseccomp.ArchAMD64, unix.AUDIT_ARCH_X86_64},
	specs.ArchX32:         {libseccomp.ArchX32, unix.AUDIT_ARCH_X86_64}, // x86_64 numbers with bit 30 set
	specs.ArchARM:         {libseccomp.ArchARM, unix.AUDIT_ARCH_ARM},
	specs.ArchAARCH64:     {libseccomp.ArchARM64, unix.AUDIT_ARCH_AARCH64},
	specs.ArchMIPS:        {libseccomp.ArchMIPS, unix.AUDIT_ARCH_MIPS},
	specs.ArchMIPS64:      {libseccomp.ArchMIPS64, unix.AUDIT_ARCH_MIPS64},
	specs.ArchMIPS64N32:   {libseccomp.ArchMIPS64N32, unix.AUDIT_ARCH_MIPS64N32},
	specs.ArchMIPSEL:      {libseccomp.ArchMIPSEL, unix.AUDIT_ARCH_MIPSEL},
	specs.ArchMIPSEL64:    {libseccomp.ArchMIPSEL64, unix.AUDIT_ARCH_MIPSEL64},
	specs.ArchMIPSEL64N32: {libseccomp.ArchMIPSEL64N32, unix.AUDIT_ARCH_MIPSEL64N32},
	specs.ArchPPC:         {libseccomp.ArchPPC, unix.AUDIT_ARCH_PPC},
	specs.ArchPPC64:       {libseccomp.ArchPPC64, unix.AUDIT_ARCH_PPC64},
	specs.ArchPPC64LE:     {libseccomp.ArchPPC64LE, unix.AUDIT_ARCH_PPC64LE},
	specs.ArchS390:        {libseccomp.ArchS390, unix.AUDIT_ARCH_S390},
	specs.ArchS390X:       {libseccomp.ArchS390X, unix.AUDIT_ARCH_S390X},
	specs.ArchPARISC:      {libseccomp.ArchPARISC, unix.AUDIT_ARCH_PARISC},
	specs.ArchPARISC64:    {libseccomp.ArchPARISC64, unix.AUDIT_ARCH_PARISC64},
	specs.ArchRISCV64:     {libseccomp.ArchRISCV64, unix.AUDIT_ARCH_RISCV64},
	specs.ArchLOONGARCH64: {libseccomp.ArchLOONGARCH64, unix.AUDIT_ARCH_LOONGARCH64},
	specs.ArchM68K:        {libseccomp.ArchM68K, unix.AUDIT_ARCH_M68K},
	specs.ArchSH:          {libseccomp.ArchSH, unix.AUDIT_ARCH_SHEL}, // libseccomp's SH is little-endian
	specs.ArchSHEB:        {libseccomp.ArchSHEB, unix.AUDIT_ARCH_SH},
}

// flagTsync is not among specs-go's constants, but the spec lists it.
const flagTsync specs.LinuxSeccompFlag = "SECCOMP_FILTER_FLAG_TSYNC"

var flags = map[specs.LinuxSeccompFlag]uint{
	flagTsync:                              unix.SECCOMP_FILTER_FLAG_TSYNC,
	specs.LinuxSeccompFlagLog:              unix.SECCOMP_FILTER_FLAG_LOG,
	specs.LinuxSeccompFlagSpecAllow:        unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW,
	specs.LinuxSeccompFlagWaitKillableRecv: unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
}

// kernelActions names each action for SECCOMP_GET_ACTION_AVAIL.
var kernelActions = map[libseccomp.ScmpAction]uint32{
	libseccomp.ActKillThread:  unix.SECCOMP_RET_KILL_THREAD,
	libseccomp.ActKillProcess: unix.SECCOMP_RET_KILL_PROCESS,
	libseccomp.ActTrap:        unix.SECCOMP_RET_TRAP,
	libseccomp.ActErrno:       unix.SECCOMP_RET_ERRNO,
	libseccomp.ActTrace:       unix.SECCOMP_RET_TRACE,
	libseccomp.ActAllow:       unix.SECCOMP_RET_ALLOW,
	libseccomp.ActLog:         unix.SECCOMP_RET_LOG,
	libseccomp.ActNotify:      unix.SECCOMP_RET_USER_NOTIF,
}

func sortedNames[K ~string, V any](m map[K]V) []string {
	names := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		names = append(names, string(k))
	}
	return names
}
