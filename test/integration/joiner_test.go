package integration

import (
	"debug/buildinfo"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-oci/berth/internal/fixture"
)

// berth-runtime as make builds it has no cgo: a container whose namespaces
// are all new starts from the binary itself, an exec (which joins the
// container's namespaces) from the cgo joiner the binary carries. Both run
// from read-only copies under --root.
func TestJoinerRunsExec(t *testing.T) {
	info, err := buildinfo.ReadFile(runtimeBin)
	if err != nil {
		t.Fatalf("read build info of %s: %v", runtimeBin, err)
	}
	cgo := ""
	for _, s := range info.Settings {
		if s.Key == "CGO_ENABLED" {
			cgo = s.Value
		}
	}
	if cgo != "0" {
		fixture.Unmet(t, runtimeBin+" was built with cgo (make build builds it without, around its joiner)")
	}
	r := newRT(t)
	b := r.bundle([]string{"sleep", "100"}, nil)
	r.ok("run", "-d", "--bundle", b, "j1")
	copies := func() []string {
		entries, _ := os.ReadDir(filepath.Join(r.root, "@exe"))
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		return names
	}
	if c := copies(); len(c) != 1 || strings.HasSuffix(c[0], "-joiner") {
		t.Fatalf("after run, the runtime's copies are %v: want itself only", c)
	}
	if out := r.ok("exec", "j1", "sh", "-c", "echo joined $(hostname)"); !strings.HasPrefix(out, "joined ") {
		t.Fatalf("exec printed %q", out)
	}
	c := copies()
	if len(c) != 2 || !strings.HasSuffix(c[1], "-joiner") || c[1] != c[0]+"-joiner" {
		t.Fatalf("after exec, the runtime's copies are %v: want itself and its joiner", c)
	}
	r.ok("delete", "--force", "j1")
}
