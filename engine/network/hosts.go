package network

import (
	"bufio"
	"bytes"
	"fmt"
	"net/netip"
	"strings"

	"github.com/berth-oci/berth/errdefs"
)

// HostGatewayNames name the host, as seen from a container on a bridge:
// podman's name, so images and scripts written for podman work, and
// berth's own.
var HostGatewayNames = []string{"host.containers.internal", "host.berth.internal"}

// HostEntry is a line of /etc/hosts.
type HostEntry struct {
	// IP is the address; the zero value stands for the host gateway
	// (--add-host NAME:host-gateway).
	IP    netip.Addr
	Names []string
}

// Hosts describes a container's /etc/hosts.
type Hosts struct {
	// Hostname and Aliases (the container's name, say) name the
	// container's IPs, or 127.0.0.1 when it has none (--network none).
	Hostname string
	Aliases  []string
	IPs      []netip.Addr
	// HostGateway, when valid, is named by HostGatewayNames.
	HostGateway netip.Addr
	// Extra are --add-host entries. They come first: the first match wins.
	Extra []HostEntry
	// Base is what to start from (the image's /etc/hosts, or the host's
	// under --network host); the localhost lines are added when it has
	// none.
	Base []byte
}

// ParseAddHost parses an --add-host value, NAME:IP or NAME:host-gateway
// (IPv6 addresses may be bracketed).
func ParseAddHost(s string) (HostEntry, error) {
	name, ip, ok := strings.Cut(s, ":")
	if !ok || name == "" || strings.ContainsAny(name, " \t#") {
		return HostEntry{}, fmt.Errorf("add-host %q: want NAME:IP: %w", s, errdefs.ErrInvalidArgument)
	}
	if ip == "host-gateway" {
		return HostEntry{Names: []string{name}}, nil
	}
	a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(ip, "["), "]"))
	if err != nil {
		return HostEntry{}, fmt.Errorf("add-host %q: IP %q: %w", s, ip, errdefs.ErrInvalidArgument)
	}
	return HostEntry{IP: a, Names: []string{name}}, nil
}

// Content is the file h describes.
func (h Hosts) Content() ([]byte, error) {
	var b bytes.Buffer
	for _, e := range h.Extra {
		ip := e.IP
		if !ip.IsValid() {
			if !h.HostGateway.IsValid() {
				return nil, fmt.Errorf("add-host %s:host-gateway: the container has no host gateway (not on a bridge network): %w", strings.Join(e.Names, " "), errdefs.ErrInvalidArgument)
			}
			ip = h.HostGateway
		}
		fmt.Fprintf(&b, "%s\t%s\n", ip, strings.Join(e.Names, " "))
	}
	b.Write(h.Base)
	if len(h.Base) > 0 && h.Base[len(h.Base)-1] != '\n' {
		b.WriteByte('\n')
	}
	v4, v6 := hasLocalhost(h.Base)
	if !v4 {
		b.WriteString("127.0.0.1\tlocalhost localhost.localdomain localhost4 localhost4.localdomain4\n")
	}
	if !v6 {
		b.WriteString("::1\tlocalhost localhost.localdomain localhost6 localhost6.localdomain6\n")
	}
	names := strings.Join(append([]string{h.Hostname}, h.Aliases...), " ")
	if names = strings.TrimSpace(names); names != "" {
		ips := h.IPs
		if len(ips) == 0 {
			ips = []netip.Addr{netip.MustParseAddr("127.0.0.1")}
		}
		for _, ip := range ips {
			fmt.Fprintf(&b, "%s\t%s\n", ip, names)
		}
	}
	if h.HostGateway.IsValid() {
		fmt.Fprintf(&b, "%s\t%s\n", h.HostGateway, strings.Join(HostGatewayNames, " "))
	}
	return b.Bytes(), nil
}

// hasLocalhost reports whether hosts names localhost on IPv4 and on IPv6.
func hasLocalhost(hosts []byte) (v4, v6 bool) {
	sc := bufio.NewScanner(bytes.NewReader(hosts))
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		a, err := netip.ParseAddr(f[0])
		if err != nil || !a.IsLoopback() {
			continue
		}
		for _, n := range f[1:] {
			if n == "localhost" {
				v4, v6 = v4 || a.Is4(), v6 || a.Is6()
			}
		}
	}
	return v4, v6
}

// WriteHosts writes h to path (the container's /etc/hosts, bind-mounted by
// the engine), in place when it exists, so that a bind mount of it sees
// the new content.
func WriteHosts(path string, h Hosts) error {
	data, err := h.Content()
	if err != nil {
		return err
	}
	if err := writeEtcFile(path, data); err != nil {
		return fmt.Errorf("write hosts file: %w", err)
	}
	return nil
}

// WriteHostname writes the container's /etc/hostname.
func WriteHostname(path, hostname string) error {
	if hostname == "" || len(hostname) > 253 || strings.ContainsAny(hostname, " \t\n/") {
		return fmt.Errorf("hostname %q: %w", hostname, errdefs.ErrInvalidArgument)
	}
	if err := writeEtcFile(path, []byte(hostname+"\n")); err != nil {
		return fmt.Errorf("write hostname file: %w", err)
	}
	return nil
}
