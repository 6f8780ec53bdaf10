package network

import (
	"context"
	"encoding/json"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/berth-oci/berth/errdefs"
	"github.com/containernetworking/cni/libcni"
)

// fileManager is a manager for tests that only read and write configs
// (no root needed).
func fileManager(t *testing.T) *Manager {
	t.Helper()
	dir := t.TempDir()
	m, err := New(Options{Root: filepath.Join(dir, "root"), RunRoot: filepath.Join(dir, "run")})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestCreateListInspectRemove(t *testing.T) {
	m := fileManager(t)
	ctx := context.Background()
	nets, err := m.List(ctx)
	if err != nil || len(nets) != 1 || nets[0].Name != DefaultName || nets[0].Interface != DefaultInterface || nets[0].Subnets[0].Subnet.String() != DefaultSubnet {
		t.Fatalf("a new store lists %+v, %v; want the default network only", nets, err)
	}
	a, err := m.Create(ctx, CreateOptions{Name: "apps", Labels: map[string]string{"team": "a"}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.Create(ctx, CreateOptions{Name: "db", Internal: true, Subnets: []Subnet{
		{Subnet: netip.MustParsePrefix("172.30.5.0/24"), Gateway: netip.MustParseAddr("172.30.5.254")},
		{Subnet: netip.MustParsePrefix("fd10:5::/64")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != networkID("apps") || a.Driver != DriverBridge || a.Labels["team"] != "a" || a.Created.IsZero() || a.Internal {
		t.Errorf("apps: %+v", a)
	}
	if a.Subnets[0].Subnet.String() == DefaultSubnet || !autoSubnets.Contains(a.Subnets[0].Subnet.Addr()) || a.Interface == DefaultInterface {
		t.Errorf("apps got %v on %s, want a free /24 of %s and its own bridge", a.Subnets, a.Interface, autoSubnets)
	}
	if !b.Internal || !b.IPv6Enabled || len(b.Subnets) != 2 || b.Subnets[0].Gateway.String() != "172.30.5.254" || b.Subnets[1].Gateway.String() != "fd10:5::1" {
		t.Errorf("db: %+v", b)
	}
	nets, _ = m.List(ctx)
	if names := netNames(nets); len(names) != 3 || names[0] != "apps" || names[1] != DefaultName || names[2] != "db" {
		t.Errorf("list: %v", names)
	}
	got, err := m.Inspect(ctx, "db")
	if err != nil || got.Subnets[1].Subnet != b.Subnets[1].Subnet {
		t.Errorf("inspect db: %+v, %v", got, err)
	}

	// The file is a conflist libcni reads: bridge, portmap, firewall; an
	// internal network neither masquerades nor routes.
	list, err := libcni.ConfListFromFile(filepath.Join(m.confDir(), "db.conflist"))
	if err != nil {
		t.Fatal(err)
	}
	var bridge struct {
		IPMasq bool
		IPAM   ipamConf
	}
	json.Unmarshal(list.Plugins[0].Bytes, &bridge)
	if list.Name != "db" || len(list.Plugins) != 3 || list.Plugins[1].Network.Type != "portmap" || bridge.IPMasq || len(bridge.IPAM.Routes) != 0 || len(bridge.IPAM.Ranges) != 2 {
		t.Errorf("db.conflist: %s", list.Bytes)
	}

	if err := m.Remove(ctx, "apps", false); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Inspect(ctx, "apps"); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("inspect a removed network: %v", err)
	}
	if err := m.Remove(ctx, "apps", false); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("remove it again: %v", err)
	}
	if err := m.Remove(ctx, DefaultName, true); !errors.Is(err, errdefs.ErrFailedPrecondition) {
		t.Errorf("remove the default network: %v", err)
	}
	// db is in use (a record says so): prune leaves it and the default.
	m.writeRecord(&Attachment{ContainerID: "c1", Networks: []Attached{{Network: "db"}}})
	m.Create(ctx, CreateOptions{Name: "unused"})
	if pruned, err := m.Prune(ctx); err != nil || len(pruned) != 1 || pruned[0] != "unused" {
		t.Errorf("prune: %v, %v", pruned, err)
	}
	if nets, _ := m.List(ctx); len(nets) != 2 {
		t.Errorf("after prune: %v", netNames(nets))
	}
}

func netNames(nets []*Network) []string {
	var out []string
	for _, n := range nets {
		out = append(out, n.Name)
	}
	return out
}

func TestCreateRefusesAndWritesNothing(t *testing.T) {
	m := fileManager(t)
	ctx := context.Background()
	if _, err := m.Create(ctx, CreateOptions{Name: "taken", Subnets: []Subnet{{Subnet: netip.MustParsePrefix("172.31.0.0/16")}}, Interface: "brtaken"}); err != nil {
		t.Fatal(err)
	}
	p := func(s string) []Subnet { return []Subnet{{Subnet: netip.MustParsePrefix(s)}} }
	for _, c := range []struct {
		o    CreateOptions
		kind error
	}{
		{CreateOptions{Name: ""}, errdefs.ErrInvalidArgument},
		{CreateOptions{Name: "-x"}, errdefs.ErrInvalidArgument},
		{CreateOptions{Name: "a/b"}, errdefs.ErrInvalidArgument},
		{CreateOptions{Name: "host"}, errdefs.ErrInvalidArgument},
		{CreateOptions{Name: "none"}, errdefs.ErrInvalidArgument},
		{CreateOptions{Name: "taken"}, errdefs.ErrAlreadyExists},
		{CreateOptions{Name: DefaultName}, errdefs.ErrAlreadyExists},
		{CreateOptions{Name: "n", Driver: "macvlan"}, errdefs.ErrNotImplemented},
		{CreateOptions{Name: "n", Subnets: p("10.1.2.3/24")}, errdefs.ErrInvalidArgument},
		{CreateOptions{Name: "n", Subnets: p("10.1.2.0/31")}, errdefs.ErrInvalidArgument},
		{CreateOptions{Name: "n", Subnets: p("172.31.4.0/24")}, errdefs.ErrAlreadyExists},
		{CreateOptions{Name: "n", Subnets: p(DefaultSubnet)}, errdefs.ErrAlreadyExists},
		{CreateOptions{Name: "n", Subnets: []Subnet{{Subnet: netip.MustParsePrefix("10.1.2.0/24"), Gateway: netip.MustParseAddr("10.1.3.1")}}}, errdefs.ErrInvalidArgument},
		{CreateOptions{Name: "n", Subnets: []Subnet{{Subnet: netip.MustParsePrefix("10.1.2.0/24"), Gateway: netip.MustParseAddr("10.1.2.255")}}}, errdefs.ErrInvalidArgument},
		{CreateOptions{Name: "n", Subnets: append(p("10.1.0.0/16"), p("10.1.2.0/24")...)}, errdefs.ErrInvalidArgument},
		{CreateOptions{Name: "n", Interface: "brtaken"}, errdefs.ErrAlreadyExists},
		{CreateOptions{Name: "n", Interface: "a-name-too-long-for-linux"}, errdefs.ErrInvalidArgument},
	} {
		if _, err := m.Create(ctx, c.o); !errors.Is(err, c.kind) {
			t.Errorf("create %+v: %v, want %v", c.o, err, c.kind)
		}
	}
	entries, _ := os.ReadDir(m.confDir())
	var files []string
	for _, e := range entries {
		files = append(files, e.Name())
	}
	if len(files) != 2 || files[0] != "lock" || files[1] != "taken.conflist" {
		t.Errorf("refused creates left files: %v", files)
	}
}

func TestSubnetsAreHandedOutInTurn(t *testing.T) {
	m := fileManager(t)
	ctx := context.Background()
	seen := map[netip.Prefix]bool{netip.MustParsePrefix(DefaultSubnet): true}
	bridges := map[string]bool{DefaultInterface: true}
	for _, name := range []string{"n1", "n2", "n3"} {
		n, err := m.Create(ctx, CreateOptions{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		if seen[n.Subnets[0].Subnet] || bridges[n.Interface] {
			t.Fatalf("%s got %s on %s, taken already", name, n.Subnets[0].Subnet, n.Interface)
		}
		seen[n.Subnets[0].Subnet], bridges[n.Interface] = true, true
	}
}

func TestHandWrittenConfList(t *testing.T) {
	m := fileManager(t)
	conf := `{"cniVersion":"0.4.0","name":"legacy","plugins":[{"type":"bridge","bridge":"cni9","ipam":{"type":"host-local","subnet":"10.77.0.0/16","gateway":"10.77.0.1"}},{"type":"portmap","capabilities":{"portMappings":true}}]}`
	if err := os.WriteFile(filepath.Join(m.confDir(), "legacy.conflist"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	n, err := m.Inspect(context.Background(), "legacy")
	if err != nil {
		t.Fatal(err)
	}
	if n.Driver != "bridge" || n.Interface != "cni9" || len(n.Subnets) != 1 || n.Subnets[0].Gateway.String() != "10.77.0.1" || n.IPAM != "host-local" {
		t.Errorf("legacy: %+v", n)
	}
	data, err := m.configFor("legacy")
	if err != nil {
		t.Fatal(err)
	}
	var l struct {
		Plugins []struct {
			IPAM map[string]any `json:"ipam"`
		} `json:"plugins"`
	}
	json.Unmarshal(data, &l)
	if l.Plugins[0].IPAM["dataDir"] != m.runPath(ipamDir) {
		t.Errorf("dataDir not set in what the plugins get: %s", data)
	}
	if _, err := m.Create(context.Background(), CreateOptions{Name: "x", Subnets: []Subnet{{Subnet: netip.MustParsePrefix("10.77.3.0/24")}}}); !errors.Is(err, errdefs.ErrAlreadyExists) {
		t.Errorf("a subnet inside a hand-written network's: %v", err)
	}
}
