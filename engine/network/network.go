package network

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"regexp"
	"sync"
	"time"

	"github.com/berth-oci/berth/errdefs"
)

// Defaults of the network containers join when they name none.
const (
	DefaultName      = "berth"
	DefaultInterface = "berth0"
	DefaultSubnet    = "10.89.0.0/24"
	// DriverBridge is the only driver: a Linux bridge with a veth per
	// container.
	DriverBridge = "bridge"
)

// Network is a network as `berth network inspect` shows it.
type Network struct {
	Name string `json:"name"`
	// ID is the hex SHA-256 of the name, as podman's CNI backend had it.
	ID     string `json:"id"`
	Driver string `json:"driver"`
	// Interface is the bridge on the host.
	Interface string    `json:"network_interface,omitempty"`
	Created   time.Time `json:"created,omitzero"`
	Subnets   []Subnet  `json:"subnets,omitempty"`
	// IPv6Enabled is true when a subnet is IPv6.
	IPv6Enabled bool `json:"ipv6_enabled"`
	// Internal networks have no default route and no masquerading: their
	// containers reach each other and the host, nothing beyond.
	Internal bool              `json:"internal"`
	Labels   map[string]string `json:"labels,omitempty"`
	// IPAM is the IPAM plugin's type ("host-local").
	IPAM string `json:"ipam_driver,omitempty"`
	// Plugins are the CNI plugins of the list, in order.
	Plugins []string `json:"plugins,omitempty"`
	// Path is the conflist file.
	Path string `json:"config_path,omitempty"`
}

// Subnet is a range addresses are given from, and its gateway (the
// bridge's own address).
type Subnet struct {
	Subnet  netip.Prefix `json:"subnet"`
	Gateway netip.Addr   `json:"gateway,omitzero"`
}

// CreateOptions describe a new network.
type CreateOptions struct {
	Name string
	// Driver is "bridge" (the default when empty).
	Driver string
	// Subnets with optional gateways; none means the next free /24 of
	// 10.89.0.0/16 (skipping other networks' subnets and the host's routes).
	Subnets []Subnet
	// Interface names the bridge; empty means the next free "berthN".
	Interface string
	Internal  bool
	Labels    map[string]string
}

// Names of networks follow CNI's rule for network names.
var nameRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)
})

// reserved are --network values that are modes, not networks.
var reserved = map[string]bool{"none": true, "host": true, "bridge": true, "private": true, "container": true, "ns": true, "default": true}

func checkName(name string) error {
	if !nameRE().MatchString(name) || len(name) > 200 {
		return fmt.Errorf("network name %q: want letters, digits, '_', '.', '-' (starting with a letter or digit, at most 200): %w", name, errdefs.ErrInvalidArgument)
	}
	if reserved[name] {
		return fmt.Errorf("network name %q is reserved for --network %s: %w", name, name, errdefs.ErrInvalidArgument)
	}
	return nil
}

// idRE is what container IDs may be: they become file names here.
var idRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$`)
})

func checkID(id string) error {
	if !idRE().MatchString(id) {
		return fmt.Errorf("container ID %q: want letters, digits, '_', '.', '-': %w", id, errdefs.ErrInvalidArgument)
	}
	return nil
}

// networkID is the ID of the network called name.
func networkID(name string) string {
	sum := sha256.Sum256([]byte(name))
	return hex.EncodeToString(sum[:])
}

// checkSubnets validates subnets and fills in missing gateways with the
// first address of each.
func checkSubnets(subnets []Subnet) ([]Subnet, error) {
	out := make([]Subnet, 0, len(subnets))
	for i, s := range subnets {
		if !s.Subnet.IsValid() {
			return nil, fmt.Errorf("subnet %d: missing: %w", i+1, errdefs.ErrInvalidArgument)
		}
		if s.Subnet != s.Subnet.Masked() {
			return nil, fmt.Errorf("subnet %s: host bits set (did you mean %s?): %w", s.Subnet, s.Subnet.Masked(), errdefs.ErrInvalidArgument)
		}
		if s.Subnet.Addr().Is4In6() {
			return nil, fmt.Errorf("subnet %s: an IPv4-mapped IPv6 subnet: %w", s.Subnet, errdefs.ErrInvalidArgument)
		}
		if s.Subnet.Bits() > s.Subnet.Addr().BitLen()-2 {
			return nil, fmt.Errorf("subnet %s: too small for a gateway and a container: %w", s.Subnet, errdefs.ErrInvalidArgument)
		}
		if !s.Gateway.IsValid() {
			s.Gateway = s.Subnet.Addr().Next()
		}
		if !s.Subnet.Contains(s.Gateway) || s.Gateway == s.Subnet.Addr() || isBroadcast(s.Subnet, s.Gateway) {
			return nil, fmt.Errorf("gateway %s: not a host address of subnet %s: %w", s.Gateway, s.Subnet, errdefs.ErrInvalidArgument)
		}
		for _, o := range out {
			if o.Subnet.Overlaps(s.Subnet) {
				return nil, fmt.Errorf("subnet %s overlaps %s: %w", s.Subnet, o.Subnet, errdefs.ErrInvalidArgument)
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// isBroadcast reports whether a is the last address of an IPv4 prefix.
func isBroadcast(p netip.Prefix, a netip.Addr) bool {
	if !a.Is4() {
		return false
	}
	b := a.As4()
	host := 32 - p.Bits()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	mask := uint32(1)<<host - 1
	return v&mask == mask
}
