package hooks

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestRunPassesStateArgsEnv(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	h := specs.Hook{Path: "/bin/sh", Args: []string{"sh", "-c", `cat > ` + out + `; echo " $0 $V" >> ` + out, "arg0"}, Env: []string{"V=v1"}}
	if err := Run(context.Background(), "createRuntime", []specs.Hook{h}, []byte(`{"status":"creating"}`)); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(out)
	if string(b) != `{"status":"creating"} arg0 v1`+"\n" {
		t.Fatalf("hook saw %q", b)
	}
}

func TestRunStopsAtFailureWithOutput(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "second")
	list := []specs.Hook{
		{Path: "/bin/sh", Args: []string{"sh", "-c", "echo broken >&2; exit 3"}},
		{Path: "/bin/sh", Args: []string{"sh", "-c", "touch " + marker}},
	}
	err := Run(context.Background(), "poststart", list, nil)
	if err == nil || !strings.Contains(err.Error(), "poststart hook #0 (/bin/sh)") || !strings.Contains(err.Error(), "broken") || !strings.Contains(err.Error(), "exit status 3") {
		t.Fatalf("error: %v", err)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("the hook after the failing one ran")
	}
	if errs := RunEach(context.Background(), "poststop", list, nil); len(errs) != 1 {
		t.Fatalf("RunEach: %v", errs)
	}
	if _, err := os.Stat(marker); err != nil {
		t.Fatal("RunEach stopped at the failing hook")
	}
}

func TestRunTimeout(t *testing.T) {
	one := 1
	err := Run(context.Background(), "createContainer", []specs.Hook{{Path: "/bin/sleep", Args: []string{"sleep", "30"}, Timeout: &one}}, nil)
	if err == nil || !strings.Contains(err.Error(), "timed out after 1s") {
		t.Fatalf("error: %v", err)
	}
}

func TestValidate(t *testing.T) {
	zero := 0
	if err := Validate("prestart", []specs.Hook{{Path: "relative"}}); err == nil {
		t.Error("relative path accepted")
	}
	if err := Validate("prestart", []specs.Hook{{Path: "/bin/true", Timeout: &zero}}); err == nil {
		t.Error("zero timeout accepted")
	}
	if err := Validate("prestart", []specs.Hook{{Path: "/bin/true"}}); err != nil {
		t.Error(err)
	}
}
