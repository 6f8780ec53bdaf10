package network

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/berth-oci/berth/errdefs"
)

func TestParsePublish(t *testing.T) {
	lo := netip.MustParseAddr("127.0.0.1")
	v6 := netip.MustParseAddr("fd00::1")
	for _, c := range []struct {
		in   string
		want []PortMapping
	}{
		{"80", []PortMapping{{ContainerPort: 80, Protocol: "tcp"}}},
		{"8080:80", []PortMapping{{HostPort: 8080, ContainerPort: 80, Protocol: "tcp"}}},
		{"127.0.0.1:8080:80/udp", []PortMapping{{HostIP: lo, HostPort: 8080, ContainerPort: 80, Protocol: "udp"}}},
		{"127.0.0.1::80", []PortMapping{{HostIP: lo, ContainerPort: 80, Protocol: "tcp"}}},
		{"[fd00::1]:8080:80/sctp", []PortMapping{{HostIP: v6, HostPort: 8080, ContainerPort: 80, Protocol: "sctp"}}},
		{"8000-8001:80-81", []PortMapping{{HostPort: 8000, ContainerPort: 80, Protocol: "tcp"}, {HostPort: 8001, ContainerPort: 81, Protocol: "tcp"}}},
		{"90-91", []PortMapping{{ContainerPort: 90, Protocol: "tcp"}, {ContainerPort: 91, Protocol: "tcp"}}},
	} {
		got, err := ParsePublish(c.in)
		if err != nil || len(got) != len(c.want) {
			t.Errorf("%q: %+v, %v", c.in, got, err)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%q: %+v, want %+v", c.in, got[i], c.want[i])
			}
		}
	}
	if _, err := ParsePublish("[::1]:8080:80"); !errors.Is(err, errdefs.ErrNotImplemented) {
		t.Errorf("publish on ::1: %v", err)
	}
	for _, in := range []string{"", "0", "65536", "80/icmp", "a:80", "1.2.3.4:5:6:7", "::1:80:80", "[::1]80", "[1.2.3.4]:80:80", "8000-8002:80-81", "81-80", "+80", "127.0.0.1:80", "[fe80::1%eth0]:80:80"} {
		if _, err := ParsePublish(in); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("%q: %v, want an invalid argument", in, err)
		}
	}
}

func TestCheckPorts(t *testing.T) {
	lo := netip.MustParseAddr("127.0.0.1")
	ok := []PortMapping{{HostPort: 80, ContainerPort: 80}, {HostPort: 80, ContainerPort: 80, Protocol: "udp"}, {ContainerPort: 81}, {ContainerPort: 82}}
	if err := checkPorts(ok); err != nil {
		t.Error(err)
	}
	for _, bad := range [][]PortMapping{
		{{HostPort: 80, ContainerPort: 80}, {HostPort: 80, ContainerPort: 81}},
		{{HostIP: lo, HostPort: 80, ContainerPort: 80}, {HostPort: 80, ContainerPort: 81}},
		{{HostPort: 80}},
		{{HostPort: 80, ContainerPort: 80, Protocol: "icmp"}},
		{{HostIP: netip.MustParseAddr("::ffff:127.0.0.1"), ContainerPort: 80}},
	} {
		if err := checkPorts(bad); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("%v: %v", bad, err)
		}
	}
}

func FuzzParsePublish(f *testing.F) {
	for _, s := range []string{"80", "8080:80", "127.0.0.1:8080:80/udp", "[::1]::80", "1-2:3-4/sctp", "::", "[", "1-:2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := ParsePublish(s)
		if err != nil {
			if !(errors.Is(err, errdefs.ErrInvalidArgument) || errors.Is(err, errdefs.ErrNotImplemented)) || !strings.Contains(err.Error(), "publish") {
				t.Fatalf("%q: %v", s, err)
			}
			return
		}
		if len(ps) == 0 {
			t.Fatalf("%q: no mappings and no error", s)
		}
		for _, p := range ps {
			if p.ContainerPort == 0 || (p.Protocol != "tcp" && p.Protocol != "udp" && p.Protocol != "sctp") {
				t.Fatalf("%q: %+v", s, p)
			}
		}
		if err := checkPorts(ps); err != nil {
			t.Fatalf("%q parses to mappings checkPorts refuses: %v", s, err)
		}
	})
}
