package seccomp

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// bpfasm assembles a forward-only classic BPF program with numbered labels.
// A conditional jump has 8-bit offsets: where a target is further, assemble
// puts a BPF_JA (32-bit offset) right after the jump and aims the jump at it.
type bpfasm struct {
	insns  []asmInsn
	labels []int // label -> index in insns; -1 until bound
}

type asmInsn struct {
	code   uint16
	k      uint32
	jt, jf int // labels of a conditional jump; jt of BPF_JA
}

// labelNext is the instruction that follows, for a conditional jump.
const labelNext = -1

func (a *bpfasm) newLabel() int {
	a.labels = append(a.labels, -1)
	return len(a.labels) - 1
}

func (a *bpfasm) bind(label int) { a.labels[label] = len(a.insns) }

func (a *bpfasm) stmt(code uint16, k uint32) {
	a.insns = append(a.insns, asmInsn{code: code, k: k, jt: labelNext, jf: labelNext})
}

func (a *bpfasm) load(offset uint32) { a.stmt(unix.BPF_LD|unix.BPF_W|unix.BPF_ABS, offset) }

func (a *bpfasm) ret(act action) { a.stmt(unix.BPF_RET|unix.BPF_K, uint32(act)) }

// jump adds a conditional jump (BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET on k).
func (a *bpfasm) jump(cond uint16, k uint32, jt, jf int) {
	a.insns = append(a.insns, asmInsn{code: unix.BPF_JMP | cond | unix.BPF_K, k: k, jt: jt, jf: jf})
}

func (a *bpfasm) goTo(label int) {
	a.insns = append(a.insns, asmInsn{code: unix.BPF_JMP | unix.BPF_JA, jt: label})
}

func isCondJump(code uint16) bool {
	return code&0x07 == unix.BPF_JMP && code&0xf0 != unix.BPF_JA
}

// assemble resolves the labels, adding long jumps where needed.
func (a *bpfasm) assemble() ([]unix.SockFilter, error) {
	n := len(a.insns)
	// target[i] are the instruction indexes insn i jumps to.
	target := make([][2]int, n)
	for i, in := range a.insns {
		if in.code&0x07 != unix.BPF_JMP {
			continue
		}
		for b, l := range [2]int{in.jt, in.jf} {
			if b == 1 && !isCondJump(in.code) {
				break
			}
			t := i + 1
			if l != labelNext {
				if l < 0 || l >= len(a.labels) || a.labels[l] < 0 {
					return nil, fmt.Errorf("seccomp: assemble: jump at %d to unbound label %d", i, l)
				}
				t = a.labels[l]
			}
			if t <= i || t >= n {
				return nil, fmt.Errorf("seccomp: assemble: jump at %d to %d is not forward within the program", i, t)
			}
			target[i][b] = t
		}
	}
	// far[i][b]: branch b of insn i goes through a long jump placed after i.
	far := make([][2]bool, n)
	pos := make([]int, n+1)
	for {
		p := 0
		for i := range n {
			pos[i] = p
			p++
			for _, f := range far[i] {
				if f {
					p++
				}
			}
		}
		pos[n] = p
		changed := false
		for i, in := range a.insns {
			if !isCondJump(in.code) {
				continue
			}
			for b := range 2 {
				if !far[i][b] && pos[target[i][b]]-pos[i]-1 > 0xff {
					far[i][b] = true
					changed = true
				}
			}
		}
		if !changed {
			break
		}
	}
	prog := make([]unix.SockFilter, 0, pos[n])
	for i, in := range a.insns {
		out := unix.SockFilter{Code: in.code, K: in.k}
		switch {
		case in.code&0x07 != unix.BPF_JMP:
		case !isCondJump(in.code):
			out.K = uint32(pos[target[i][0]] - pos[i] - 1)
		default:
			var longs []int
			var offs [2]uint8
			for b := range 2 {
				if far[i][b] {
					offs[b] = uint8(len(longs))
					longs = append(longs, target[i][b])
				} else {
					offs[b] = uint8(pos[target[i][b]] - pos[i] - 1)
				}
			}
			out.Jt, out.Jf = offs[0], offs[1]
			prog = append(prog, out)
			for j, t := range longs {
				at := pos[i] + 1 + j
				prog = append(prog, unix.SockFilter{Code: unix.BPF_JMP | unix.BPF_JA, K: uint32(pos[t] - at - 1)})
			}
			continue
		}
		prog = append(prog, out)
	}
	if err := verify(prog); err != nil {
		return nil, err
	}
	return prog, nil
}

// verify checks what a wrong jump would break: every jump lands inside the
// program, forward, and no path runs off its end.
func verify(prog []unix.SockFilter) error {
	if len(prog) == 0 {
		return fmt.Errorf("seccomp: assemble: empty program")
	}
	last := prog[len(prog)-1]
	if last.Code&0x07 != unix.BPF_RET {
		return fmt.Errorf("seccomp: assemble: the program does not end in a return")
	}
	for pc, in := range prog {
		if in.Code&0x07 != unix.BPF_JMP {
			continue
		}
		offs := []uint64{uint64(in.Jt), uint64(in.Jf)}
		if in.Code&0xf0 == unix.BPF_JA {
			offs = []uint64{uint64(in.K)}
		}
		for _, off := range offs {
			if uint64(pc)+1+off >= uint64(len(prog)) {
				return fmt.Errorf("seccomp: assemble: jump at %d beyond the end", pc)
			}
		}
	}
	return nil
}
