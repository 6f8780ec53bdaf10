package seccomp

import (
	"encoding/binary"
	"fmt"

	"golang.org/x/sys/unix"
)

// call is the seccomp_data a syscall presents to the filter.
type call struct {
	nr   int32
	arch uint32
	args [6]uint64
}

func (c call) bytes() []byte {
	b := make([]byte, 64)
	binary.NativeEndian.PutUint32(b[0:], uint32(c.nr))
	binary.NativeEndian.PutUint32(b[4:], c.arch)
	for i, a := range c.args {
		binary.NativeEndian.PutUint64(b[16+8*i:], a)
	}
	return b
}

// run interprets a classic BPF program as the kernel's seccomp would, so a
// test can ask what a filter decides for a syscall without loading it.
func run(prog []unix.SockFilter, c call) (uint32, error) {
	data := c.bytes()
	var a, x uint32
	var mem [16]uint32
	for pc := 0; pc < len(prog); pc++ {
		in := prog[pc]
		switch in.Code & 0x07 {
		case unix.BPF_LD, unix.BPF_LDX:
			v, err := load(in, data, mem[:], x)
			if err != nil {
				return 0, fmt.Errorf("pc %d: %w", pc, err)
			}
			if in.Code&0x07 == unix.BPF_LD {
				a = v
			} else {
				x = v
			}
		case unix.BPF_ST:
			mem[in.K%16] = a
		case unix.BPF_STX:
			mem[in.K%16] = x
		case unix.BPF_ALU:
			v, ok := alu(in, a, x)
			if !ok {
				return 0, fmt.Errorf("pc %d: unsupported alu %#x", pc, in.Code)
			}
			a = v
		case unix.BPF_JMP:
			pc += jump(in, a, x)
		case unix.BPF_RET:
			if in.Code&0x18 == unix.BPF_A {
				return a, nil
			}
			return in.K, nil
		case unix.BPF_MISC:
			if in.Code&0xf8 == unix.BPF_TAX {
				x = a
			} else {
				a = x
			}
		}
	}
	return 0, fmt.Errorf("program ran off its end")
}

func load(in unix.SockFilter, data []byte, mem []uint32, x uint32) (uint32, error) {
	switch in.Code & 0xe0 {
	case unix.BPF_ABS:
		if in.Code&0x18 != unix.BPF_W || int(in.K)+4 > len(data) || in.K%4 != 0 {
			return 0, fmt.Errorf("bad load %#x at %d", in.Code, in.K)
		}
		return binary.NativeEndian.Uint32(data[in.K:]), nil
	case unix.BPF_IMM:
		return in.K, nil
	case unix.BPF_MEM:
		return mem[in.K%16], nil
	case unix.BPF_LEN:
		return uint32(len(data)), nil
	}
	return 0, fmt.Errorf("unsupported load %#x", in.Code)
}

func alu(in unix.SockFilter, a, x uint32) (uint32, bool) {
	v := in.K
	if in.Code&0x08 == unix.BPF_X {
		v = x
	}
	switch in.Code & 0xf0 {
	case unix.BPF_ADD:
		return a + v, true
	case unix.BPF_SUB:
		return a - v, true
	case unix.BPF_AND:
		return a & v, true
	case unix.BPF_OR:
		return a | v, true
	case unix.BPF_LSH:
		return a << v, true
	case unix.BPF_RSH:
		return a >> v, true
	case unix.BPF_NEG:
		return -a, true
	}
	return 0, false
}

func jump(in unix.SockFilter, a, x uint32) int {
	v := in.K
	if in.Code&0x08 == unix.BPF_X {
		v = x
	}
	var taken bool
	switch in.Code & 0xf0 {
	case unix.BPF_JA:
		return int(in.K)
	case unix.BPF_JEQ:
		taken = a == v
	case unix.BPF_JGT:
		taken = a > v
	case unix.BPF_JGE:
		taken = a >= v
	case unix.BPF_JSET:
		taken = a&v != 0
	}
	if taken {
		return int(in.Jt)
	}
	return int(in.Jf)
}
