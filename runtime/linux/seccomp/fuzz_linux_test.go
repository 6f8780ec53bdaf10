package seccomp

import (
	"encoding/json"
	"slices"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// FuzzCompile feeds linux.seccomp objects to Compile: it must return an
// error or a loadable-looking program, never panic, and the program must
// decide every syscall without running off its end.
func FuzzCompile(f *testing.F) {
	for _, seed := range []string{
		`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO","errnoRet":30}]}`,
		`{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86","SCMP_ARCH_X32"],"syscalls":[{"names":["read","write"],"action":"SCMP_ACT_ALLOW"}]}`,
		`{"defaultAction":"SCMP_ACT_KILL_PROCESS","syscalls":[{"names":["personality"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":8,"op":"SCMP_CMP_EQ"},{"index":0,"value":0,"op":"SCMP_CMP_EQ"}]}]}`,
		`{"defaultAction":"SCMP_ACT_ALLOW","listenerPath":"/a","listenerMetadata":"m","flags":["SECCOMP_FILTER_FLAG_TSYNC"],"syscalls":[{"names":["mkdirat"],"action":"SCMP_ACT_NOTIFY"}]}`,
		`{"defaultAction":"SCMP_ACT_TRACE","defaultErrnoRet":7,"syscalls":[{"names":["clone"],"action":"SCMP_ACT_LOG","args":[{"index":0,"value":2114060288,"valueTwo":0,"op":"SCMP_CMP_MASKED_EQ"},{"index":5,"value":1,"op":"SCMP_CMP_GT"}]}]}`,
		`{"defaultAction":"SCMP_ACT_FOO"}`,
		`{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":[],"action":"SCMP_ACT_ALLOW"}]}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		var cfg specs.LinuxSeccomp
		if json.Unmarshal([]byte(doc), &cfg) != nil {
			return
		}
		filter, err := Compile(&cfg)
		if err != nil {
			return
		}
		prog := filter.Program()
		if len(prog) == 0 || len(prog) > maxInsns {
			t.Fatalf("program of %d instructions", len(prog))
		}
		for _, c := range []call{{nr: 0, arch: amd64}, {nr: 83, arch: amd64, args: [6]uint64{1, 2}}, {nr: 1000, arch: amd64}, {nr: 5, arch: unix.AUDIT_ARCH_I386}, {nr: -1, arch: amd64}} {
			if _, err := run(prog, c); err != nil {
				t.Fatalf("%s: %v", doc, err)
			}
		}
		enc, _ := filter.MarshalBinary()
		var back Filter
		if err := back.UnmarshalBinary(enc); err != nil || !slices.Equal(back.Program(), prog) || back.Flags() != filter.Flags() || back.Notify() != filter.Notify() {
			t.Fatalf("round trip of %s: %v", doc, err)
		}
	})
}

func FuzzUnmarshalBinary(f *testing.F) {
	for _, cfg := range []specs.LinuxSeccomp{
		{DefaultAction: specs.ActAllow},
		{DefaultAction: specs.ActAllow, ListenerPath: "/a", Syscalls: []specs.LinuxSyscall{sys(specs.ActNotify, "mkdir")}},
	} {
		filter, err := Compile(&cfg)
		if err != nil {
			f.Fatal(err)
		}
		enc, _ := filter.MarshalBinary()
		f.Add(enc)
		f.Add(enc[:len(enc)-1])
	}
	f.Add([]byte("BSF1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var filter Filter
		if filter.UnmarshalBinary(data) != nil {
			return
		}
		enc, _ := filter.MarshalBinary()
		if !slices.Equal(enc, data) {
			t.Fatalf("re-encoding differs:\n%x\n%x", data, enc)
		}
	})
}

func TestUnmarshalBinaryErrors(t *testing.T) {
	good, _ := mustCompile(t, &specs.LinuxSeccomp{DefaultAction: specs.ActAllow}).MarshalBinary()
	mutate := func(fn func([]byte) []byte) []byte { return fn(slices.Clone(good)) }
	for name, data := range map[string][]byte{
		"empty":     nil,
		"magic":     mutate(func(b []byte) []byte { b[0] = 'X'; return b }),
		"truncated": good[:len(good)-3],
		"flags":     mutate(func(b []byte) []byte { b[7] = 0x80; return b }),
		"notify":    mutate(func(b []byte) []byte { b[8] = 1; return b }),
		"count":     mutate(func(b []byte) []byte { b[9], b[10] = 0, 0; return b[:headerSize] }),
	} {
		var f Filter
		if err := f.UnmarshalBinary(data); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
}
