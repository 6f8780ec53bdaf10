package network

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

// A berth process dies (SIGKILL) with a container attached: Check finds
// the attachment and the namespace, Repair removes both, and nothing of
// the container is left.
func TestRepairAfterCrash(t *testing.T) {
	m := newTestManager(t)
	ctx := context.Background()
	id := unique("ctr")
	spec, _ := json.Marshal(crashSpec{Options: m.o, ID: id})
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+string(spec))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	cmd.Process.Kill()
	cmd.Wait()
	if line != "ready\n" {
		t.Fatalf("the child did not set up its network (%q)", line)
	}
	a, err := m.Attachment(ctx, id)
	if err != nil {
		t.Fatal(err)
	}

	// A reservation nobody records, as a crash inside host-local leaves.
	stray := filepath.Join(m.runPath(ipamDir), m.o.DefaultNetwork, m.o.DefaultSubnet.Addr().Next().Next().Next().Next().Next().String())
	if err := os.WriteFile(stray, []byte("gone\r\neth0"), 0o644); err != nil {
		t.Fatal(err)
	}
	inUse := func(cid string) bool { return false }
	found, err := m.Check(ctx, inUse)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, l := range found {
		kinds = append(kinds, l.Kind+":"+l.ContainerID)
	}
	slices.Sort(kinds)
	want := []string{LeftoverAllocation + ":gone", LeftoverAttachment + ":" + id, LeftoverNetNS + ":" + id}
	if !slices.Equal(kinds, want) {
		t.Fatalf("check found %v, want %v", kinds, want)
	}
	// A container still running is no leftover.
	if found, _ := m.Check(ctx, func(cid string) bool { return cid == id }); len(found) != 1 || found[0].ContainerID != "gone" {
		t.Fatalf("check with the container running: %v", found)
	}
	if err := m.Repair(ctx, found); err != nil {
		t.Fatal(err)
	}
	if err := m.Repair(ctx, found); err != nil {
		t.Fatalf("second repair: %v", err)
	}
	found, _ = m.Check(ctx, inUse)
	if err := m.Repair(ctx, found); err != nil {
		t.Fatal(err)
	}
	checkTornDown(t, m, id, a.Networks[0].IPs[0].Addr())
	if _, err := os.Stat(a.NetNS); !os.IsNotExist(err) {
		t.Errorf("namespace left: %v", err)
	}
	if found, err := m.Check(ctx, inUse); err != nil || len(found) != 0 {
		t.Errorf("after repair check finds %v, %v", found, err)
	}
}
