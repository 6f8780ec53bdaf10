package engine

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"slices"

	"github.com/berth-oci/berth/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// SeccompProfile is a seccomp profile in the format podman and docker read
// (seccomp.json): the runtime-spec's linux.seccomp plus, on each rule,
// conditions on the container's capabilities and architecture, and an
// architecture map. A profile in plain runtime-spec form is one too.
// Resolve turns it into the runtime-spec form for one container.
type SeccompProfile struct {
	DefaultAction   specs.LinuxSeccompAction `json:"defaultAction"`
	DefaultErrnoRet *uint                    `json:"defaultErrnoRet,omitempty"`
	Architectures   []specs.Arch             `json:"architectures,omitempty"`
	ArchMap         []seccompArchMap         `json:"archMap,omitempty"`
	ListenerPath    string                   `json:"listenerPath,omitempty"`
	Flags           []specs.LinuxSeccompFlag `json:"flags,omitempty"`
	Syscalls        []SeccompRule            `json:"syscalls"`
}

type seccompArchMap struct {
	Arch      specs.Arch   `json:"architecture"`
	SubArches []specs.Arch `json:"subArchitectures"`
}

// SeccompRule is one rule of a SeccompProfile.
type SeccompRule struct {
	Names    []string                 `json:"names,omitempty"`
	Name     string                   `json:"name,omitempty"`
	Action   specs.LinuxSeccompAction `json:"action"`
	ErrnoRet *uint                    `json:"errnoRet,omitempty"`
	Args     []specs.LinuxSeccompArg  `json:"args,omitempty"`
	// Includes: the rule applies only when the container has all these
	// capabilities and runs on one of these architectures.
	Includes SeccompFilter `json:"includes,omitzero"`
	// Excludes: the rule does not apply when the container has any of
	// these capabilities or runs on one of these architectures.
	Excludes SeccompFilter `json:"excludes,omitzero"`
}

// SeccompFilter is a condition of a SeccompRule (Go architecture names
// or seccomp ones, capability names).
type SeccompFilter struct {
	Caps   []string `json:"caps,omitempty"`
	Arches []string `json:"arches,omitempty"`
}

// LoadSeccompProfile reads a profile file (podman's format or the
// runtime-spec's).
func LoadSeccompProfile(path string) (*SeccompProfile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("seccomp profile: %w", err)
	}
	var p SeccompProfile
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("seccomp profile %s: %v: %w", path, err, errdefs.ErrInvalidArgument)
	}
	if p.DefaultAction == "" {
		return nil, fmt.Errorf("seccomp profile %s: no defaultAction: %w", path, errdefs.ErrInvalidArgument)
	}
	return &p, nil
}

// Resolve returns the runtime-spec seccomp config of p for a container with
// the bounding capabilities caps on this machine's architecture.
func (p *SeccompProfile) Resolve(caps []string) *specs.LinuxSeccomp {
	out := &specs.LinuxSeccomp{
		DefaultAction: p.DefaultAction, DefaultErrnoRet: p.DefaultErrnoRet,
		ListenerPath: p.ListenerPath, Flags: p.Flags,
		Architectures: p.Architectures,
	}
	if len(out.Architectures) == 0 {
		out.Architectures = archesFromMap(p.ArchMap)
	}
	arch := runtime.GOARCH
	for _, r := range p.Syscalls {
		if !r.applies(caps, arch) {
			continue
		}
		names := r.Names
		if r.Name != "" {
			names = append([]string{r.Name}, names...)
		}
		out.Syscalls = append(out.Syscalls, specs.LinuxSyscall{Names: names, Action: r.Action, ErrnoRet: r.ErrnoRet, Args: r.Args})
	}
	return out
}

func (r SeccompRule) applies(caps []string, arch string) bool {
	for _, c := range r.Includes.Caps {
		if !slices.Contains(caps, c) {
			return false
		}
	}
	if len(r.Includes.Arches) > 0 && !matchArch(r.Includes.Arches, arch) {
		return false
	}
	for _, c := range r.Excludes.Caps {
		if slices.Contains(caps, c) {
			return false
		}
	}
	return !matchArch(r.Excludes.Arches, arch)
}

// goArches maps seccomp's architecture names to Go's.
var goArches = map[string]string{
	"x86_64": "amd64", "x32": "amd64", "x86": "386", "aarch64": "arm64", "arm": "arm",
	"ppc64le": "ppc64le", "s390x": "s390x", "s390": "s390x", "riscv64": "riscv64",
	"mips64": "mips64", "mips64le": "mips64le", "loong64": "loong64",
}

func matchArch(arches []string, goarch string) bool {
	for _, a := range arches {
		if a == goarch || goArches[a] == goarch {
			return true
		}
	}
	return false
}

// hostArches are the seccomp architectures a container of this machine may
// use: the native one and the ones its CPU runs too.
var hostArches = map[string][]specs.Arch{
	"amd64":   {specs.ArchX86_64, specs.ArchX86, specs.ArchX32},
	"386":     {specs.ArchX86},
	"arm64":   {specs.ArchAARCH64, specs.ArchARM},
	"arm":     {specs.ArchARM},
	"ppc64le": {specs.ArchPPC64LE},
	"s390x":   {specs.ArchS390X, specs.ArchS390},
	"riscv64": {specs.ArchRISCV64},
}

func archesFromMap(m []seccompArchMap) []specs.Arch {
	native := hostArches[runtime.GOARCH]
	if len(native) == 0 {
		return nil
	}
	for _, e := range m {
		if e.Arch == native[0] {
			return append([]specs.Arch{e.Arch}, e.SubArches...)
		}
	}
	return native
}
