package seccomp

import (
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Offsets in struct seccomp_data.
const (
	offNr   = 0
	offArch = 4
	offArgs = 16
)

// generate writes the program: the architecture dispatch, then one section
// per architecture. A syscall of an architecture outside the filter gets
// badArch, as with libseccomp.
func generate(p *profile, secs []*section) ([]unix.SockFilter, error) {
	var a bpfasm
	a.load(offArch)
	labels := make([]int, len(secs))
	for i, s := range secs {
		labels[i] = a.newLabel()
		a.jump(unix.BPF_JEQ, s.audit, labels[i], labelNext)
	}
	a.ret(badArch)
	for i, s := range secs {
		a.bind(labels[i])
		genSection(&a, s, p.defaultAction)
	}
	return a.assemble()
}

// span is a range of syscall numbers, from start to the next span's start,
// with one outcome: the label of a return or of a syscall's rules.
type span struct {
	start uint32
	out   int
}

func genSection(a *bpfasm, s *section, def action) {
	rets := map[action]int{}
	retLabel := func(act action) int {
		if l, ok := rets[act]; ok {
			return l
		}
		rets[act] = a.newLabel()
		return rets[act]
	}
	nrs := make([]uint32, 0, len(s.syscall))
	for nr := range s.syscall {
		nrs = append(nrs, nr)
	}
	slices.Sort(nrs)
	blocks := map[uint32]int{}
	outcome := func(nr uint32) int {
		sr, ok := s.syscall[nr]
		switch {
		case !ok:
			return retLabel(baseOutcome(s, nr, def))
		case sr.uncond:
			return retLabel(sr.action)
		}
		if _, ok := blocks[nr]; !ok {
			blocks[nr] = a.newLabel()
		}
		return blocks[nr]
	}
	// Every number where the outcome may change, then the spans between.
	points := []uint32{0, x32Bit, 0xffffffff}
	for _, nr := range nrs {
		points = append(points, nr)
		if nr != 0xffffffff {
			points = append(points, nr+1)
		}
	}
	slices.Sort(points)
	points = slices.Compact(points)
	var spans []span
	for _, pt := range points {
		out := outcome(pt)
		if len(spans) == 0 || spans[len(spans)-1].out != out {
			spans = append(spans, span{start: pt, out: out})
		}
	}
	a.load(offNr)
	if len(spans) == 1 {
		a.goTo(spans[0].out)
	} else {
		root := a.newLabel()
		searchTree(a, spans, root)
	}
	for _, nr := range nrs {
		if l, ok := blocks[nr]; ok {
			a.bind(l)
			genRules(a, s.syscall[nr], def)
		}
	}
	acts := make([]action, 0, len(rets))
	for act := range rets {
		acts = append(acts, act)
	}
	slices.Sort(acts)
	for _, act := range acts {
		a.bind(rets[act])
		a.ret(act)
	}
}

// baseOutcome is what a number without rules gets. On AUDIT_ARCH_X86_64,
// bit 30 tells x32 from x86_64; libseccomp kills the other ABI when only
// one is in the filter, but lets -1 (a tracer's skipped syscall) through to
// the default when x86_64 is.
func baseOutcome(s *section, nr uint32, def action) action {
	has := func(name specs.Arch) bool {
		return slices.ContainsFunc(s.archs, func(u archUse) bool { return u.name == name })
	}
	x86_64, x32 := has(specs.ArchX86_64), has(specs.ArchX32)
	switch {
	case x86_64 && !x32 && nr >= x32Bit && nr != 0xffffffff:
		return badArch
	case x32 && !x86_64 && nr < x32Bit:
		return badArch
	}
	return def
}

// searchTree writes the binary search over spans (more than one) at label.
func searchTree(a *bpfasm, spans []span, label int) {
	mid := len(spans) / 2
	child := func(part []span) int {
		if len(part) == 1 {
			return part[0].out
		}
		return a.newLabel()
	}
	left, right := child(spans[:mid]), child(spans[mid:])
	a.bind(label)
	a.jump(unix.BPF_JGE, spans[mid].start, right, left)
	if mid > 1 {
		searchTree(a, spans[:mid], left)
	}
	if len(spans)-mid > 1 {
		searchTree(a, spans[mid:], right)
	}
}

// genRules tries a syscall's conditional rules in order; the first whose
// conditions all hold decides, else the default action.
func genRules(a *bpfasm, sr *syscallRules, def action) {
	for _, r := range sr.conds {
		next := a.newLabel()
		for _, c := range r.conds {
			genCondition(a, sr.arch, c, next)
		}
		a.ret(r.action)
		a.bind(next)
	}
	a.ret(def)
}

// genCondition falls through when c holds and jumps to fail when not. A
// 64-bit argument is compared as its high word, then its low word; on a
// 32-bit architecture only the low word counts and the value is truncated,
// as libseccomp does. SCMP_CMP_MASKED_EQ compares with the datum masked,
// as libseccomp does: (arg & mask) == (datum & mask).
func genCondition(a *bpfasm, ar arch, c condition, fail int) {
	base := offArgs + 8*uint32(c.arg)
	lo, hi := base, base+4
	if ar.bigEndian {
		lo, hi = base+4, base
	}
	ok := a.newLabel()
	v, v2 := c.value, c.valueTwo
	const next = labelNext
	if ar.bits64 {
		a.load(hi)
		vh := uint32(v >> 32)
		switch c.op {
		case specs.OpEqualTo:
			a.jump(unix.BPF_JEQ, vh, next, fail)
		case specs.OpNotEqual:
			a.jump(unix.BPF_JEQ, vh, next, ok)
		case specs.OpMaskedEqual:
			a.stmt(unix.BPF_ALU|unix.BPF_AND|unix.BPF_K, vh)
			a.jump(unix.BPF_JEQ, uint32(v2>>32)&vh, next, fail)
		case specs.OpGreaterThan, specs.OpGreaterEqual:
			a.jump(unix.BPF_JGT, vh, ok, next)
			a.jump(unix.BPF_JEQ, vh, next, fail)
		case specs.OpLessThan, specs.OpLessEqual:
			a.jump(unix.BPF_JGT, vh, fail, next)
			a.jump(unix.BPF_JEQ, vh, next, ok)
		}
	}
	a.load(lo)
	vl := uint32(v)
	switch c.op {
	case specs.OpEqualTo:
		a.jump(unix.BPF_JEQ, vl, ok, fail)
	case specs.OpNotEqual:
		a.jump(unix.BPF_JEQ, vl, fail, ok)
	case specs.OpMaskedEqual:
		a.stmt(unix.BPF_ALU|unix.BPF_AND|unix.BPF_K, vl)
		a.jump(unix.BPF_JEQ, uint32(v2)&vl, ok, fail)
	case specs.OpGreaterThan:
		a.jump(unix.BPF_JGT, vl, ok, fail)
	case specs.OpGreaterEqual:
		a.jump(unix.BPF_JGE, vl, ok, fail)
	case specs.OpLessThan: // not GE
		a.jump(unix.BPF_JGE, vl, fail, ok)
	case specs.OpLessEqual: // not GT
		a.jump(unix.BPF_JGT, vl, fail, ok)
	}
	a.bind(ok)
}
