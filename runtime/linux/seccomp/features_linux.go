package seccomp

import (
	"slices"
	"sync"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-spec/specs-go/features"
)

// Features returns the seccomp part of `features` (features-linux.md):
// every action, operator and flag name Compile recognises, the
// architectures a filter for this host can cover (those of the native byte
// order that the syscall tables, libseccomp's, know), and the flags this
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

// libArchs lists the architectures a filter for this host can cover: a
// filter has one byte order, and the tables of a libseccomp older than the
// runtime-spec lack some (2.5 has no LoongArch, m68k or SuperH).
var libArchs = sync.OnceValue(func() []string {
	native, err := nativeArch()
	if err != nil {
		return nil
	}
	var names []string
	for _, name := range sortedNames(archs) {
		a := archs[specs.Arch(name)]
		if a.table.known && a.bigEndian == native.bigEndian {
			names = append(names, name)
		}
	}
	return names
})
