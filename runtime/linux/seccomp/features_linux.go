package seccomp

import (
	"slices"
	"sync"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-spec/specs-go/features"
	libseccomp "github.com/seccomp/libseccomp-golang"
)

// Features returns the seccomp part of `features` (features-linux.md):
// every action, operator and flag name Compile recognises, the
// architectures the linked libseccomp can add to a filter for this host
// (those of the native byte order that it knows), and the flags this
// kernel accepts.
func Features() *features.Seccomp {
	enabled := true
	var supported []string
	have := kernelFlags()
	for _, name := range sortedNames(flags) {
		if have&flags[specs.LinuxSeccompFlag(name)] != 0 {
			supported = append(supported, name)
		}
	}
	return &features.Seccomp{
		Enabled:        &enabled,
		Actions:        sortedNames(actions),
		Operators:      sortedNames(operators),
		Archs:          slices.Clone(libArchs()),
		KnownFlags:     sortedNames(flags),
		SupportedFlags: supported,
	}
}

// libArchs lists the architectures libseccomp accepts in a filter for this
// host: a filter has one byte order, and a libseccomp older than the
// runtime-spec lacks some (2.5 has no LoongArch, m68k or SuperH).
var libArchs = sync.OnceValue(func() []string {
	f, err := libseccomp.NewFilter(libseccomp.ActAllow)
	if err != nil {
		return nil
	}
	defer f.Release()
	var names []string
	for _, name := range sortedNames(archs) {
		if f.AddArch(archs[specs.Arch(name)].scmp) == nil {
			names = append(names, name)
		}
	}
	return names
})
