package cgroups

import (
	"encoding/binary"
)

// The cgroup v2 device controller is an eBPF program of type
// BPF_PROG_TYPE_CGROUP_DEVICE attached to the cgroup. The kernel runs it on
// every open and mknod of a device node with a struct bpf_cgroup_dev_ctx:
//
//	u32 access_type  // (access << 16) | type
//	u32 major
//	u32 minor
//
// and allows the access when it returns 1.
const (
	devTypeBlock = 1 // BPF_DEVCG_DEV_BLOCK
	devTypeChar  = 2 // BPF_DEVCG_DEV_CHAR
	accMknod     = 1 // BPF_DEVCG_ACC_MKNOD
	accRead      = 2 // BPF_DEVCG_ACC_READ
	accWrite     = 4 // BPF_DEVCG_ACC_WRITE
	accAll       = accMknod | accRead | accWrite
)

// insn is one eBPF instruction.
type insn struct {
	op       uint8
	dst, src uint8
	off      int16
	imm      int32
}

// The opcodes the filter needs (class | operation | source).
const (
	opLdxW   = 0x61 // BPF_LDX|BPF_MEM|BPF_W: dst = *(u32 *)(src + off)
	opMovK   = 0xb7 // BPF_ALU64|BPF_MOV|BPF_K
	opMovX   = 0xbf // BPF_ALU64|BPF_MOV|BPF_X
	opAndK   = 0x57 // BPF_ALU64|BPF_AND|BPF_K
	opAndX   = 0x5f // BPF_ALU64|BPF_AND|BPF_X
	opOrK    = 0x47 // BPF_ALU64|BPF_OR|BPF_K
	opXorK   = 0xa7 // BPF_ALU64|BPF_XOR|BPF_K
	opRshK   = 0x77 // BPF_ALU64|BPF_RSH|BPF_K
	opJeqK   = 0x15 // BPF_JMP|BPF_JEQ|BPF_K: if dst == imm, pc += off
	opJneK   = 0x55 // BPF_JMP|BPF_JNE|BPF_K
	opExit   = 0x95 // BPF_JMP|BPF_EXIT: return r0
	regR0    = 0    // return value: the access bits granted so far
	regCtx   = 1    // the context on entry
	regType  = 2
	regAcc   = 3
	regMajor = 4
	regMinor = 5
)

// deviceProgram assembles the filter for rules. It follows the order the spec
// gives the list: r0 starts with no access granted, every rule that matches
// the device sets (allow) or clears (deny) its access bits in r0, so the last
// rule matching a device and an access bit decides it; at the end the
// access is allowed when every requested bit is granted.
func deviceProgram(rules []deviceRule) []insn {
	prog := []insn{
		{op: opLdxW, dst: regType, src: regCtx, off: 0},
		{op: opMovX, dst: regAcc, src: regType},
		{op: opAndK, dst: regType, imm: 0xffff},
		{op: opRshK, dst: regAcc, imm: 16},
		{op: opLdxW, dst: regMajor, src: regCtx, off: 4},
		{op: opLdxW, dst: regMinor, src: regCtx, off: 8},
		{op: opMovK, dst: regR0, imm: 0},
	}
	for _, r := range rules {
		prog = append(prog, ruleBlock(r)...)
	}
	return append(prog,
		insn{op: opXorK, dst: regR0, imm: accAll}, // r0 = bits not granted
		insn{op: opAndX, dst: regR0, src: regAcc}, // … that were requested
		insn{op: opJeqK, dst: regR0, off: 2},      // none: allow
		insn{op: opMovK, dst: regR0, imm: 0},
		insn{op: opExit},
		insn{op: opMovK, dst: regR0, imm: 1},
		insn{op: opExit},
	)
}

// ruleBlock compares the device with what the rule names (each comparison
// that fails jumps past the block) and then updates r0.
func ruleBlock(r deviceRule) []insn {
	var checks []insn
	switch r.typ {
	case 'b':
		checks = append(checks, insn{op: opJneK, dst: regType, imm: devTypeBlock})
	case 'c':
		checks = append(checks, insn{op: opJneK, dst: regType, imm: devTypeChar})
	}
	if r.major >= 0 {
		checks = append(checks, insn{op: opJneK, dst: regMajor, imm: int32(r.major)})
	}
	if r.minor >= 0 {
		checks = append(checks, insn{op: opJneK, dst: regMinor, imm: int32(r.minor)})
	}
	for i := range checks {
		checks[i].off = int16(len(checks) - i) // the rest of the checks, and the update
	}
	bits := accessBits(r.access)
	if r.allow {
		return append(checks, insn{op: opOrK, dst: regR0, imm: bits})
	}
	return append(checks, insn{op: opAndK, dst: regR0, imm: accAll &^ bits})
}

func accessBits(access string) int32 {
	var bits int32
	for _, c := range access {
		switch c {
		case 'r':
			bits |= accRead
		case 'w':
			bits |= accWrite
		case 'm':
			bits |= accMknod
		}
	}
	return bits
}

// encode lays the program out as struct bpf_insn: code, dst_reg:4 and
// src_reg:4 bit-fields in one byte (dst in the low nibble on little-endian
// machines, the high one on big-endian), off, imm.
func encode(prog []insn) []byte {
	bigEndian := binary.NativeEndian.Uint16([]byte{0, 1}) == 1
	out := make([]byte, 0, 8*len(prog))
	for _, in := range prog {
		regs := in.dst&0xf | in.src<<4
		if bigEndian {
			regs = in.dst<<4 | in.src&0xf
		}
		out = append(out, in.op, regs)
		out = binary.NativeEndian.AppendUint16(out, uint16(in.off))
		out = binary.NativeEndian.AppendUint32(out, uint32(in.imm))
	}
	return out
}
