package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// The network verbs round trip on a store of their own (no root needed:
// nothing is attached).
func TestNetworkVerbs(t *testing.T) {
	dir := t.TempDir()
	store := []string{"--root", filepath.Join(dir, "root"), "--runroot", filepath.Join(dir, "run")}
	nb := func(args ...string) string {
		return mustBerth(t, append(store, append([]string{"network"}, args...)...)...)
	}

	if out := nb("create", "--subnet", "172.29.7.0/24", "--gateway", "172.29.7.254", "--label", "a=b", "--internal", "backend"); out != "backend\n" {
		t.Fatalf("create printed %q", out)
	}
	nb("create", "frontend")
	ls := nb("ls")
	lines := strings.Split(strings.TrimSpace(ls), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "NETWORK ID") || !strings.Contains(lines[1], "backend") || !strings.Contains(lines[1], "172.29.7.0/24") || !strings.Contains(lines[2], "berth ") || !strings.Contains(lines[3], "frontend") {
		t.Fatalf("ls:\n%s", ls)
	}
	if q := nb("ls", "-q"); q != "backend\nberth\nfrontend\n" {
		t.Errorf("ls -q: %q", q)
	}
	var nets []struct {
		Name     string
		Internal bool
		Subnets  []struct{ Subnet, Gateway string }
		Labels   map[string]string
	}
	if err := json.Unmarshal([]byte(nb("ls", "--format", "json")), &nets); err != nil || len(nets) != 3 {
		t.Fatalf("ls --format json: %v %+v", err, nets)
	}
	if b := nets[0]; b.Name != "backend" || !b.Internal || b.Subnets[0].Gateway != "172.29.7.254" || b.Labels["a"] != "b" {
		t.Errorf("backend: %+v", b)
	}
	var views []map[string]any
	if err := json.Unmarshal([]byte(nb("inspect", "frontend", "berth")), &views); err != nil || len(views) != 2 || views[0]["name"] != "frontend" || views[1]["network_interface"] != "berth0" {
		t.Fatalf("inspect: %v %v", err, views)
	}
	if _, _, code := berth(t, append(store, "network", "exists", "backend")...); code != 0 {
		t.Errorf("exists backend: exit %d", code)
	}
	if out, errOut, code := berth(t, append(store, "network", "exists", "nosuch")...); code != 1 || out != "" || errOut != "" {
		t.Errorf("exists nosuch: exit %d, %q, %q", code, out, errOut)
	}
	if out := nb("rm", "backend"); out != "backend\n" {
		t.Errorf("rm printed %q", out)
	}
	if out := nb("prune"); out != "frontend\n" {
		t.Errorf("prune printed %q", out)
	}
	if q := nb("ls", "-q"); q != "berth\n" {
		t.Errorf("ls -q after rm: %q", q)
	}

	for _, bad := range [][]string{
		{"create", "host"},
		{"create", "--subnet", "10.0.0.1/33", "x"},
		{"create", "--gateway", "10.0.0.1", "x"},
		{"create", "--driver", "macvlan", "x"},
		{"create", "--label", "=v", "x"},
		{"rm", "nosuch"},
		{"rm", "berth"},
		{"inspect", "nosuch"},
		{"ls", "--format", "yaml"},
	} {
		_, errOut, code := berth(t, append(store, append([]string{"network"}, bad...)...)...)
		if code == 0 || !strings.HasPrefix(errOut, "berth: ") || strings.Count(errOut, "\n") != 1 {
			t.Errorf("network %v: exit %d, stderr %q", bad, code, errOut)
		}
	}
	if q := nb("ls", "-q"); q != "berth\n" {
		t.Errorf("refused commands changed the networks: %q", q)
	}
}
