package runtime

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/runtime/linux/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func seccompSpec(names ...string) *specs.Spec {
	return &specs.Spec{Linux: &specs.Linux{Seccomp: &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Syscalls:      []specs.LinuxSyscall{{Names: names, Action: specs.ActErrno}},
	}}}
}

func compiledDirect(t *testing.T, spec *specs.Spec) []byte {
	t.Helper()
	f, err := seccomp.Compile(spec.Linux.Seccomp)
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSeccompCache(t *testing.T) {
	r := &Runtime{Root: t.TempDir()}
	spec := seccompSpec("mkdir", "rmdir")
	want := compiledDirect(t, spec)

	got, _, err := r.compileSeccomp(spec)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("first compile: %v, program differs: %v", err, !bytes.Equal(got, want))
	}
	key, err := seccompKey(spec.Linux.Seccomp)
	if err != nil {
		t.Fatal(err)
	}
	entry := filepath.Join(r.Root, seccompDir, key)
	if _, err := os.Stat(entry); err != nil {
		t.Fatalf("no cache entry: %v", err)
	}

	// A hit comes from the file: plant another valid filter under the key.
	other := compiledDirect(t, seccompSpec("chown"))
	os.WriteFile(entry, append(seccompSum(key, other), other...), 0o600)
	if got, _, _ := r.compileSeccomp(spec); !bytes.Equal(got, other) {
		t.Fatalf("the cache entry was not used")
	}

	// A torn or tampered entry is a miss: the profile compiles again and
	// the entry is rewritten.
	for name, data := range map[string][]byte{
		"bad checksum": append(seccompSum(key, want[:len(want)-8]), want...),
		"truncated":    append(seccompSum(key, want), want...)[:40],
		"empty":        nil,
		"not a filter": append(seccompSum(key, []byte("garbage!")), "garbage!"...),
	} {
		os.WriteFile(entry, data, 0o600)
		got, _, err := r.compileSeccomp(spec)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: got a different program (err %v)", name, err)
		}
		if b, _ := os.ReadFile(entry); !bytes.Equal(b, append(seccompSum(key, want), want...)) {
			t.Errorf("%s: entry not rewritten", name)
		}
	}

	// Another profile has another key.
	if k2, _ := seccompKey(seccompSpec("mkdir").Linux.Seccomp); k2 == key {
		t.Errorf("two profiles share key %s", key)
	}
}

func TestSeccompCacheBadProfile(t *testing.T) {
	r := &Runtime{Root: t.TempDir()}
	spec := seccompSpec("mkdir")
	spec.Linux.Seccomp.DefaultAction = "SCMP_ACT_NOPE"
	if _, _, err := r.compileSeccomp(spec); !errdefs.IsInvalidArgument(err) {
		t.Fatalf("bad profile: %v, want an invalid-argument error", err)
	}
	entries, _ := os.ReadDir(filepath.Join(r.Root, seccompDir))
	if len(entries) != 0 {
		t.Errorf("a profile that failed was cached: %v", entries)
	}
	// And it fails the same way the second time.
	if _, _, err := r.compileSeccomp(spec); !errdefs.IsInvalidArgument(err) {
		t.Fatalf("bad profile again: %v", err)
	}
}

func TestSeccompCacheBounded(t *testing.T) {
	dir := t.TempDir()
	for i := 0; i < 10; i++ {
		os.WriteFile(filepath.Join(dir, fmt.Sprint(i)), nil, 0o600)
	}
	// The oldest go first: give them increasing times.
	for i := 0; i < 10; i++ {
		ts := int64(1000 + i)
		os.Chtimes(filepath.Join(dir, fmt.Sprint(i)), time.Unix(ts, 0), time.Unix(ts, 0))
	}
	if err := pruneSeccomp(dir, 4); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if fmt.Sprint(names) != "[6 7 8 9]" {
		t.Errorf("kept %v, want the 4 newest", names)
	}
}
