package seccomp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

// The reference: the profile compiled by libseccomp itself (as the package
// did before it generated programs itself), for the differential test.

var scmpArchs = map[specs.Arch]libseccomp.ScmpArch{
	specs.ArchX86: libseccomp.ArchX86, specs.ArchX86_64: libseccomp.ArchAMD64, specs.ArchX32: libseccomp.ArchX32,
	specs.ArchARM: libseccomp.ArchARM, specs.ArchAARCH64: libseccomp.ArchARM64, specs.ArchMIPS: libseccomp.ArchMIPS,
	specs.ArchMIPS64: libseccomp.ArchMIPS64, specs.ArchMIPS64N32: libseccomp.ArchMIPS64N32,
	specs.ArchMIPSEL: libseccomp.ArchMIPSEL, specs.ArchMIPSEL64: libseccomp.ArchMIPSEL64,
	specs.ArchMIPSEL64N32: libseccomp.ArchMIPSEL64N32, specs.ArchPPC: libseccomp.ArchPPC,
	specs.ArchPPC64: libseccomp.ArchPPC64, specs.ArchPPC64LE: libseccomp.ArchPPC64LE,
	specs.ArchS390: libseccomp.ArchS390, specs.ArchS390X: libseccomp.ArchS390X,
	specs.ArchPARISC: libseccomp.ArchPARISC, specs.ArchPARISC64: libseccomp.ArchPARISC64,
	specs.ArchRISCV64: libseccomp.ArchRISCV64, specs.ArchLOONGARCH64: libseccomp.ArchLOONGARCH64,
	specs.ArchM68K: libseccomp.ArchM68K, specs.ArchSH: libseccomp.ArchSH, specs.ArchSHEB: libseccomp.ArchSHEB,
}

var scmpActions = map[action]libseccomp.ScmpAction{
	actKillThread: libseccomp.ActKillThread, actKillProcess: libseccomp.ActKillProcess, actTrap: libseccomp.ActTrap,
	actErrno: libseccomp.ActErrno, actTrace: libseccomp.ActTrace, actAllow: libseccomp.ActAllow,
	actLog: libseccomp.ActLog, actNotify: libseccomp.ActNotify,
}

var scmpOps = map[specs.LinuxSeccompOperator]libseccomp.ScmpCompareOp{
	specs.OpNotEqual: libseccomp.CompareNotEqual, specs.OpLessThan: libseccomp.CompareLess,
	specs.OpLessEqual: libseccomp.CompareLessOrEqual, specs.OpEqualTo: libseccomp.CompareEqual,
	specs.OpGreaterEqual: libseccomp.CompareGreaterEqual, specs.OpGreaterThan: libseccomp.CompareGreater,
	specs.OpMaskedEqual: libseccomp.CompareMaskedEqual,
}

func scmpAction(a action) libseccomp.ScmpAction {
	act := scmpActions[a.kind()]
	if a.kind() == actErrno || a.kind() == actTrace {
		act = act.SetReturnCode(int16(uint16(a.data())))
	}
	return act
}

// referenceCompile is Compile with libseccomp generating the rules.
func referenceCompile(cfg *specs.LinuxSeccomp) (*Filter, error) {
	p, err := parse(cfg)
	if err != nil {
		return nil, err
	}
	if err := checkKernel(p); err != nil {
		return nil, err
	}
	prog, skipped, err := referenceBuild(p)
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
	return &Filter{program: prog, flags: loadFlags(p), notify: p.notify, skipped: skipped}, nil
}

func referenceBuild(p *profile) (prog []unix.SockFilter, skipped []string, err error) {
	f, err := libseccomp.NewFilter(scmpAction(p.defaultAction))
	if err != nil {
		return nil, nil, fmt.Errorf("create libseccomp filter: %w", err)
	}
	defer f.Release()
	for _, a := range p.archs[1:] {
		if err := f.AddArch(scmpArchs[a.name]); err != nil {
			return nil, nil, fmt.Errorf("add %s: %w", a.name, err)
		}
	}
	for _, r := range p.rules {
		if r.action == p.defaultAction {
			continue
		}
		for _, name := range r.names {
			nr, err := libseccomp.GetSyscallFromName(name)
			if err != nil {
				skipped = append(skipped, name)
				continue
			}
			if err := referenceAddRule(f, nr, r); err != nil {
				return nil, nil, fmt.Errorf("%s: libseccomp refused the rule for %q: %w", r.field, name, err)
			}
		}
	}
	prog, err = referenceExport(f)
	if err != nil {
		return nil, nil, err
	}
	slices.Sort(skipped)
	return prog, slices.Compact(skipped), nil
}

func referenceAddRule(f *libseccomp.ScmpFilter, nr libseccomp.ScmpSyscall, r rule) error {
	act := scmpAction(r.action)
	if len(r.alternatives) == 0 {
		return f.AddRule(nr, act)
	}
	for _, alt := range r.alternatives {
		var conds []libseccomp.ScmpCondition
		for _, c := range alt {
			conds = append(conds, libseccomp.ScmpCondition{Argument: c.arg, Op: scmpOps[c.op], Operand1: c.value, Operand2: c.valueTwo})
		}
		if err := f.AddRuleConditional(nr, act, conds); err != nil {
			return err
		}
	}
	return nil
}

// referenceExport has libseccomp write the program to a memfd (libseccomp
// 2.5 cannot export to memory) and decodes it.
func referenceExport(f *libseccomp.ScmpFilter) ([]unix.SockFilter, error) {
	fd, err := unix.MemfdCreate("seccomp-bpf", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, err
	}
	file := os.NewFile(uintptr(fd), "seccomp-bpf")
	defer file.Close()
	if err := f.ExportBPF(file); err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(io.NewSectionReader(file, 0, 1<<20))
	if err != nil {
		return nil, err
	}
	if len(raw) == 0 || len(raw)%8 != 0 {
		return nil, errors.New("libseccomp wrote a truncated program")
	}
	prog := make([]unix.SockFilter, len(raw)/8)
	for i := range prog {
		b := raw[i*8:]
		prog[i] = unix.SockFilter{Code: binary.NativeEndian.Uint16(b), Jt: b[2], Jf: b[3], K: binary.NativeEndian.Uint32(b[4:])}
	}
	return prog, nil
}
