package seccomp

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// condition is one argument test: for SCMP_CMP_MASKED_EQ,
// (arg & value) == valueTwo; for the others, arg <op> value.
type condition struct {
	arg             uint
	op              specs.LinuxSeccompOperator
	value, valueTwo uint64
}

// maxAlternatives bounds the rules one syscalls[] entry may expand to; the
// cross product of same-index conditions grows fast and each alternative is
// a separate path through the BPF program.
const maxAlternatives = 64

// alternatives converts args into rules of one condition per argument, as
// libseccomp takes them (it refuses two conditions on the same argument in
// one rule), so conditions on one index become alternatives (ORed, as runc does) while different indexes
// stay ANDed: {a0==1, a0==2, a1==5} gives (a0==1 && a1==5) || (a0==2 && a1==5).
func alternatives(field string, args []specs.LinuxSeccompArg) ([][]condition, error) {
	if len(args) == 0 {
		return nil, nil
	}
	var groups [][]condition // one per argument index, in order of first use
	group := map[uint]int{}
	for i, arg := range args {
		c, err := toCondition(fmt.Sprintf("%s.args[%d]", field, i), arg)
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
	alts := [][]condition{nil}
	for _, g := range groups {
		next := make([][]condition, 0, len(alts)*len(g))
		for _, alt := range alts {
			for _, c := range g {
				next = append(next, append(append([]condition(nil), alt...), c))
			}
		}
		alts = next
	}
	return alts, nil
}

// condition converts one argument test. For SCMP_CMP_MASKED_EQ, value is the
// mask and valueTwo the datum: (arg & value) == valueTwo. The other operators
// compare with value and ignore valueTwo.
func toCondition(field string, arg specs.LinuxSeccompArg) (condition, error) {
	if !operators[arg.Op] {
		return condition{}, invalid(field, "unknown operator %q", arg.Op)
	}
	if arg.Index >= maxArgs {
		return condition{}, invalid(field, "index %d is out of range (0-%d)", arg.Index, maxArgs-1)
	}
	c := condition{arg: arg.Index, op: arg.Op, value: arg.Value}
	if arg.Op == specs.OpMaskedEqual {
		c.valueTwo = arg.ValueTwo
	}
	return c, nil
}
