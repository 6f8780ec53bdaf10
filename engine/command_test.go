package engine

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestCheckCommand(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "bin"), 0o755)
	os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	os.WriteFile(filepath.Join(root, "bin", "tool"), []byte("#!/bin/sh\n"), 0o755)
	os.WriteFile(filepath.Join(root, "etc", "data"), []byte("x"), 0o644)
	os.Symlink("/bin/tool", filepath.Join(root, "bin", "link"))
	os.Symlink("../../../../../etc/passwd", filepath.Join(root, "bin", "escape")) // resolves inside: missing
	spec := func(args ...string) *specs.Spec {
		return &specs.Spec{Process: &specs.Process{Args: args, Cwd: "/", Env: []string{"PATH=/usr/bin:/bin"}},
			Mounts: []specs.Mount{{Destination: "/opt/tools"}}}
	}
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"tool"}, 0}, {[]string{"/bin/tool"}, 0}, {[]string{"link"}, 0}, {[]string{"bin/tool"}, 0},
		{[]string{"missing"}, 127}, {[]string{"/bin/missing"}, 127}, {[]string{"escape"}, 127},
		{[]string{"/etc/data"}, 126}, {[]string{"/etc"}, 126}, {[]string{"/opt/tools/x"}, 0},
	} {
		err := checkCommand(root, spec(tc.args...))
		code := 0
		var ee *ExitError
		if errors.As(err, &ee) {
			code = ee.Code
		} else if err != nil {
			code = -1
		}
		if code != tc.code {
			t.Errorf("checkCommand(%v) = %v, want status %d", tc.args, err, tc.code)
		}
	}
}
