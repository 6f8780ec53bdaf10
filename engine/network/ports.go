package network

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/berth-oci/berth/errdefs"
)

// PortMapping publishes a container port on the host (-p), through the
// portmap plugin.
type PortMapping struct {
	// HostIP is the host address the port is published on; the zero
	// value means every address.
	HostIP netip.Addr `json:"hostIP,omitzero"`
	// HostPort 0 asks Setup to pick a free port.
	HostPort      uint16 `json:"hostPort"`
	ContainerPort uint16 `json:"containerPort"`
	// Protocol is "tcp" (when empty), "udp" or "sctp".
	Protocol string `json:"protocol"`
}

func (p PortMapping) String() string {
	host := "0.0.0.0" // every address, as podman ps shows it
	if p.HostIP.IsValid() {
		host = p.HostIP.String()
		if p.HostIP.Is6() {
			host = "[" + host + "]"
		}
	}
	return fmt.Sprintf("%s:%d->%d/%s", host, p.HostPort, p.ContainerPort, p.protocol())
}

func (p PortMapping) protocol() string {
	if p.Protocol == "" {
		return "tcp"
	}
	return p.Protocol
}

// ParsePublish parses a -p/--publish value as podman does:
// [[IP:][HOSTPORT]:]CONTAINERPORT[/PROTOCOL], where ports may be ranges
// (8000-8009:80-89, equal lengths), HOSTPORT may be left empty for a free
// one (127.0.0.1::80), and an IPv6 IP is written in brackets ([::1]:8080:80).
func ParsePublish(spec string) ([]PortMapping, error) {
	bad := func(why string) error {
		return fmt.Errorf("publish %q: %s (want [[ip:][hostPort]:]containerPort[/protocol]): %w", spec, why, errdefs.ErrInvalidArgument)
	}
	rest, proto, _ := strings.Cut(spec, "/")
	switch proto {
	case "":
		proto = "tcp"
	case "tcp", "udp", "sctp":
	default:
		return nil, bad("protocol " + strconv.Quote(proto))
	}
	var hostIP netip.Addr
	if strings.HasPrefix(rest, "[") {
		end := strings.Index(rest, "]:")
		if end < 0 {
			return nil, bad("unterminated [IPv6 address]")
		}
		a, err := netip.ParseAddr(rest[1:end])
		if err != nil || !a.Is6() || a.Zone() != "" {
			return nil, bad("host IP " + strconv.Quote(rest[1:end]))
		}
		hostIP, rest = a, rest[end+2:]
		if !strings.Contains(rest, ":") {
			return nil, bad("a host IP needs a host port field")
		}
	}
	fields := strings.Split(rest, ":")
	var hostPorts string
	switch len(fields) {
	case 1:
	case 2:
		hostPorts = fields[0]
	case 3:
		if hostIP.IsValid() {
			return nil, bad("too many fields")
		}
		a, err := netip.ParseAddr(fields[0])
		if err != nil || !a.Is4() {
			return nil, bad("host IP " + strconv.Quote(fields[0]))
		}
		hostIP, hostPorts = a, fields[1]
	default:
		return nil, bad("too many fields")
	}
	cFirst, cLast, err := parsePortRange(fields[len(fields)-1])
	if err != nil {
		return nil, bad("container port: " + err.Error())
	}
	hFirst, hLast := uint16(0), uint16(0)
	if hostPorts != "" {
		if hFirst, hLast, err = parsePortRange(hostPorts); err != nil {
			return nil, bad("host port: " + err.Error())
		}
		if hLast-hFirst != cLast-cFirst {
			return nil, bad("host and container port ranges differ in length")
		}
	}
	var out []PortMapping
	for i := 0; i <= int(cLast-cFirst); i++ {
		p := PortMapping{HostIP: hostIP, ContainerPort: cFirst + uint16(i), Protocol: proto}
		if hFirst != 0 {
			p.HostPort = hFirst + uint16(i)
		}
		out = append(out, p)
	}
	if err := checkPorts(out); err != nil {
		return nil, err
	}
	return out, nil
}

// parsePortRange parses "N" or "N-M" (1 <= N <= M <= 65535).
func parsePortRange(s string) (uint16, uint16, error) {
	a, b, isRange := strings.Cut(s, "-")
	first, err := parsePort(a)
	if err != nil {
		return 0, 0, err
	}
	last := first
	if isRange {
		if last, err = parsePort(b); err != nil {
			return 0, 0, err
		}
		if last < first {
			return 0, 0, fmt.Errorf("range %s ends before it starts", s)
		}
	}
	return first, last, nil
}

func parsePort(s string) (uint16, error) {
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil || n == 0 || s[0] == '+' {
		return 0, fmt.Errorf("%q is not a port number (1-65535)", s)
	}
	return uint16(n), nil
}

// checkPorts refuses mappings that cannot hold: a host port published
// twice (same protocol, overlapping host addresses), or on ::1.
func checkPorts(ports []PortMapping) error {
	type key struct {
		port  uint16
		proto string
	}
	seen := map[key][]netip.Addr{}
	for _, p := range ports {
		if p.ContainerPort == 0 {
			return fmt.Errorf("publish %s: container port 0: %w", p, errdefs.ErrInvalidArgument)
		}
		switch p.protocol() {
		case "tcp", "udp", "sctp":
		default:
			return fmt.Errorf("publish %s: protocol %q: %w", p, p.Protocol, errdefs.ErrInvalidArgument)
		}
		if p.HostIP == netip.IPv6Loopback() {
			return fmt.Errorf("publish %s: the kernel does not route IPv6 loopback traffic to another host, so no port can be published on ::1 (use 127.0.0.1): %w", p, errdefs.ErrNotImplemented)
		}
		if p.HostIP.Is4In6() {
			return fmt.Errorf("publish %s: write the IPv4 host IP %s as such: %w", p, p.HostIP.Unmap(), errdefs.ErrInvalidArgument)
		}
		if p.HostPort == 0 {
			continue
		}
		k := key{p.HostPort, p.protocol()}
		for _, ip := range seen[k] {
			if ip == p.HostIP || !ip.IsValid() || !p.HostIP.IsValid() {
				return fmt.Errorf("publish %s: host port %d/%s is published twice: %w", p, p.HostPort, p.protocol(), errdefs.ErrInvalidArgument)
			}
		}
		seen[k] = append(seen[k], p.HostIP)
	}
	return nil
}
