package engine

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestParseVolume(t *testing.T) {
	wd, _ := os.Getwd()
	for in, want := range map[string]Mount{
		"/host:/ctr":           {Type: MountBind, Source: "/host", Destination: "/ctr"},
		"/host:/ctr:ro,Z":      {Type: MountBind, Source: "/host", Destination: "/ctr", ReadOnly: true},
		"./rel:/ctr/:rshared":  {Type: MountBind, Source: filepath.Join(wd, "rel"), Destination: "/ctr", Options: []string{"rshared"}},
		"data:/var/lib/db":     {Type: MountVolume, Source: "data", Destination: "/var/lib/db"},
		"/anonymous":           {Type: MountVolume, Destination: "/anonymous"},
		"vol:/x:noexec,nosuid": {Type: MountVolume, Source: "vol", Destination: "/x", Options: []string{"noexec", "nosuid"}},
	} {
		got, err := ParseVolume(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("ParseVolume(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "relative", "/a:relative", "/a:/b:bogus", "a:b:c:d", "-bad:/x"} {
		if _, err := ParseVolume(bad); err == nil {
			t.Errorf("ParseVolume(%q) accepted", bad)
		}
	}
}

func TestParseTmpfsAndMergeFlags(t *testing.T) {
	m, err := ParseTmpfs("/scratch:size=1m,exec")
	if err != nil || m.Destination != "/scratch" || !slices.Equal(m.Options, []string{"size=1m", "exec"}) {
		t.Fatalf("ParseTmpfs: %+v, %v", m, err)
	}
	if _, err := ParseTmpfs("rel"); err == nil {
		t.Error("ParseTmpfs accepted a relative path")
	}
	got := mergeFlags([]string{"rw", "noexec", "nosuid", "size=64k"}, []string{"exec", "size=1m", "ro"})
	if want := []string{"nosuid", "exec", "size=1m", "ro"}; !slices.Equal(got, want) {
		t.Errorf("mergeFlags = %v, want %v", got, want)
	}
}

func TestParseSizeSignalsPolicies(t *testing.T) {
	for in, want := range map[string]int64{"100": 100, "1k": 1024, "64m": 64 << 20, "1.5g": 3 << 29, "2MiB": 2 << 20, "10b": 10} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "x", "-1", "1q"} {
		if _, err := ParseSize(bad); err == nil {
			t.Errorf("ParseSize(%q) accepted", bad)
		}
	}
	for in, want := range map[string]int{"TERM": 15, "sigkill": 9, "SIGUSR1": 10, "2": 2} {
		if got, err := ParseSignal(in); err != nil || int(got) != want {
			t.Errorf("ParseSignal(%q) = %d, %v", in, got, err)
		}
	}
	if _, err := ParseSignal("SIGNOPE"); err == nil {
		t.Error("ParseSignal accepted SIGNOPE")
	}
	if p, err := ParsePullPolicy(""); err != nil || p != PullMissing {
		t.Errorf("default pull policy %q, %v", p, err)
	}
	if _, err := ParsePullPolicy("sometimes"); err == nil {
		t.Error("ParsePullPolicy accepted sometimes")
	}
}

func TestParseSecurityOptAndEnv(t *testing.T) {
	var o CreateOptions
	for _, s := range []string{"no-new-privileges", "seccomp=unconfined", "label=disable"} {
		if err := o.ParseSecurityOpt(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	if !o.NoNewPrivileges || !o.SeccompUnconfined {
		t.Fatalf("options: %+v", o)
	}
	for _, bad := range []string{"seccomp=/no/such/file", "no-new-privileges=maybe", "bogus"} {
		if err := o.ParseSecurityOpt(bad); err == nil {
			t.Errorf("ParseSecurityOpt(%q) accepted", bad)
		}
	}
	t.Setenv("BERTH_TEST_VAR", "from-host")
	if got := ExpandEnv([]string{"A=1", "BERTH_TEST_VAR", "BERTH_UNSET_VAR"}); !slices.Equal(got, []string{"A=1", "BERTH_TEST_VAR=from-host"}) {
		t.Errorf("ExpandEnv = %v", got)
	}
	file := filepath.Join(t.TempDir(), "env")
	os.WriteFile(file, []byte("# c\n\nX=1\n  Y=a b\nBERTH_TEST_VAR\n"), 0o644)
	if got, err := ParseEnvFile(file); err != nil || !slices.Equal(got, []string{"X=1", "Y=a b", "BERTH_TEST_VAR=from-host"}) {
		t.Errorf("ParseEnvFile = %v, %v", got, err)
	}
	os.WriteFile(file, []byte("not valid=x\n"), 0o644)
	if _, err := ParseEnvFile(file); err == nil {
		t.Error("ParseEnvFile accepted a name with a space")
	}
}

func TestValidate(t *testing.T) {
	for _, o := range []CreateOptions{
		{Name: "-x"}, {WorkingDir: "rel"}, {Network: "bad name"}, {Memory: -1},
		{Mounts: []Mount{{Type: MountBind, Source: "/a", Destination: "rel"}}}, {Env: []string{"=x"}},
	} {
		if err := o.validate(); err == nil {
			t.Errorf("validate accepted %+v", o)
		}
	}
	ok := CreateOptions{Name: "web-1.a_b", WorkingDir: "/srv", Network: "mynet", Env: []string{"A=b"}}
	if err := ok.validate(); err != nil {
		t.Errorf("validate refused %+v: %v", ok, err)
	}
}

func TestContainerCaps(t *testing.T) {
	caps, err := containerCaps(&CreateOptions{CapDrop: []string{"ALL"}, CapAdd: []string{"net_admin", "CAP_KILL"}})
	if err != nil || !slices.Equal(caps, []string{"CAP_KILL", "CAP_NET_ADMIN"}) {
		t.Errorf("drop ALL add two: %v, %v", caps, err)
	}
	caps, _ = containerCaps(&CreateOptions{CapDrop: []string{"chown"}})
	if slices.Contains(caps, "CAP_CHOWN") || !slices.Contains(caps, "CAP_KILL") {
		t.Errorf("drop chown: %v", caps)
	}
	if _, err := containerCaps(&CreateOptions{CapAdd: []string{"CAP_BOGUS"}}); err == nil {
		t.Error("an unknown capability was accepted")
	}
}

func TestSeccompResolve(t *testing.T) {
	find := func(s *specs.LinuxSeccomp, name string) []specs.LinuxSyscall {
		var out []specs.LinuxSyscall
		for _, r := range s.Syscalls {
			if slices.Contains(r.Names, name) {
				out = append(out, r)
			}
		}
		return out
	}
	p := DefaultSeccompProfile()
	plain := p.Resolve([]string{"CAP_CHOWN"})
	if plain.DefaultAction != specs.ActErrno || *plain.DefaultErrnoRet != 1 || len(plain.Architectures) == 0 {
		t.Fatalf("default action: %+v", plain)
	}
	if len(find(plain, "mount")) != 0 || len(find(plain, "read")) != 1 {
		t.Error("without CAP_SYS_ADMIN mount must not be allowed, read must")
	}
	if clone := find(plain, "clone"); len(clone) != 1 || len(clone[0].Args) != 1 || clone[0].Args[0].Op != specs.OpMaskedEqual {
		t.Errorf("clone without CAP_SYS_ADMIN: %+v", clone)
	}
	if c3 := find(plain, "clone3"); len(c3) != 1 || c3[0].Action != specs.ActErrno || *c3[0].ErrnoRet != 38 {
		t.Errorf("clone3 without CAP_SYS_ADMIN: %+v", c3)
	}
	admin := p.Resolve([]string{"CAP_SYS_ADMIN"})
	if len(find(admin, "mount")) != 1 || len(find(admin, "clone3")) != 1 || find(admin, "clone3")[0].Action != specs.ActAllow {
		t.Error("CAP_SYS_ADMIN must allow mount and clone3")
	}
	if got := find(plain, "personality"); len(got) != 5 {
		t.Errorf("personality rules: %d", len(got))
	}
}
