package cgroups

import (
	"encoding/binary"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// run interprets the subset of eBPF the filter uses, on the context the
// kernel would pass, so that the program's logic is tested without the
// kernel (the real test below loads it too).
func run(t *testing.T, prog []insn, typ, access, major, minor uint32) bool {
	t.Helper()
	ctx := [3]uint32{access<<16 | typ, major, minor}
	var reg [11]uint64
	for pc := 0; pc < len(prog); pc++ {
		in := prog[pc]
		imm := uint64(int64(in.imm))
		switch in.op {
		case opLdxW:
			if in.src != regCtx || in.off%4 != 0 || in.off/4 > 2 {
				t.Fatalf("insn %d: load outside the context", pc)
			}
			reg[in.dst] = uint64(ctx[in.off/4])
		case opMovK:
			reg[in.dst] = imm
		case opMovX:
			reg[in.dst] = reg[in.src]
		case opAndK:
			reg[in.dst] &= imm
		case opAndX:
			reg[in.dst] &= reg[in.src]
		case opOrK:
			reg[in.dst] |= imm
		case opXorK:
			reg[in.dst] ^= imm
		case opRshK:
			reg[in.dst] >>= imm
		case opJeqK:
			if reg[in.dst] == imm {
				pc += int(in.off)
			}
		case opJneK:
			if reg[in.dst] != imm {
				pc += int(in.off)
			}
		case opExit:
			return reg[regR0] == 1
		default:
			t.Fatalf("insn %d: unknown opcode %#x", pc, in.op)
		}
	}
	t.Fatal("program ran off its end")
	return false
}

func rules(t *testing.T, list ...specs.LinuxDeviceCgroup) []deviceRule {
	t.Helper()
	r, err := parseDeviceRules(list)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func dev(allow bool, typ string, major, minor int64, access string) specs.LinuxDeviceCgroup {
	d := specs.LinuxDeviceCgroup{Allow: allow, Type: typ, Access: access}
	if major >= 0 {
		d.Major = &major
	}
	if minor >= 0 {
		d.Minor = &minor
	}
	return d
}

func TestDeviceProgram(t *testing.T) {
	const c, b = devTypeChar, devTypeBlock
	list := rules(t,
		dev(false, "a", -1, -1, "rwm"), // deny everything
		dev(true, "c", 1, 3, "rwm"),    // /dev/null
		dev(true, "c", 1, 5, "r"),      // /dev/zero, read
		dev(true, "c", 1, 5, "w"),      // … and write, in a second rule
		dev(true, "c", 136, -1, "rw"),  // every pts
		dev(true, "b", -1, -1, "m"),    // mknod of any block device
		dev(true, "c", 10, 200, "rwm"), // tun, then taken back:
		dev(false, "c", 10, 200, "w"),  //   write denied again
		dev(true, "", 4, -1, "r"),      // type unset: any type, major 4
		dev(false, "c", 1, 3, "m"),     // no mknod of null after all
		dev(true, "c", 1, 9, ""),       // access unset: rwm
	)
	prog := deviceProgram(list)
	cases := []struct {
		name         string
		typ, acc     uint32
		major, minor uint32
		want         bool
	}{
		{"null read", c, accRead, 1, 3, true},
		{"null read+write", c, accRead | accWrite, 1, 3, true},
		{"null mknod (denied by a later rule)", c, accMknod, 1, 3, false},
		{"zero read+write from two rules", c, accRead | accWrite, 1, 5, true},
		{"zero mknod", c, accMknod, 1, 5, false},
		{"pts 7", c, accRead | accWrite, 136, 7, true},
		{"pts as block device", b, accRead, 136, 7, false},
		{"block mknod", b, accMknod, 8, 0, true},
		{"block read", b, accRead, 8, 0, false},
		{"tun read", c, accRead, 10, 200, true},
		{"tun write", c, accWrite, 10, 200, false},
		{"major 4 char read", c, accRead, 4, 64, true},
		{"major 4 block read", b, accRead, 4, 1, true},
		{"major 4 write", c, accWrite, 4, 64, false},
		{"urandom, access unset", c, accRead | accWrite | accMknod, 1, 9, true},
		{"random", c, accRead, 1, 8, false},
	}
	for _, tc := range cases {
		if got := run(t, prog, tc.typ, tc.acc, tc.major, tc.minor); got != tc.want {
			t.Errorf("%s: allowed=%v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestDeviceProgramAllowAll(t *testing.T) {
	prog := deviceProgram(rules(t, dev(true, "a", -1, -1, "rwm")))
	if !run(t, prog, devTypeBlock, accWrite|accMknod, 259, 0) {
		t.Error("allow-all refused a block device")
	}
	prog = deviceProgram(rules(t, dev(true, "a", -1, -1, "rwm"), dev(false, "b", 8, -1, "w")))
	if run(t, prog, devTypeBlock, accWrite, 8, 1) || !run(t, prog, devTypeBlock, accRead, 8, 1) {
		t.Error("deny of sda writes after allow-all not honoured")
	}
}

func TestEncode(t *testing.T) {
	got := encode([]insn{{op: opLdxW, dst: 2, src: 1, off: 4, imm: -1}})
	want := make([]byte, 8)
	want[0], want[1] = 0x61, 0x12
	if binary.NativeEndian.Uint16([]byte{0, 1}) == 1 {
		want[1] = 0x21
	}
	binary.NativeEndian.PutUint16(want[2:], 4)
	binary.NativeEndian.PutUint32(want[4:], 0xffffffff)
	if string(got) != string(want) {
		t.Errorf("encode = % x, want % x", got, want)
	}
}

func TestParseDeviceRuleRejects(t *testing.T) {
	for _, d := range []specs.LinuxDeviceCgroup{
		{Type: "p", Access: "r"},
		{Type: "c", Access: "rx"},
		{Type: "c", Major: ptr(int64(-5)), Access: "r"},
		{Type: "c", Minor: ptr(int64(1 << 40)), Access: "r"},
	} {
		if _, err := parseDeviceRule(d); err == nil {
			t.Errorf("%+v accepted", d)
		}
	}
}

func TestV1Lines(t *testing.T) {
	cases := []struct {
		d    specs.LinuxDeviceCgroup
		want []string
	}{
		{dev(false, "", -1, -1, "rwm"), []string{"a"}},
		{dev(true, "c", 1, 3, "wr"), []string{"c 1:3 rw"}},
		{dev(true, "c", 136, -1, "rwm"), []string{"c 136:* rwm"}},
		{dev(true, "a", -1, -1, "m"), []string{"b *:* m", "c *:* m"}},
		{dev(true, "a", 4, -1, "r"), []string{"b 4:* r", "c 4:* r"}},
	}
	for _, tc := range cases {
		r, err := parseDeviceRule(tc.d)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.v1Lines(); !equal(got, tc.want) {
			t.Errorf("%+v: lines %q, want %q", tc.d, got, tc.want)
		}
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
