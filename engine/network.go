package engine

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/berth-oci/berth/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// PortMapping publishes a container port on the host.
type PortMapping struct {
	HostIP        string `json:"hostIP,omitempty"`
	HostPort      uint16 `json:"hostPort"`
	ContainerPort uint16 `json:"containerPort"`
	Protocol      string `json:"protocol"` // tcp or udp
}

func (p PortMapping) String() string {
	ip := p.HostIP
	if ip == "" {
		ip = "0.0.0.0"
	}
	return fmt.Sprintf("%d/%s -> %s", p.ContainerPort, p.Protocol, net.JoinHostPort(ip, strconv.Itoa(int(p.HostPort))))
}

// ParsePublish parses a -p value: [[HOSTIP:]HOSTPORT:]CONTAINERPORT[/PROTO],
// ports possibly ranges of equal length (8000-8002:80-82). A missing host
// port is the container port.
func ParsePublish(s string) ([]PortMapping, error) {
	bad := func(why string) ([]PortMapping, error) {
		return nil, fmt.Errorf("publish %q: %s: %w", s, why, errdefs.ErrInvalidArgument)
	}
	spec, proto, _ := strings.Cut(s, "/")
	if proto == "" {
		proto = "tcp"
	}
	if proto != "tcp" && proto != "udp" && proto != "sctp" {
		return bad("protocol is tcp, udp or sctp")
	}
	var ip, host, ctr string
	if i := strings.LastIndex(spec, ":"); i < 0 {
		ctr = spec
	} else {
		ctr = spec[i+1:]
		rest := spec[:i]
		if j := strings.LastIndex(rest, ":"); j >= 0 {
			ip, host = strings.Trim(rest[:j], "[]"), rest[j+1:]
			if net.ParseIP(ip) == nil {
				return bad("host IP " + ip + " is not an address")
			}
		} else {
			host = rest
		}
	}
	c0, c1, err := portRange(ctr)
	if err != nil {
		return bad(err.Error())
	}
	h0, h1 := c0, c1
	if host != "" {
		if h0, h1, err = portRange(host); err != nil {
			return bad(err.Error())
		}
	}
	if h1-h0 != c1-c0 {
		return bad("host and container ranges differ in length")
	}
	var out []PortMapping
	for i := uint16(0); i <= c1-c0; i++ {
		out = append(out, PortMapping{HostIP: ip, HostPort: h0 + i, ContainerPort: c0 + i, Protocol: proto})
	}
	return out, nil
}

func portRange(s string) (uint16, uint16, error) {
	a, b, isRange := strings.Cut(s, "-")
	lo, err := strconv.ParseUint(a, 10, 16)
	if err != nil || lo == 0 {
		return 0, 0, fmt.Errorf("port %q is not 1-65535", a)
	}
	hi := lo
	if isRange {
		if hi, err = strconv.ParseUint(b, 10, 16); err != nil || hi < lo {
			return 0, 0, fmt.Errorf("port range %q is not LOW-HIGH", s)
		}
	}
	return uint16(lo), uint16(hi), nil
}

// NetworkDriver connects containers to a network other than none and host:
// the seam for bridge networking (CNI) and port publishing. The engine
// calls Setup after the runtime created the container (its network
// namespace exists, nothing runs yet) and Teardown when it has stopped.
type NetworkDriver interface {
	// Setup connects the network namespace at nsPath of container id and
	// publishes ports; it returns the addresses the container got.
	Setup(ctx context.Context, id, nsPath string, ports []PortMapping) ([]net.IP, error)
	// Teardown undoes Setup. Tearing down what is not set up is no error.
	Teardown(ctx context.Context, id, nsPath string, ports []PortMapping) error
}

// applyNetwork sets the network namespace of s for the mode.
func (e *Engine) applyNetwork(s *specs.Spec, o *CreateOptions) error {
	switch o.Network {
	case NetworkHost:
		var ns []specs.LinuxNamespace
		for _, n := range s.Linux.Namespaces {
			if n.Type != specs.NetworkNamespace {
				ns = append(ns, n)
			}
		}
		s.Linux.Namespaces = ns
	case NetworkBridge:
		if e.opts.Network == nil {
			return fmt.Errorf("network bridge: no network driver is configured (use --network none or host): %w", errdefs.ErrNotImplemented)
		}
	}
	return nil
}

// checkPublish refuses port mappings where they cannot work.
func (e *Engine) checkPublish(o *CreateOptions) error {
	if len(o.Publish) == 0 {
		return nil
	}
	switch o.Network {
	case NetworkBridge:
		if e.opts.Network == nil {
			return fmt.Errorf("publish ports: network bridge has no driver configured: %w", errdefs.ErrNotImplemented)
		}
	case NetworkHost:
		e.warn("port mappings are discarded with --network host: the container uses the host's ports")
		o.Publish = nil
	default:
		return fmt.Errorf("publish ports: needs --network bridge, the container's network is %q: %w", o.Network, errdefs.ErrInvalidArgument)
	}
	return nil
}
