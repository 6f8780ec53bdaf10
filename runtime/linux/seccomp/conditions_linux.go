package seccomp

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
)

// maxAlternatives bounds the rules one syscalls[] entry may expand to; the
// cross product of same-index conditions grows fast and each alternative is
// a separate path through the BPF program.
const maxAlternatives = 64

// alternatives converts args into the rules libseccomp can take. libseccomp
// refuses two conditions on the same argument in one rule, so conditions on
// one index become alternatives (ORed, as runc does) while different indexes
// stay ANDed: {a0==1, a0==2, a1==5} gives (a0==1 && a1==5) || (a0==2 && a1==5).
func alternatives(field string, args []specs.LinuxSeccompArg) ([][]libseccomp.ScmpCondition, error) {
	if len(args) == 0 {
		return nil, nil
	}
	var groups [][]libseccomp.ScmpCondition // one per argument index, in order of first use
	group := map[uint]int{}
	for i, arg := range args {
		c, err := condition(fmt.Sprintf("%s.args[%d]", field, i), arg)
		if err != nil {
			return nil, err
		}
		g, ok := group[arg.Index]
		if !ok {
			g = len(groups)
			group[arg.Index] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], c)
	}
	count := 1
	for _, g := range groups {
		count *= len(g)
		if count > maxAlternatives {
			return nil, invalid(field+".args", "conditions on the same argument expand to more than %d rules", maxAlternatives)
		}
	}
	alts := [][]libseccomp.ScmpCondition{nil}
	for _, g := range groups {
		next := make([][]libseccomp.ScmpCondition, 0, len(alts)*len(g))
		for _, alt := range alts {
			for _, c := range g {
				next = append(next, append(append([]libseccomp.ScmpCondition(nil), alt...), c))
			}
		}
		alts = next
	}
	return alts, nil
}

// condition converts one argument test. For SCMP_CMP_MASKED_EQ, value is the
// mask and valueTwo the datum: (arg & value) == valueTwo. The other operators
// compare with value and ignore valueTwo.
func condition(field string, arg specs.LinuxSeccompArg) (libseccomp.ScmpCondition, error) {
	op, ok := operators[arg.Op]
	if !ok {
		return libseccomp.ScmpCondition{}, invalid(field, "unknown operator %q", arg.Op)
	}
	if arg.Index >= maxArgs {
		return libseccomp.ScmpCondition{}, invalid(field, "index %d is out of range (0-%d)", arg.Index, maxArgs-1)
	}
	c := libseccomp.ScmpCondition{Argument: arg.Index, Op: op, Operand1: arg.Value}
	if op == libseccomp.CompareMaskedEqual {
		c.Operand2 = arg.ValueTwo
	}
	return c, nil
}
