package integration

import (
	"path/filepath"
	"strings"
	"testing"
)

// berth save and load work on the store when no layout is named, and
// berth inspect finds the store's images and containers.
func TestEngineSaveLoadInspect(t *testing.T) {
	s, _ := withImages(t)
	archive := filepath.Join(t.TempDir(), "busybox.tar")
	s.ok("save", "-o", archive, imgBusybox)
	s.ok("rmi", imgBusybox)
	if out := s.ok("load", "-i", archive); !strings.Contains(out, "busybox") {
		t.Errorf("load said %q", out)
	}
	if out := s.ok("run", "--rm", imgBusybox, "echo", "back"); strings.TrimSpace(out) != "back" {
		t.Errorf("run of the loaded image: %q", out)
	}
	var imgs []map[string]any
	if err := jsonUnmarshal(s.ok("inspect", "--type", "image", imgBusybox), &imgs); err != nil || len(imgs) != 1 {
		t.Fatalf("inspect image: %v %v", imgs, err)
	}
	if out := s.ok("inspect", "--format", "{{.Id}}", imgBusybox); len(strings.TrimSpace(out)) < 12 {
		t.Errorf("inspect --format: %q", out)
	}
	if _, errOut, code := s.berth("save", "-o", archive, imgBusybox, "oci:/nowhere:x"); code == 0 || !strings.Contains(errOut, "not both") {
		t.Errorf("save mixing the store and a layout: %d %q", code, errOut)
	}
}
