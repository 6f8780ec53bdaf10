package seccomp

import (
	"log/slog"
	"slices"
	"sort"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// build generates p's program and returns it with the syscall names
// libseccomp's tables do not know (skipped, sorted). It makes the program
// libseccomp would, decision for decision (the differential test holds it
// to that): the rules of each architecture are gathered per syscall number
// as libseccomp's rule database keeps them, then each architecture gets a
// section that finds the number by binary search over ranges of numbers
// with one outcome.
func build(p *profile) (prog []unix.SockFilter, skipped []string, err error) {
	secs := sections(p)
	for _, r := range p.rules {
		if r.action == p.defaultAction {
			continue // cannot change the outcome, and libseccomp refuses it
		}
		for _, name := range r.names {
			i := syscallIndex(name)
			if i < 0 {
				slog.Debug("seccomp: skipping syscall unknown to libseccomp", "syscall", name, "libseccomp", tablesVersion)
				skipped = append(skipped, name)
				continue
			}
			for _, s := range secs {
				for _, a := range s.archs {
					addRules(s, a, i, r)
				}
			}
		}
	}
	prog, err = generate(p, secs)
	if err != nil {
		return nil, nil, err
	}
	slices.Sort(skipped)
	return prog, slices.Compact(skipped), nil
}

// section is the part of the program for one seccomp_data.arch value: one
// architecture, or x86_64 and x32 together.
type section struct {
	audit   uint32
	archs   []archUse
	syscall map[uint32]*syscallRules
}

// syscallRules are the rules of one syscall number, as libseccomp keeps
// them: an unconditional rule stands alone; conditional ones are tried in
// the order they came.
type syscallRules struct {
	arch   arch
	uncond bool
	action action // of the unconditional rule
	conds  []condRule
}

type condRule struct {
	action action
	conds  []condition // one per argument index
}

func sections(p *profile) []*section {
	var secs []*section
	for _, use := range p.archs {
		i := slices.IndexFunc(secs, func(s *section) bool { return s.audit == use.audit })
		if i < 0 {
			secs = append(secs, &section{audit: use.audit, syscall: map[uint32]*syscallRules{}})
			i = len(secs) - 1
		}
		secs[i].archs = append(secs[i].archs, use)
	}
	return secs
}

// addRules adds r for syscall i on one architecture, as libseccomp does:
// nothing where the name is only a pseudo number there; a multiplexed
// socket or ipc call becomes a rule on the multiplexer with argument 0 set
// to the call (replacing any condition on argument 0, as libseccomp does)
// plus the rule itself on the direct syscall, if there is one.
func addRules(s *section, use archUse, i int, r rule) {
	t := use.table
	if nr := t.resolve(i); nr >= 0 {
		addAlternatives(s, use.arch, uint32(nr), r.action, r.alternatives, nil)
		return
	}
	m, ok := t.multiplexed(i)
	if !ok {
		return
	}
	sub := condition{arg: 0, op: specs.OpEqualTo, value: uint64(m.sub)}
	addAlternatives(s, use.arch, uint32(m.call), r.action, r.alternatives, &sub)
	if m.direct >= 0 {
		addAlternatives(s, use.arch, uint32(m.direct), r.action, r.alternatives, nil)
	}
}

func addAlternatives(s *section, a arch, nr uint32, act action, alts [][]condition, arg0 *condition) {
	if len(alts) == 0 {
		alts = [][]condition{nil}
	}
	for _, alt := range alts {
		if arg0 != nil {
			alt = slices.DeleteFunc(slices.Clone(alt), func(c condition) bool { return c.arg == 0 })
			alt = append(alt, *arg0)
		}
		add(s, a, nr, act, alt)
	}
}

// add is libseccomp's db_rule_add for our rules: the first unconditional
// rule of a syscall stands, later ones and later conditional ones are
// ignored; an unconditional rule replaces the conditional ones before it.
func add(s *section, a arch, nr uint32, act action, conds []condition) {
	sr := s.syscall[nr]
	switch {
	case sr == nil:
		sr = &syscallRules{arch: a}
		s.syscall[nr] = sr
	case sr.uncond:
		return
	}
	if len(conds) == 0 {
		sr.uncond, sr.action, sr.conds = true, act, nil
		return
	}
	sorted := slices.Clone(conds)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].arg < sorted[j].arg })
	sr.conds = append(sr.conds, condRule{action: act, conds: sorted})
}
