package network

import (
	"net/netip"
	"slices"
	"testing"
)

const procRoute = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n" +
	"eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n" +
	"eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n" +
	"docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n"

const procRoute6 = "fd000000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0\n" +
	"fe800000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000002 00000000 00000001     eth0\n" +
	"00000000000000000000000000000000 00 00000000000000000000000000000000 00 fd000000000000000000000000000001 00000400 00000002 00000000 00000003     eth0\n"

func TestParseRoutes(t *testing.T) {
	got := append(parseRoutes4([]byte(procRoute)), parseRoutes6([]byte(procRoute6))...)
	want := []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("172.17.0.0/16"), netip.MustParsePrefix("fd00::/64")}
	if !slices.Equal(got, want) {
		t.Errorf("routes %v, want %v", got, want)
	}
	used := []netip.Prefix{netip.MustParsePrefix("10.89.0.0/24"), netip.MustParsePrefix("10.89.1.0/24"), netip.MustParsePrefix("10.89.2.128/25")}
	if p, err := freeSubnet(used); err != nil || p.String() != "10.89.3.0/24" {
		t.Errorf("free subnet: %v, %v", p, err)
	}
	if _, err := freeSubnet([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}); err == nil {
		t.Error("a free subnet inside a used /8")
	}
}

func FuzzParseRoutes(f *testing.F) {
	f.Add([]byte(procRoute))
	f.Add([]byte(procRoute6))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, p := range append(parseRoutes4(data), parseRoutes6(data)...) {
			if !p.IsValid() || p.Bits() == 0 || p != p.Masked() {
				t.Fatalf("route %v", p)
			}
		}
	})
}

func FuzzParseConfList(f *testing.F) {
	n := &Network{Name: "n", ID: networkID("n"), Driver: DriverBridge, Interface: "b0", Subnets: []Subnet{{Subnet: netip.MustParsePrefix("10.0.0.0/24"), Gateway: netip.MustParseAddr("10.0.0.1")}}}
	data, _ := bridgeConfList(n)
	f.Add(data)
	f.Add([]byte(`{"name":"x","plugins":[{"type":"bridge","ipam":{"type":"host-local","subnet":"10.1.0.0/16"}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := parseConfList("f.conflist", data)
		if err != nil {
			return
		}
		for _, s := range n.Subnets {
			if !s.Subnet.IsValid() {
				t.Fatalf("invalid subnet from %s", data)
			}
		}
		if _, err := withDataDir(data, "/d"); err != nil {
			t.Fatalf("parsed but cannot set dataDir: %v", err)
		}
	})
}
