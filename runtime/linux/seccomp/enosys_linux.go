package seccomp

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// x32Bit marks an x32 syscall on AUDIT_ARCH_X86_64 (__X32_SYSCALL_BIT).
const x32Bit = 0x40000000

// needsStub reports whether syscalls newer than the profile should get ENOSYS
// rather than the default action: not when the default lets them through
// (a tracer handles new syscalls itself) or already returns ENOSYS.
func needsStub(def action) bool {
	switch def.kind() {
	case actAllow, actLog, actTrace:
		return false
	case actErrno:
		return def.data() != uint32(unix.ENOSYS)
	}
	return true
}

// lastSyscalls returns, per architecture of p, the highest syscall number
// the profile names (by libseccomp's tables, where multiplexed calls have
// no number); 0 when it names none.
func lastSyscalls(p *profile) map[specs.Arch]uint32 {
	last := map[specs.Arch]uint32{}
	for _, r := range p.rules {
		for _, name := range r.names {
			i := syscallIndex(name)
			if i < 0 {
				continue
			}
			for _, a := range p.archs {
				if nr := a.table.resolve(i); nr > 0 && uint32(nr) > last[a.name] {
					last[a.name] = uint32(nr)
				}
			}
		}
	}
	return last
}

// enosysStub returns the instructions that run before the rules' program:
// for each architecture of the profile, a syscall above the highest one the
// profile names returns ENOSYS; everything else falls through to the
// program, which follows the stub directly.
func enosysStub(p *profile) ([]unix.SockFilter, error) {
	last := lastSyscalls(p)
	var a asm
	a.stmt(unix.BPF_LD|unix.BPF_W|unix.BPF_ABS, 4) // seccomp_data.arch
	done := map[uint32]bool{}
	for i, use := range p.archs {
		if done[use.audit] {
			continue // x86_64 and x32 share one section
		}
		done[use.audit] = true
		next := fmt.Sprintf("arch%d", i+1)
		a.jump(unix.BPF_JEQ, use.audit, "", next)
		a.stmt(unix.BPF_LD|unix.BPF_W|unix.BPF_ABS, 0) // seccomp_data.nr
		archSection(&a, use, last, fmt.Sprintf("x32_%d", i))
		a.label(next)
	}
	a.jump(unix.BPF_JA, 0, "filter", "")
	a.label("enosys")
	a.stmt(unix.BPF_RET|unix.BPF_K, unix.SECCOMP_RET_ERRNO|uint32(unix.ENOSYS))
	a.label("filter")
	return a.assemble()
}

// archSection compares the loaded syscall number with the highest known for
// use's architecture, jumping to "enosys" or "filter".
func archSection(a *asm, use archUse, last map[specs.Arch]uint32, x32 string) {
	switch use.name {
	case specs.ArchS390, specs.ArchS390X:
		// Syscall 0 multiplexes numbers the kernel does not know; the real
		// setup(2) has been gone for decades.
		a.jump(unix.BPF_JEQ, 0, "enosys", "")
	case specs.ArchX86_64, specs.ArchX32:
		// One audit arch for both ABIs: bit 30 tells them apart, and the x32
		// numbers libseccomp reports carry that bit.
		a.jump(unix.BPF_JSET, x32Bit, x32, "")
		limit(a, last[specs.ArchX86_64])
		a.label(x32)
		limit(a, last[specs.ArchX32])
		return
	}
	limit(a, last[use.name])
}

func limit(a *asm, last uint32) {
	if last > 0 {
		a.jump(unix.BPF_JGT, last, "enosys", "")
	}
	a.jump(unix.BPF_JA, 0, "filter", "")
}

// asm assembles a forward-only cBPF fragment with symbolic jump targets.
// "" means the next instruction; "filter" may name the end of the fragment.
type asm struct {
	insns  []unix.SockFilter
	jumps  map[int][2]string
	labels map[string]int
}

func (a *asm) stmt(code uint16, k uint32) {
	a.insns = append(a.insns, unix.SockFilter{Code: code, K: k})
}

func (a *asm) jump(cond uint16, k uint32, jt, jf string) {
	if a.jumps == nil {
		a.jumps = map[int][2]string{}
	}
	a.jumps[len(a.insns)] = [2]string{jt, jf}
	a.stmt(unix.BPF_JMP|cond|unix.BPF_K, k)
}

func (a *asm) label(name string) {
	if a.labels == nil {
		a.labels = map[string]int{}
	}
	a.labels[name] = len(a.insns)
}

func (a *asm) assemble() ([]unix.SockFilter, error) {
	for pc, targets := range a.jumps {
		var offs [2]int
		for i, t := range targets {
			if t == "" {
				continue
			}
			at, ok := a.labels[t]
			if !ok {
				return nil, fmt.Errorf("seccomp: enosys stub: no label %q", t)
			}
			offs[i] = at - pc - 1
		}
		insn := &a.insns[pc]
		if insn.Code&0xf0 == unix.BPF_JA {
			insn.K = uint32(offs[0])
			continue
		}
		if offs[0] > 0xff || offs[1] > 0xff {
			return nil, fmt.Errorf("seccomp: enosys stub: jump at %d too long", pc)
		}
		insn.Jt, insn.Jf = uint8(offs[0]), uint8(offs[1])
	}
	return a.insns, nil
}
