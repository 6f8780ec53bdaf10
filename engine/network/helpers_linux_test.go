package network

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/berth-oci/berth/internal/fixture"
)

// requireNet skips (or in CI fails) tests that need root and the tools the
// plugins run.
func requireNet(t *testing.T) {
	t.Helper()
	fixture.RequireRoot(t)
	fixture.RequireTool(t, "iptables")
	fixture.RequireTool(t, "ip")
	for _, p := range []string{"bridge", "host-local", "portmap", "firewall"} {
		if _, err := os.Stat(filepath.Join("/usr/lib/cni", p)); err != nil {
			fixture.Unmet(t, "CNI plugin "+p+" is not installed (containernetworking-plugins)")
		}
	}
}

var seq atomic.Int32

// unique returns a short name no other test (or test process) uses:
// bridge names have at most 15 characters.
func unique(prefix string) string {
	return fmt.Sprintf("%s%d%c", prefix, os.Getpid()%100000, 'a'+rune(seq.Add(1)%26))
}

// testSubnet is a /24 for this process's n-th network, away from
// 10.89.0.0/16 so that tests never meet real berth networks.
func testSubnet(n int) netip.Prefix {
	pid := os.Getpid()
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(150 + pid%50), byte((pid/50)%32*8 + n%8), 0}), 24)
}

var subnets atomic.Int32

// newTestManager opens a manager on temporary directories whose default
// network has a bridge and subnet of its own, and removes in cleanup
// every attachment, namespace, bridge and allocation it made.
func newTestManager(t *testing.T) *Manager {
	t.Helper()
	requireNet(t)
	dir := t.TempDir()
	m, err := New(Options{
		Root: filepath.Join(dir, "root"), RunRoot: filepath.Join(dir, "run"),
		DefaultNetwork: unique("bt"), DefaultInterface: unique("bt"), DefaultSubnet: testSubnet(int(subnets.Add(1))),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cleanupManager(t, m) })
	return m
}

func cleanupManager(t *testing.T, m *Manager) {
	ctx := context.Background()
	recs, _ := m.records()
	for _, a := range recs {
		if err := m.Teardown(ctx, a.ContainerID); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	}
	entries, _ := os.ReadDir(filepath.Join(m.o.RunRoot, netnsDir))
	for _, e := range entries {
		if err := RemoveNetNS(filepath.Join(m.o.RunRoot, netnsDir, e.Name())); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	}
	nets, _ := m.List(ctx)
	for _, n := range nets {
		if err := deleteLink(n.Interface); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	}
}

// newNetNS makes a namespace for container id under m's run root.
func newNetNS(t *testing.T, m *Manager, id string) string {
	t.Helper()
	p, err := NewNetNS(m.o.RunRoot, id)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Teardown(context.Background(), id); err != nil {
			t.Error(err)
		}
		if err := RemoveNetNS(p); err != nil {
			t.Error(err)
		}
	})
	return p
}

// serve starts an HTTP server answering body on port (0: any) inside the
// namespace at ns ("" for the host's) and returns the port; it stops with
// the test.
func serve(t *testing.T, ns string, port uint16, body string) uint16 {
	t.Helper()
	var l net.Listener
	listen := func() (err error) {
		l, err = net.Listen("tcp", fmt.Sprintf(":%d", port))
		return err
	}
	var err error
	if ns == "" {
		err = listen()
	} else {
		err = RunInNetNS(ns, listen)
	}
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, body)
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return uint16(l.Addr().(*net.TCPAddr).Port)
}

// get fetches url from the namespace at ns ("" for the host's) and
// returns the body.
func get(ns, url string) (string, error) {
	var conn net.Conn
	host := strings.TrimPrefix(url, "http://")
	host, _, _ = strings.Cut(host, "/")
	dial := func() (err error) {
		conn, err = net.Dial("tcp", host)
		return err
	}
	var err error
	if ns == "" {
		err = dial()
	} else {
		err = RunInNetNS(ns, dial)
	}
	if err != nil {
		return "", err
	}
	tr := &http.Transport{DialContext: func(context.Context, string, string) (net.Conn, error) { return conn, nil }}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// inNS runs a program inside the namespace at ns and returns its output.
func inNS(t *testing.T, ns string, args ...string) (string, error) {
	t.Helper()
	nsenter := fixture.RequireTool(t, "nsenter")
	out, err := exec.Command(nsenter, append([]string{"--net=" + ns, "--"}, args...)...).CombinedOutput()
	return string(out), err
}

// iptablesSave is the host's IPv4 firewall rules.
func iptablesSave(t *testing.T) string {
	t.Helper()
	out, err := exec.Command(fixture.RequireTool(t, "iptables-save")).Output()
	if err != nil {
		t.Fatalf("iptables-save: %v", err)
	}
	return string(out)
}
