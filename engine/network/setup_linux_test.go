package network

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/internal/fixture"
)

func TestSetupPublishTeardown(t *testing.T) {
	m := newTestManager(t)
	ctx := context.Background()
	id := unique("ctr")
	ns := newNetNS(t, m, id)

	// A server on the host, reached from the container through the gateway.
	hostPort := serve(t, "", 0, "hello from the host")

	a, err := m.Setup(ctx, id, ns, Request{Ports: []PortMapping{{HostIP: netip.MustParseAddr("127.0.0.1"), ContainerPort: 8080}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Networks) != 1 || len(a.Networks[0].IPs) != 1 || len(a.Networks[0].Gateways) != 1 {
		t.Fatalf("attachment: %+v", a)
	}
	att := a.Networks[0]
	ip, gw := att.IPs[0].Addr(), att.Gateways[0]
	if !m.o.DefaultSubnet.Contains(ip) || gw != m.o.DefaultSubnet.Addr().Next() || att.MAC == "" || att.Interface != "eth0" {
		t.Fatalf("attachment: %+v", att)
	}
	if a.Ports[0].HostPort == 0 {
		t.Fatal("no host port chosen")
	}
	t.Logf("container %s gateway %s mac %s port %s", ip, gw, att.MAC, a.Ports[0])

	if out, err := inNS(t, ns, "/bin/busybox", "ping", "-c1", "-W5", gw.String()); err != nil {
		t.Fatalf("ping the gateway from the container: %v\n%s", err, out)
	}
	if body, err := get(ns, fmt.Sprintf("http://%s:%d/", gw, hostPort)); err != nil || body != "hello from the host" {
		t.Fatalf("reach the host from the container: %q, %v", body, err)
	}
	serve(t, ns, 8080, "hello from the container")
	if body, err := get("", fmt.Sprintf("http://127.0.0.1:%d/", a.Ports[0].HostPort)); err != nil || body != "hello from the container" {
		t.Fatalf("published port on 127.0.0.1: %q, %v", body, err)
	}
	if body, err := get("", fmt.Sprintf("http://%s:8080/", ip)); err != nil || body != "hello from the container" {
		t.Fatalf("container from the host: %q, %v", body, err)
	}
	rules := iptablesSave(t)
	if !strings.Contains(rules, id) {
		t.Fatalf("no firewall rules name the container:\n%s", rules)
	}

	if err := m.Teardown(ctx, id); err != nil {
		t.Fatal(err)
	}
	checkTornDown(t, m, id, ip)
	if err := m.Teardown(ctx, id); err != nil {
		t.Fatalf("second teardown: %v", err)
	}
}

// checkTornDown fails unless nothing of container id is left: no veth on
// the bridge, no address allocated, no firewall rule, no record.
func checkTornDown(t *testing.T, m *Manager, id string, ip netip.Addr) {
	t.Helper()
	ports, _ := os.ReadDir(filepath.Join("/sys/class/net", m.o.DefaultInterface, "brif"))
	if len(ports) != 0 {
		t.Errorf("bridge %s still has ports: %v", m.o.DefaultInterface, ports)
	}
	if _, err := os.Stat(filepath.Join(m.runPath(ipamDir), m.o.DefaultNetwork, ip.String())); !os.IsNotExist(err) {
		t.Errorf("address %s still allocated: %v", ip, err)
	}
	if rules := iptablesSave(t); strings.Contains(rules, id) || strings.Contains(rules, ip.String()+"/") || strings.Contains(rules, " "+ip.String()+" ") {
		t.Errorf("firewall rules left behind:\n%s", rules)
	}
	if _, err := os.Stat(m.recordPath(id)); !os.IsNotExist(err) {
		t.Errorf("attachment record left behind: %v", err)
	}
}

func TestTwoContainersReachEachOther(t *testing.T) {
	m := newTestManager(t)
	ctx := context.Background()
	n, err := m.Create(ctx, CreateOptions{Name: unique("net"), Interface: unique("bn"), Subnets: []Subnet{{Subnet: testSubnet(int(subnets.Add(1)))}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Remove(context.Background(), n.Name, true) })
	var ips []netip.Addr
	var nss []string
	for i := 0; i < 2; i++ {
		id := unique("ctr")
		ns := newNetNS(t, m, id)
		a, err := m.Setup(ctx, id, ns, Request{Networks: []string{n.Name}})
		if err != nil {
			t.Fatal(err)
		}
		ips, nss = append(ips, a.Networks[0].IPs[0].Addr()), append(nss, ns)
	}
	if ips[0] == ips[1] || !n.Subnets[0].Subnet.Contains(ips[0]) || !n.Subnets[0].Subnet.Contains(ips[1]) {
		t.Fatalf("addresses %v on %v", ips, n.Subnets)
	}
	serve(t, nss[0], 80, "from the first")
	if body, err := get(nss[1], fmt.Sprintf("http://%s:80/", ips[0])); err != nil || body != "from the first" {
		t.Fatalf("second container to the first: %q, %v", body, err)
	}
	if out, err := inNS(t, nss[0], "/bin/busybox", "ping", "-c1", "-W5", ips[1].String()); err != nil {
		t.Fatalf("first container pings the second: %v\n%s", err, out)
	}

	// The network is in use: rm refuses, rm -f detaches both.
	if err := m.Remove(ctx, n.Name, false); !errors.Is(err, errdefs.ErrFailedPrecondition) {
		t.Fatalf("remove a network in use: %v", err)
	}
	if err := m.Remove(ctx, n.Name, true); err != nil {
		t.Fatal(err)
	}
	if linkExists(n.Interface) {
		t.Errorf("bridge %s left after rm -f", n.Interface)
	}
	if atts, _ := m.Attachments(ctx); len(atts) != 0 {
		t.Errorf("attachments left after rm -f: %+v", atts)
	}
	if rules := iptablesSave(t); strings.Contains(rules, ips[0].String()+"/") || strings.Contains(rules, ips[1].String()+"/") {
		t.Errorf("firewall rules left after rm -f:\n%s", rules)
	}
}

func TestSetupPinsProcessNetNS(t *testing.T) {
	m := newTestManager(t)
	ctx := context.Background()
	id := unique("ctr")
	// A "container": a process in a network namespace of its own, which
	// dies before Teardown.
	cmd := exec.Command(fixture.BusyboxPath, "sleep", "1000")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	a, err := m.Setup(ctx, id, fmt.Sprintf("/proc/%d/ns/net", cmd.Process.Pid), Request{})
	if err != nil {
		t.Fatal(err)
	}
	if !a.Pinned || a.NetNS != NetNSPath(m.o.RunRoot, id) {
		t.Fatalf("namespace not pinned: %+v", a)
	}
	if out, err := inNS(t, a.NetNS, "ip", "-o", "addr", "show", "eth0"); err != nil || !strings.Contains(out, a.Networks[0].IPs[0].String()) {
		t.Fatalf("eth0 in the process's namespace: %v\n%s", err, out)
	}
	cmd.Process.Kill()
	cmd.Wait()
	if err := m.Teardown(ctx, id); err != nil {
		t.Fatal(err)
	}
	checkTornDown(t, m, id, a.Networks[0].IPs[0].Addr())
	if _, err := os.Stat(a.NetNS); !os.IsNotExist(err) {
		t.Errorf("pinned namespace left: %v", err)
	}
}

func TestTeardownAfterNetNSIsGone(t *testing.T) {
	m := newTestManager(t)
	ctx := context.Background()
	id := unique("ctr")
	ns, err := NewNetNS(m.o.RunRoot, id)
	if err != nil {
		t.Fatal(err)
	}
	a, err := m.Setup(ctx, id, ns, Request{Ports: []PortMapping{{HostPort: 0, ContainerPort: 80}}})
	if err != nil {
		RemoveNetNS(ns)
		t.Fatal(err)
	}
	// The wrong order: the namespace (and the veth with it) goes first.
	if err := RemoveNetNS(ns); err != nil {
		t.Fatal(err)
	}
	if err := m.Teardown(ctx, id); err != nil {
		t.Fatal(err)
	}
	checkTornDown(t, m, id, a.Networks[0].IPs[0].Addr())
}

func TestSetupRefusesTheHostNetNS(t *testing.T) {
	m := newTestManager(t)
	for _, p := range []string{"/proc/self/ns/net", "/proc/1/ns/net", m.o.Root} {
		if _, err := m.Setup(context.Background(), unique("ctr"), p, Request{}); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("setup in %s: %v", p, err)
		}
	}
	if atts, _ := m.Attachments(context.Background()); len(atts) != 0 {
		t.Errorf("refused setups left records: %+v", atts)
	}
}

func TestFailedSetupLeavesNothing(t *testing.T) {
	m := newTestManager(t)
	ctx := context.Background()
	id := unique("ctr")
	ns := newNetNS(t, m, id)
	outside := netip.MustParseAddr("192.0.2.200")
	if _, err := m.Setup(ctx, id, ns, Request{StaticIPs: map[string][]netip.Addr{m.o.DefaultNetwork: {outside}}}); err == nil {
		t.Fatal("setup with an address outside the subnet succeeded")
	}
	checkTornDown(t, m, id, outside)
	for _, req := range []Request{
		{Networks: []string{"nosuch"}},
		{Networks: []string{"bridge", m.o.DefaultNetwork}},
		{StaticIPs: map[string][]netip.Addr{"other": {outside}}},
		{Ports: []PortMapping{{HostPort: 1, ContainerPort: 1}, {HostPort: 1, ContainerPort: 2}}},
	} {
		if _, err := m.Setup(ctx, id, ns, req); err == nil {
			t.Errorf("setup %+v succeeded", req)
		}
	}
	checkTornDown(t, m, id, outside)
	if out, _ := inNS(t, ns, "ip", "-o", "link"); strings.Contains(out, "eth0") {
		t.Errorf("eth0 left in the namespace:\n%s", out)
	}
}

func TestStaticIPAndInternalNetwork(t *testing.T) {
	m := newTestManager(t)
	ctx := context.Background()
	subnet := testSubnet(int(subnets.Add(1)))
	n, err := m.Create(ctx, CreateOptions{Name: unique("int"), Interface: unique("bi"), Internal: true, Subnets: []Subnet{{Subnet: subnet}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Remove(context.Background(), n.Name, true) })
	id := unique("ctr")
	ns := newNetNS(t, m, id)
	want := subnet.Addr().Next().Next().Next().Next() // .4
	a, err := m.Setup(ctx, id, ns, Request{Networks: []string{"bridge", n.Name}, StaticIPs: map[string][]netip.Addr{n.Name: {want}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := a.Networks[1]; got.Interface != "eth1" || got.IPs[0].Addr() != want {
		t.Fatalf("second network: %+v", got)
	}
	routes, err := inNS(t, ns, "ip", "route")
	if err != nil {
		t.Fatal(err)
	}
	// The default route goes through the first network only.
	if !strings.Contains(routes, "default via "+m.o.DefaultSubnet.Addr().Next().String()+" dev eth0") || strings.Contains(routes, "dev eth1 proto") && strings.Contains(routes, "default via "+subnet.Addr().Next().String()) {
		t.Fatalf("routes:\n%s", routes)
	}
	if strings.Contains(iptablesSave(t), fmt.Sprintf("-s %s/32 -m comment --comment \"name: \\\"%s\\\"", want, n.Name)) {
		t.Errorf("an internal network masquerades")
	}
}

func TestDualStack(t *testing.T) {
	m := newTestManager(t)
	ctx := context.Background()
	v6 := netip.MustParsePrefix(fmt.Sprintf("fd42:%x::/64", os.Getpid()%65536))
	n, err := m.Create(ctx, CreateOptions{Name: unique("ds"), Interface: unique("bd"), Subnets: []Subnet{{Subnet: testSubnet(int(subnets.Add(1)))}, {Subnet: v6}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Remove(context.Background(), n.Name, true) })
	id := unique("ctr")
	ns := newNetNS(t, m, id)
	if _, err := m.Setup(ctx, id, ns, Request{Ports: ports(t, "[fd00::1]::80")}); err == nil {
		t.Errorf("publish on IPv6 through an IPv4 network accepted")
	}
	a, err := m.Setup(ctx, id, ns, Request{Networks: []string{n.Name}, Ports: ports(t, "127.0.0.1::80")})
	if err != nil {
		t.Fatal(err)
	}
	if ips := a.Networks[0].IPs; len(ips) != 2 || !v6.Contains(ips[1].Addr()) {
		t.Fatalf("addresses %v", ips)
	}
	serve(t, ns, 80, "dual")
	for _, url := range []string{fmt.Sprintf("http://[%s]:80/", a.Networks[0].IPs[1].Addr()), fmt.Sprintf("http://127.0.0.1:%d/", a.Ports[0].HostPort)} {
		if body, err := get("", url); err != nil || body != "dual" {
			t.Errorf("%s: %q, %v", url, body, err)
		}
	}
	if err := m.Teardown(ctx, id); err != nil {
		t.Fatal(err)
	}
	if out, _ := exec.Command("ip6tables-save").Output(); strings.Contains(string(out), id) {
		t.Errorf("IPv6 rules left:\n%s", out)
	}
}
