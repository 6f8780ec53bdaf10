package network

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-oci/berth/internal/fixture"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// A real container (runc, busybox httpd) joins a namespace from
// NewNetNS, as the engine runs it: its port published on 127.0.0.1 serves
// the host, and the /etc files written for it are what it sees.
func TestContainerOnTheBridge(t *testing.T) {
	m := newTestManager(t)
	runc := fixture.RequireTool(t, "runc")
	ctx := context.Background()
	id := unique("ctr")
	ns := newNetNS(t, m, id)
	a, err := m.Setup(ctx, id, ns, Request{Ports: ports(t, "127.0.0.1::8080")})
	if err != nil {
		t.Fatal(err)
	}
	ip, gw := a.Networks[0].IPs[0].Addr(), a.Networks[0].Gateways[0]

	bundle := t.TempDir()
	rootfs := filepath.Join(bundle, "rootfs")
	if err := fixture.BusyboxRootfs(rootfs); err != nil {
		t.Fatal(err)
	}
	etc := t.TempDir()
	if err := WriteHosts(filepath.Join(etc, "hosts"), Hosts{Hostname: "web", IPs: []netip.Addr{ip}, HostGateway: gw}); err != nil {
		t.Fatal(err)
	}
	if err := WriteResolvConf(filepath.Join(etc, "resolv.conf"), ResolvConf{}); err != nil {
		t.Fatal(err)
	}
	writeSpec(t, bundle, ns, etc)
	state := t.TempDir()
	// The container's stdio: files, so that nothing waits for it to close.
	log, err := os.Create(filepath.Join(state, "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	run := exec.Command(runc, "--root", state, "run", "-d", "-b", bundle, id)
	run.Stdout, run.Stderr = log, log
	t.Cleanup(func() { exec.Command(runc, "--root", state, "delete", "-f", id).Run() })
	if err := run.Run(); err != nil {
		out, _ := os.ReadFile(log.Name())
		t.Fatalf("runc run: %v\n%s", err, out)
	}

	url := fmt.Sprintf("http://127.0.0.1:%d/", a.Ports[0].HostPort)
	var body string
	// httpd listens some time after runc returns; a refused connection
	// is quick, so poll (while the container runs).
	for i := 0; i < 1000; i++ {
		if body, err = get("", url+"hosts"); err == nil {
			break
		}
		if out, _ := exec.Command(runc, "--root", state, "state", id).Output(); !strings.Contains(string(out), `"running"`) {
			log, _ := os.ReadFile(log.Name())
			t.Fatalf("the container is not running:\n%s\n%s", out, log)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(body, ip.String()+"\tweb\n") || !strings.Contains(body, gw.String()+"\thost.containers.internal") {
		t.Errorf("the container's /etc/hosts:\n%s", body)
	}
	if body, err := get("", url+"addr"); err != nil || !strings.Contains(body, "inet "+a.Networks[0].IPs[0].String()) {
		t.Errorf("the container's addresses: %v\n%s", err, body)
	}
}

func ports(t *testing.T, specs ...string) []PortMapping {
	var out []PortMapping
	for _, s := range specs {
		p, err := ParsePublish(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p...)
	}
	return out
}

// writeSpec writes a config.json (runc's default) that runs busybox httpd
// on port 8080 in the network namespace ns, with hosts and resolv.conf
// from etc, after saving what the container sees for httpd to serve.
func writeSpec(t *testing.T, bundle, ns, etc string) {
	t.Helper()
	if out, err := exec.Command("runc", "spec", "-b", bundle).CombinedOutput(); err != nil {
		t.Fatalf("runc spec: %v\n%s", err, out)
	}
	data, err := os.ReadFile(filepath.Join(bundle, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s specs.Spec
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	s.Process.Terminal = false
	s.Process.Args = []string{"/bin/sh", "-c", "mkdir -p /tmp/www && cat /etc/hosts > /tmp/www/hosts && ip addr > /tmp/www/addr && exec httpd -f -p 8080 -h /tmp/www"}
	s.Root.Readonly = false
	for i, n := range s.Linux.Namespaces {
		if n.Type == specs.NetworkNamespace {
			s.Linux.Namespaces[i].Path = ns
		}
	}
	for _, f := range []string{"hosts", "resolv.conf"} {
		s.Mounts = append(s.Mounts, specs.Mount{Destination: "/etc/" + f, Type: "bind", Source: filepath.Join(etc, f), Options: []string{"rbind", "ro"}})
	}
	data, _ = json.Marshal(s)
	if err := os.WriteFile(filepath.Join(bundle, "config.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
}
