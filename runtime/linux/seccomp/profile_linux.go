package seccomp

import (
	"fmt"

	"runtime"

	"github.com/berth-oci/berth/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// profile is a linux.seccomp object checked and converted to the kernel's
// values; nothing in it still needs validating.
type profile struct {
	defaultAction action
	archs         []archUse // native first, no duplicates
	flags         []flagUse
	notify        bool // some rule uses SCMP_ACT_NOTIFY
	rules         []rule
}

type archUse struct {
	arch
	name  specs.Arch
	field string // where the config named it; "" for the native one
}

type flagUse struct {
	bit   uint
	name  specs.LinuxSeccompFlag
	field string
}

// rule is one syscalls[] entry. It matches when any alternative matches; an
// alternative matches when all its conditions do. No alternatives means
// unconditional.
type rule struct {
	field        string
	names        []string
	action       action
	alternatives [][]condition
}

const (
	maxArgs      = 6    // a syscall has at most six arguments
	maxErrno     = 4095 // the kernel clamps larger SECCOMP_RET_ERRNO data to this
	maxTraceData = 0xffff
)

func parse(cfg *specs.LinuxSeccomp) (*profile, error) {
	if cfg == nil {
		return nil, fmt.Errorf("seccomp: no linux.seccomp object: %w", errdefs.ErrInvalidArgument)
	}
	def, err := toAction("defaultAction", cfg.DefaultAction, "defaultErrnoRet", cfg.DefaultErrnoRet)
	if err != nil {
		return nil, err
	}
	if def == actNotify {
		return nil, invalid("defaultAction", "SCMP_ACT_NOTIFY cannot be the default action: the runtime's own syscalls would wait for an agent that has no listener fd yet")
	}
	p := &profile{defaultAction: def}
	if p.archs, err = parseArchs(cfg.Architectures); err != nil {
		return nil, err
	}
	if p.flags, err = parseFlags(cfg.Flags); err != nil {
		return nil, err
	}
	for i, sc := range cfg.Syscalls {
		r, err := parseRule(fmt.Sprintf("syscalls[%d]", i), sc)
		if err != nil {
			return nil, err
		}
		if r.action == actNotify {
			p.notify = true
		}
		p.rules = append(p.rules, r)
	}
	if err := checkListener(cfg, p.notify); err != nil {
		return nil, err
	}
	return p, nil
}

// toAction converts an action and its errno (errnoRet or defaultErrnoRet).
func toAction(field string, name specs.LinuxSeccompAction, errnoField string, errnoRet *uint) (action, error) {
	act, ok := actions[name]
	if !ok {
		return 0, invalid(field, "unknown action %q", name)
	}
	switch act {
	case actErrno, actTrace:
		code, limit := uint(unix.EPERM), uint(maxErrno)
		if act == actTrace {
			limit = maxTraceData
		}
		if errnoRet != nil {
			code = *errnoRet
		}
		if code > limit {
			return 0, invalid(errnoField, "%d is out of range for %s (0-%d)", code, name, limit)
		}
		return act | action(code), nil
	default:
		if errnoRet != nil {
			return 0, invalid(errnoField, "only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno, not %s", name)
		}
		return act, nil
	}
}

func parseArchs(names []specs.Arch) ([]archUse, error) {
	native, err := nativeArch()
	if err != nil {
		return nil, err
	}
	uses := []archUse{native}
	seen := map[specs.Arch]bool{native.name: true}
	for i, name := range names {
		a, ok := archs[name]
		field := fmt.Sprintf("architectures[%d]", i)
		if !ok {
			return nil, invalid(field, "unknown architecture %q", name)
		}
		if seen[name] {
			continue
		}
		seen[name] = true
		if !a.table.known {
			return nil, unavailable(field, "the syscall tables of libseccomp %s have no %s", tablesVersion, name)
		}
		if a.bigEndian != native.bigEndian {
			// libseccomp refuses it too: one filter, one byte order
			return nil, unavailable(field, "%s cannot join a filter for %s: its byte order differs", name, native.name)
		}
		uses = append(uses, archUse{arch: a, name: name, field: field})
	}
	return uses, nil
}

// goArchs names the architecture a Go port runs on.
var goArchs = map[string]specs.Arch{
	"386": specs.ArchX86, "amd64": specs.ArchX86_64, "arm": specs.ArchARM, "arm64": specs.ArchAARCH64,
	"mips": specs.ArchMIPS, "mipsle": specs.ArchMIPSEL, "mips64": specs.ArchMIPS64, "mips64le": specs.ArchMIPSEL64,
	"ppc64": specs.ArchPPC64, "ppc64le": specs.ArchPPC64LE, "s390x": specs.ArchS390X,
	"riscv64": specs.ArchRISCV64, "loong64": specs.ArchLOONGARCH64,
}

func nativeArch() (archUse, error) {
	name, ok := goArchs[runtime.GOARCH]
	if !ok {
		return archUse{}, fmt.Errorf("seccomp: native architecture %s has no SCMP_ARCH_ name: %w", runtime.GOARCH, errdefs.ErrNotImplemented)
	}
	a := archs[name]
	if !a.table.known {
		return archUse{}, fmt.Errorf("seccomp: native architecture %s: the syscall tables of libseccomp %s have none: %w", name, tablesVersion, errdefs.ErrNotImplemented)
	}
	return archUse{arch: a, name: name}, nil
}

func parseFlags(names []specs.LinuxSeccompFlag) ([]flagUse, error) {
	var uses []flagUse
	for i, name := range names {
		bit, ok := flags[name]
		if !ok {
			return nil, invalid(fmt.Sprintf("flags[%d]", i), "unknown flag %q", name)
		}
		uses = append(uses, flagUse{bit: bit, name: name, field: fmt.Sprintf("flags[%d]", i)})
	}
	return uses, nil
}

func parseRule(field string, sc specs.LinuxSyscall) (rule, error) {
	act, err := toAction(field, sc.Action, field+".errnoRet", sc.ErrnoRet)
	if err != nil {
		return rule{}, err
	}
	if len(sc.Names) == 0 {
		return rule{}, invalid(field, "names is empty")
	}
	for j, name := range sc.Names {
		if name == "" {
			return rule{}, invalid(fmt.Sprintf("%s.names[%d]", field, j), "empty syscall name")
		}
		// runc refuses this too: the runtime hands the listener fd over
		// with write(2) after loading the filter.
		if act == actNotify && name == "write" {
			return rule{}, invalid(fmt.Sprintf("%s.names[%d]", field, j), "SCMP_ACT_NOTIFY cannot be used for write: the runtime needs it to hand the listener fd over")
		}
	}
	alts, err := alternatives(field, sc.Args)
	if err != nil {
		return rule{}, err
	}
	return rule{field: field, names: sc.Names, action: act, alternatives: alts}, nil
}

func checkListener(cfg *specs.LinuxSeccomp, notify bool) error {
	if cfg.ListenerMetadata != "" && cfg.ListenerPath == "" {
		return invalid("listenerMetadata", "set without listenerPath")
	}
	if notify && cfg.ListenerPath == "" {
		return invalid("listenerPath", "required when a rule uses SCMP_ACT_NOTIFY: the listener fd must go to an agent")
	}
	return nil
}
