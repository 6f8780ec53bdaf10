package seccomp

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// berth's binaries are linked statically with cgo; libseccomp must link and
// work that way. The program built is testdata/staticmain.
func TestStaticLink(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a static binary")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(t.TempDir(), "staticmain")
	build := exec.Command(goBin, "build", "-tags", "netgo osusergo", "-ldflags", "-extldflags -static", "-o", bin, "./testdata/staticmain")
	build.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("static build: %v\n%s", err, out)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("the binary has a %s segment: not static", p.Type)
		}
	}
	out, err := exec.Command(bin).CombinedOutput()
	if err != nil {
		t.Fatalf("run the static binary: %v\n%s", err, out)
	}
	native, err := nativeArch()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), `"`+string(native.name)+`"`) || !strings.Contains(string(out), "mkdir: invalid cross-device link") {
		t.Errorf("static binary printed %q", out)
	}
}
