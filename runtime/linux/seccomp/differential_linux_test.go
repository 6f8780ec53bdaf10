package seccomp

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// The differential test: every profile is compiled by Compile and by
// libseccomp (referenceCompile), and both programs must decide every input
// the same: every syscall number of each architecture of the profile and
// beyond, x32's bit, architectures outside the filter, and arguments around
// every boundary of every condition.

// compareStats counts what a comparison covered.
type compareStats struct{ profiles, inputs, ambiguous, refused int }

// compareWithLibseccomp fails t unless Compile and libseccomp agree on cfg.
//
// Unless strict, an input may differ where libseccomp's rule tree, not the
// profile, decides (see ambiguous).
func compareWithLibseccomp(t testing.TB, cfg *specs.LinuxSeccomp, stats *compareStats, budget int, strict bool) {
	t.Helper()
	ours, err := Compile(cfg)
	ref, refErr := referenceCompile(cfg)
	doc, _ := json.Marshal(cfg)
	switch {
	case err != nil && refErr != nil && strict:
		t.Fatalf("the corpus must compile: %v; libseccomp: %v", err, refErr)
	case err != nil && refErr != nil:
		return
	case err != nil:
		t.Fatalf("Compile refuses what libseccomp compiles: %v\nprofile: %s", err, doc)
	case refErr != nil && !strict && errors.Is(refErr, unix.EEXIST):
		// libseccomp refuses conflicting conditional rules its tree cannot
		// hold; Compile takes the first that holds.
		stats.refused++
		return
	case refErr != nil:
		t.Fatalf("Compile accepts what libseccomp refuses (%v)\nprofile: %s", refErr, doc)
	}
	if !slices.Equal(ours.Skipped(), ref.Skipped()) || ours.Flags() != ref.Flags() || ours.Notify() != ref.Notify() {
		t.Fatalf("skipped %q flags %#x notify %v, libseccomp %q %#x %v\nprofile: %s",
			ours.Skipped(), ours.Flags(), ours.Notify(), ref.Skipped(), ref.Flags(), ref.Notify(), doc)
	}
	stats.profiles++
	p, _ := parse(cfg)
	secs := ruleSections(p)
	inputs(cfg, budget, func(c call) bool {
		stats.inputs++
		got, err := run(ours.program, c)
		if err != nil {
			t.Fatalf("our program on %+v: %v\nprofile: %s", c, err, doc)
		}
		want, err := run(ref.program, c)
		if err != nil {
			t.Fatalf("libseccomp's program on %+v: %v\nprofile: %s", c, err, doc)
		}
		if got != want && !strict {
			if answer, ok := profileAnswer(p, secs, c); ok && got == answer {
				stats.ambiguous++
				return true
			}
		}
		if got != want {
			t.Fatalf("nr %d (%#x) arch %#x args %#x: Compile's program returns %#x, libseccomp's %#x\nprofile: %s",
				c.nr, uint32(c.nr), c.arch, c.args, got, want, doc)
		}
		return true
	})
}

// ruleSections are p's rules as build gathers them.
func ruleSections(p *profile) []*section {
	secs := sections(p)
	for _, r := range p.rules {
		if r.action == p.defaultAction {
			continue
		}
		for _, name := range r.names {
			if i := syscallIndex(name); i >= 0 {
				for _, s := range secs {
					for _, a := range s.archs {
						addRules(s, a, i, r)
					}
				}
			}
		}
	}
	return secs
}

// profileAnswer is what the profile says for c where its syscall has
// conditional rules (ok false otherwise): the first rule that holds, else
// the default action. Where libseccomp differs from Compile, Compile must
// give this answer: libseccomp's rule tree then decides by its own order,
// not the profile's. It picks one of two holding rules of different
// actions by argument, operator and value, and with several rules on one
// argument it can commit to a branch of a rule that fails further down
// (then the default, though another rule holds) or take a rule whose
// conditions do not all hold (LT/GT alternatives on one argument).
func profileAnswer(p *profile, secs []*section, c call) (uint32, bool) {
	for _, s := range secs {
		if s.audit != c.arch {
			continue
		}
		sr := s.syscall[uint32(c.nr)]
		if sr == nil || sr.uncond {
			return 0, false
		}
		for _, r := range sr.conds {
			if holds(sr.arch, r.conds, c.args) {
				return uint32(r.action), true
			}
		}
		return uint32(p.defaultAction), true
	}
	return 0, false
}

// holds evaluates conditions in Go, independently of the BPF.
func holds(a arch, conds []condition, args [6]uint64) bool {
	for _, c := range conds {
		x, v, v2 := args[c.arg], c.value, c.valueTwo
		if !a.bits64 {
			x, v, v2 = uint64(uint32(x)), uint64(uint32(v)), uint64(uint32(v2))
		}
		var ok bool
		switch c.op {
		case specs.OpEqualTo:
			ok = x == v
		case specs.OpNotEqual:
			ok = x != v
		case specs.OpLessThan:
			ok = x < v
		case specs.OpLessEqual:
			ok = x <= v
		case specs.OpGreaterThan:
			ok = x > v
		case specs.OpGreaterEqual:
			ok = x >= v
		case specs.OpMaskedEqual:
			ok = x&v == v2&v
		}
		if !ok {
			return false
		}
	}
	return true
}

// inputs calls fn with the seccomp_data worth asking about for cfg. budget
// bounds the argument vectors per conditional syscall.
func inputs(cfg *specs.LinuxSeccomp, budget int, fn func(call) bool) {
	p, err := parse(cfg)
	if err != nil {
		return
	}
	rng := rand.New(rand.NewPCG(1, uint64(len(cfg.Syscalls))))
	vectors := argVectors(p, budget, rng)
	inFilter := map[uint32]bool{}
	for _, a := range p.archs {
		inFilter[a.audit] = true
	}
	for _, a := range p.archs {
		conditional := conditionalNumbers(p, a)
		var top uint32
		for _, nr := range a.table.numbers {
			top = max(top, uint32(max(nr, 0)))
		}
		for _, m := range a.table.mux {
			top = max(top, uint32(m.call), uint32(max(m.direct, 0)))
		}
		base := top &^ 0xffff // MIPS's offsets, x32's bit
		nrs := []uint32{0xffffffff, 0xfffffffe, 0x7fffffff, 0x80000000, x32Bit - 1, x32Bit, 1000, 4095, 4096}
		for nr := uint32(0); nr < 1100; nr++ {
			nrs = append(nrs, nr)
		}
		for nr := max(base, 1100); nr <= top+4; nr++ {
			nrs = append(nrs, nr)
		}
		for _, nr := range nrs {
			variants := []uint32{nr}
			if a.audit == unix.AUDIT_ARCH_X86_64 {
				variants = append(variants, nr^x32Bit)
			}
			for _, n := range variants {
				c := call{nr: int32(n), arch: a.audit}
				if !fn(c) {
					return
				}
				c.args = [6]uint64{rng.Uint64(), rng.Uint64(), rng.Uint64(), rng.Uint64(), rng.Uint64(), rng.Uint64()}
				if !fn(c) {
					return
				}
				if !conditional[n] {
					continue
				}
				for _, v := range vectors {
					if !fn(call{nr: int32(n), arch: a.audit, args: v}) {
						return
					}
				}
			}
		}
	}
	for _, audit := range []uint32{0, 0xffffffff, unix.AUDIT_ARCH_I386, unix.AUDIT_ARCH_X86_64, unix.AUDIT_ARCH_AARCH64, unix.AUDIT_ARCH_ARM, unix.AUDIT_ARCH_PPC64LE} {
		if inFilter[audit] {
			continue
		}
		for _, nr := range []uint32{0, 1, 2, 59, 102, 1000, x32Bit | 1, 0xffffffff} {
			if !fn(call{nr: int32(nr), arch: audit}) {
				return
			}
		}
	}
}

// conditionalNumbers are the numbers on a whose rules may look at arguments.
func conditionalNumbers(p *profile, a archUse) map[uint32]bool {
	nrs := map[uint32]bool{}
	for _, r := range p.rules {
		for _, name := range r.names {
			i := syscallIndex(name)
			if i < 0 {
				continue
			}
			if nr := a.table.resolve(i); nr >= 0 && len(r.alternatives) > 0 {
				nrs[uint32(nr)] = true
			}
			if m, ok := a.table.multiplexed(i); ok {
				nrs[uint32(m.call)] = true
				if m.direct >= 0 && len(r.alternatives) > 0 {
					nrs[uint32(m.direct)] = true
				}
			}
		}
	}
	return nrs
}

// argVectors builds argument vectors around every condition of p: for each
// alternative a vector meeting it, then that vector with one argument moved
// to each boundary value of its index, then random picks of boundaries.
func argVectors(p *profile, budget int, rng *rand.Rand) [][6]uint64 {
	var bounds [6][]uint64
	for i := range bounds {
		bounds[i] = []uint64{0, 1, 0xffffffff, 1 << 32, ^uint64(0)}
	}
	var meets [][6]uint64
	for _, r := range p.rules {
		for _, alt := range r.alternatives {
			var v [6]uint64
			for _, c := range alt {
				bounds[c.arg] = append(bounds[c.arg], boundaries(c)...)
				v[c.arg] = meeting(c)
			}
			meets = append(meets, v)
		}
	}
	meets = append(meets, [6]uint64{1, 2, 3, 4, 5, 6})
	for i := range bounds {
		slices.Sort(bounds[i])
		bounds[i] = slices.Compact(bounds[i])
	}
	var out [][6]uint64
	for _, m := range meets {
		out = append(out, m)
		for i := range bounds {
			for _, b := range bounds[i] {
				v := m
				v[i] = b
				out = append(out, v)
			}
		}
	}
	for range budget {
		var v [6]uint64
		for i := range v {
			v[i] = bounds[i][rng.IntN(len(bounds[i]))]
		}
		out = append(out, v)
	}
	if len(out) > 4*budget {
		rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
		out = out[:4*budget]
	}
	return out
}

// boundaries are the values where c may change its answer, on 64 and on 32
// bits.
func boundaries(c condition) []uint64 {
	v := c.value
	if c.op == specs.OpMaskedEqual {
		d, m := c.valueTwo, c.value
		low := m & -m // the lowest bit of the mask
		return []uint64{d, d ^ low, d | ^m, d &^ (1 << 32), d ^ 1<<32, m, ^m, uint64(uint32(d)), d | 1<<63}
	}
	out := []uint64{v, v - 1, v + 1, v ^ 1<<32, v + 1<<32, v - 1<<32, uint64(uint32(v)), uint64(uint32(v)) - 1, uint64(uint32(v)) + 1, v | 0xffffffff00000000}
	return out
}

// meeting is a value for which c holds (on 64 bits, where one exists).
func meeting(c condition) uint64 {
	switch c.op {
	case specs.OpNotEqual:
		return c.value + 1
	case specs.OpLessThan:
		return c.value - 1
	case specs.OpGreaterThan:
		return c.value + 1
	case specs.OpMaskedEqual:
		return c.valueTwo
	}
	return c.value
}

// randomProfile makes a profile libseccomp and Compile may well disagree
// on, if either is wrong: few names, so that rules collide; conditions on
// the same and on different indexes; several architectures.
func randomProfile(rng *rand.Rand) *specs.LinuxSeccomp {
	names := []string{"read", "write", "getpid", "socket", "accept", "recvmmsg", "semop", "socketcall", "ipc",
		"personality", "clone", "_llseek", "arch_prctl", "set_tls", "mmap2", "futex", "berth_unknown", "openat", "close", "shmctl"}
	acts := []specs.LinuxSeccompAction{specs.ActAllow, specs.ActErrno, specs.ActKillProcess, specs.ActKill, specs.ActTrap, specs.ActTrace, specs.ActLog, specs.ActKillThread}
	ops := []specs.LinuxSeccompOperator{specs.OpEqualTo, specs.OpNotEqual, specs.OpLessThan, specs.OpLessEqual, specs.OpGreaterThan, specs.OpGreaterEqual, specs.OpMaskedEqual}
	values := []uint64{0, 1, 2, 8, 0x7e020000, 0xffffffff, 1 << 32, 1<<32 | 5, ^uint64(0), 0x8000000000000000}
	value := func() uint64 {
		if rng.IntN(4) == 0 {
			return rng.Uint64() >> rng.IntN(64)
		}
		return values[rng.IntN(len(values))]
	}
	errno := func(act specs.LinuxSeccompAction) *uint {
		if (act == specs.ActErrno || act == specs.ActTrace) && rng.IntN(2) == 0 {
			return uintp(uint(rng.IntN(3) + 1))
		}
		return nil
	}
	cfg := &specs.LinuxSeccomp{}
	cfg.DefaultAction = acts[rng.IntN(len(acts))]
	cfg.DefaultErrnoRet = errno(cfg.DefaultAction)
	for _, a := range []specs.Arch{specs.ArchX86, specs.ArchX32, specs.ArchARM, specs.ArchAARCH64, specs.ArchMIPSEL, specs.ArchMIPSEL64N32, specs.ArchPPC64LE, specs.ArchRISCV64} {
		if rng.IntN(3) == 0 {
			cfg.Architectures = append(cfg.Architectures, a)
		}
	}
	for range rng.IntN(10) + 1 {
		sc := specs.LinuxSyscall{Action: acts[rng.IntN(len(acts))]}
		if rng.IntN(10) == 0 {
			sc.Action = specs.ActNotify
			cfg.ListenerPath = "/run/agent.sock"
		}
		sc.ErrnoRet = errno(sc.Action)
		for range rng.IntN(3) + 1 {
			sc.Names = append(sc.Names, names[rng.IntN(len(names))])
		}
		for range rng.IntN(4) {
			if rng.IntN(3) == 0 {
				break
			}
			sc.Args = append(sc.Args, specs.LinuxSeccompArg{Index: uint(rng.IntN(3)), Op: ops[rng.IntN(len(ops))], Value: value(), ValueTwo: value()})
		}
		cfg.Syscalls = append(cfg.Syscalls, sc)
	}
	if sc := cfg.Syscalls; sc[0].Action == specs.ActNotify && cfg.DefaultAction == specs.ActNotify {
		cfg.DefaultAction = specs.ActAllow
	}
	return cfg
}

func TestDifferentialRandom(t *testing.T) {
	requireAMD64(t)
	// Seed 58 makes libseccomp 2.5.4 itself loop (x32 and MIPS with
	// conflicting rules), so the reference cannot go further here.
	n := 48
	if testing.Short() {
		n = 12
	}
	var stats compareStats
	for seed := range uint64(n) {
		rng := rand.New(rand.NewPCG(seed, 0x5eccc0))
		cfg := randomProfile(rng)
		t.Run(fmt.Sprint(seed), func(t *testing.T) { compareWithLibseccomp(t, cfg, &stats, 64, false) })
		if t.Failed() {
			break
		}
	}
	t.Logf("%d random profiles compiled both ways, %d inputs compared, %d differ where libseccomp's rule tree, not the profile, decides; libseccomp refused %d profiles with conflicting rules", stats.profiles, stats.inputs, stats.ambiguous, stats.refused)
}

// The corpus: podman's default profile, a docker-like one, and the cases of
// the other tests, held to libseccomp strictly.
func TestDifferentialCorpus(t *testing.T) {
	requireAMD64(t)
	var stats compareStats
	podman, large := podmanProfile(t), largeProfile(t)
	corpus := []*specs.LinuxSeccomp{&podman, &large}
	for _, a := range []specs.Arch{specs.ArchX86, specs.ArchX32, specs.ArchAARCH64, specs.ArchMIPSEL, specs.ArchPPC64LE} {
		p := podman
		p.Architectures = []specs.Arch{specs.ArchX86_64, a}
		corpus = append(corpus, &p)
	}
	for _, action := range []specs.LinuxSeccompAction{specs.ActAllow, specs.ActErrno, specs.ActKillProcess, specs.ActTrace, specs.ActLog} {
		for _, archs := range [][]specs.Arch{nil, {specs.ArchX86, specs.ArchX32}, {specs.ArchARM, specs.ArchMIPSEL64N32, specs.ArchRISCV64}} {
			corpus = append(corpus, &specs.LinuxSeccomp{DefaultAction: action, Architectures: archs, Syscalls: corpusRules()})
		}
	}
	for i, cfg := range corpus {
		t.Run(fmt.Sprint(i), func(t *testing.T) { compareWithLibseccomp(t, cfg, &stats, 64, true) })
	}
	t.Logf("%d profiles compiled both ways, %d inputs compared", stats.profiles, stats.inputs)
}

// corpusRules are the rules the other tests use, in one profile.
func corpusRules() []specs.LinuxSyscall {
	hi := uint64(1) << 32
	r := []specs.LinuxSyscall{
		sys(specs.ActErrno, "getcwd", "berth_no_such_syscall"),
		sys(specs.ActAllow, "exit_group", "getpid", "socketcall", "_llseek"),
		{Names: []string{"mkdir"}, Action: specs.ActErrno, ErrnoRet: uintp(uint(unix.EROFS))},
		sys(specs.ActLog, "getppid"), sys(specs.ActAllow, "getppid", "gettid"),
		sys(specs.ActTrap, "rmdir"),
		{Names: []string{"socket"}, Action: specs.ActErrno, ErrnoRet: uintp(22), Args: []specs.LinuxSeccompArg{arg(0, specs.OpEqualTo, 16, 0), arg(2, specs.OpEqualTo, 9, 0)}},
		{Names: []string{"socket"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{arg(2, specs.OpNotEqual, 9, 0)}},
		{Names: []string{"socket"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{arg(0, specs.OpNotEqual, 16, 0)}},
		{Names: []string{"clone"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{arg(0, specs.OpMaskedEqual, 0x7e020000, 0)}},
		{Names: []string{"personality"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{arg(0, specs.OpEqualTo, 0, 0), arg(0, specs.OpEqualTo, 8, 0), arg(0, specs.OpEqualTo, 0xffffffff, 0)}},
		{Names: []string{"mmap"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{arg(2, specs.OpMaskedEqual, 0xff, 0x42), arg(3, specs.OpGreaterThan, hi+5, 0)}},
		{Names: []string{"munmap"}, Action: specs.ActTrace, ErrnoRet: uintp(7), Args: []specs.LinuxSeccompArg{arg(1, specs.OpLessThan, hi, 0)}},
		{Names: []string{"mprotect"}, Action: specs.ActKillProcess, Args: []specs.LinuxSeccompArg{arg(1, specs.OpLessEqual, 8, 0), arg(0, specs.OpGreaterEqual, hi+1, 0)}},
		{Names: []string{"accept4", "semop", "shmctl", "recvmmsg"}, Action: specs.ActErrno, ErrnoRet: uintp(1), Args: []specs.LinuxSeccompArg{arg(1, specs.OpGreaterEqual, 8, 0)}},
		sys(specs.ActKill, "accept", "ipc"),
	}
	for nr := range 15 { // TestProfileTooLarge's shape, smaller
		sc := sys(specs.ActErrno, fmt.Sprintf("%s", syscallNames[100+nr]))
		for v := range uint64(3) {
			v += uint64(nr) * 8
			sc.Args = append(sc.Args, arg(0, specs.OpEqualTo, v<<33|v, 0), arg(1, specs.OpEqualTo, v<<40|v, 0))
		}
		r = append(r, sc)
	}
	return r
}

// FuzzDifferential compares Compile with libseccomp on fuzzed profiles.
func FuzzDifferential(f *testing.F) {
	for seed := range uint64(8) {
		doc, _ := json.Marshal(randomProfile(rand.New(rand.NewPCG(seed, 0xf022))))
		f.Add(doc)
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		var cfg specs.LinuxSeccomp
		if json.Unmarshal(doc, &cfg) != nil || len(cfg.Syscalls) > 64 {
			return
		}
		var stats compareStats
		compareWithLibseccomp(t, &cfg, &stats, 8, false)
	})
}
