// Package depcheck enforces the import direction of ../shared/ARCHITECTURE.md:
// imports flow down the package table only, and no package wraps another
// project's container engine.
package depcheck

import (
	"bytes"
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/berth-oci/berth"

// rule says which packages of the module a package may import (by path
// prefix, relative to the module) and which outside modules it must not.
type rule struct {
	pkg       string   // package path relative to the module; "x/..." covers x and below
	allow     []string // module-relative prefixes it may import
	forbidExt []string // outside import path prefixes it must not import
}

// The library packages every layer may use.
var base = []string{"errdefs", "internal/atomicfile", "internal/progress"}

var rules = []rule{
	{pkg: "errdefs"},
	{pkg: "image/...", allow: []string{"errdefs", "image"}, forbidExt: []string{"github.com/opencontainers/runtime-spec"}},
	{pkg: "content/...", allow: append([]string{"image", "content"}, base...), forbidExt: []string{"github.com/opencontainers/runtime-spec"}},
	{pkg: "layout/...", allow: append([]string{"content", "image", "layout"}, base...), forbidExt: []string{"github.com/opencontainers/runtime-spec"}},
	{pkg: "layer/...", allow: append([]string{"layer"}, base...), forbidExt: []string{"github.com/opencontainers/runtime-spec"}},
	{pkg: "bundle/...", allow: append([]string{"image", "content", "layer", "bundle"}, base...)},
	{pkg: "registry/...", allow: append([]string{"content", "image", "registry"}, base...), forbidExt: []string{"github.com/opencontainers/runtime-spec"}},
	{pkg: "runtime/...", allow: append([]string{"runtime"}, base...), forbidExt: []string{"github.com/opencontainers/image-spec"}},
	{pkg: "internal/runtimecli/...", allow: append([]string{"runtime", "internal/runtimecli"}, base...), forbidExt: []string{"github.com/opencontainers/image-spec"}},
	{pkg: "engine/...", allow: append([]string{"image", "content", "layout", "layer", "bundle", "registry", "runtime", "engine"}, base...)},
	{pkg: "internal/cli/...", allow: append([]string{"image", "content", "layout", "layer", "bundle", "registry", "engine", "internal/cli"}, base...)},
	{pkg: "cmd/berth", allow: []string{"internal/cli"}},
	{pkg: "cmd/berth-runtime", allow: []string{"internal/runtimecli", "runtime/linux/nsenter"}},
}

// Nobody wraps the engines berth replaces.
var forbiddenEverywhere = []string{
	"github.com/opencontainers/runc",
	"github.com/containerd/containerd",
	"github.com/google/go-containerregistry",
	"github.com/containers/image",
	"github.com/containers/storage",
	"github.com/opencontainers/umoci",
}

type goPackage struct {
	ImportPath string
	Imports    []string
}

func listPackages(t *testing.T) []goPackage {
	t.Helper()
	out, err := exec.Command("go", "list", "-json", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []goPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p goPackage
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("decode go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

func matches(rel, pattern string) bool {
	if p, ok := strings.CutSuffix(pattern, "/..."); ok {
		return rel == p || strings.HasPrefix(rel, p+"/")
	}
	return rel == pattern
}

func under(rel, prefix string) bool { return rel == prefix || strings.HasPrefix(rel, prefix+"/") }

func ruleFor(rel string) (rule, bool) {
	for _, r := range rules {
		if matches(rel, r.pkg) {
			return r, true
		}
	}
	return rule{}, false
}

func TestImportDirection(t *testing.T) {
	for _, p := range listPackages(t) {
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		r, governed := ruleFor(rel)
		for _, imp := range p.Imports {
			for _, bad := range forbiddenEverywhere {
				if under(imp, bad) {
					t.Errorf("%s imports %s: berth does not wrap other engines", rel, imp)
				}
			}
			if !governed {
				continue
			}
			for _, bad := range r.forbidExt {
				if under(imp, bad) {
					t.Errorf("%s imports %s, which ARCHITECTURE.md forbids", rel, imp)
				}
			}
			irel, inModule := strings.CutPrefix(imp, module+"/")
			if !inModule || allowed(irel, r.allow) || (isTestSupport(rel) && allowed(irel, testSupport)) {
				continue
			}
			t.Errorf("%s imports %s: against the direction of ARCHITECTURE.md (may import %v)", rel, irel, r.allow)
		}
	}
}

// testSupport are the fixture packages; only packages that exist to help
// tests (content/testsuite, registry/internal/registrytest) may import them.
var testSupport = []string{"internal/fixture", "internal/testimage"}

func isTestSupport(rel string) bool {
	last := rel[strings.LastIndex(rel, "/")+1:]
	return strings.HasSuffix(last, "test") || strings.HasSuffix(last, "testsuite")
}

func allowed(imp string, allow []string) bool {
	for _, a := range allow {
		if under(imp, a) {
			return true
		}
	}
	return false
}

// The rules themselves must catch a bad import, or the test above cannot fail.
func TestRulesRejectUpwardImports(t *testing.T) {
	bad := map[string]string{
		"runtime":       "image",
		"image":         "content",
		"registry":      "engine",
		"errdefs":       "image",
		"layer":         "content",
		"cmd/berth":     "engine",
		"content/local": "layout",
	}
	if isTestSupport("registry") || !isTestSupport("registry/internal/registrytest") {
		t.Error("isTestSupport misjudges which packages help tests")
	}
	for pkg, imp := range bad {
		r, ok := ruleFor(pkg)
		if !ok {
			t.Errorf("%s has no rule", pkg)
			continue
		}
		if allowed(imp, r.allow) {
			t.Errorf("rule for %s allows importing %s", pkg, imp)
		}
	}
}
