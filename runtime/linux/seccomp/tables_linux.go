package seccomp

import (
	"sort"
)

//go:generate go run internal/gen/main.go -o zsyscalls_linux.go

// syscallTable is one architecture's part of libseccomp's syscall tables
// (zsyscalls_linux.go, generated from the libseccomp named by tablesVersion).
type syscallTable struct {
	arch  string // the runtime-spec name, SCMP_ARCH_*
	audit uint32 // AUDIT_ARCH_*, seccomp_data.arch
	known bool   // libseccomp has a table for it
	// numbers[i] is the number of syscallNames[i] as libseccomp resolves
	// the name on this architecture (x32's with bit 30, MIPS's with their
	// ABI offset), -1 where libseccomp has only a pseudo number.
	numbers []int32
	// mux are the socket and ipc calls that libseccomp resolves to a pseudo
	// number on this architecture and filters through the multiplexer
	// (socketcall(2), ipc(2)), sorted by name.
	mux []muxCall
}

// muxCall is a multiplexed call: a rule for it is a rule for call with
// argument 0 equal to sub, plus, when direct >= 0, the same rule for the
// direct syscall.
type muxCall struct {
	name   int // index in syscallNames
	call   int32
	sub    uint32
	direct int32
}

// syscallIndex returns the index of name in syscallNames, or -1 when
// libseccomp does not know the name at all.
func syscallIndex(name string) int {
	i := sort.SearchStrings(syscallNames[:], name)
	if i < len(syscallNames) && syscallNames[i] == name {
		return i
	}
	return -1
}

// resolve returns the number of syscall i as libseccomp resolves its name,
// or -1 for a pseudo number (not on this architecture, or multiplexed).
func (t *syscallTable) resolve(i int) int32 {
	return t.numbers[i]
}

// multiplexed returns the multiplexing of syscall i, if it has one.
func (t *syscallTable) multiplexed(i int) (muxCall, bool) {
	j := sort.Search(len(t.mux), func(j int) bool { return t.mux[j].name >= i })
	if j < len(t.mux) && t.mux[j].name == i {
		return t.mux[j], true
	}
	return muxCall{}, false
}

// tableFor returns the table of the architecture named name (SCMP_ARCH_*).
func tableFor(name string) *syscallTable {
	for i := range syscallTables {
		if syscallTables[i].arch == name {
			return &syscallTables[i]
		}
	}
	return nil
}
