package network

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"time"

	"github.com/berth-oci/berth/errdefs"
)

// cniVersion is the CNI spec version of the lists berth writes: the newest
// Debian 12's plugins (1.1.1) speak.
const cniVersion = "1.0.0"

// confList is a CNI configuration list as berth writes it. CNI ignores the
// "berth" key; berth keeps there what CNI has no field for.
type confList struct {
	CNIVersion string `json:"cniVersion"`
	Name       string `json:"name"`
	Plugins    []any  `json:"plugins"`
	Berth      *meta  `json:"berth,omitempty"`
}

type meta struct {
	ID       string            `json:"id"`
	Driver   string            `json:"driver"`
	Created  time.Time         `json:"created"`
	Internal bool              `json:"internal,omitempty"`
	Labels   map[string]string `json:"labels,omitempty"`
}

type bridgePlugin struct {
	Type         string          `json:"type"`
	Bridge       string          `json:"bridge"`
	IsGateway    bool            `json:"isGateway"`
	IPMasq       bool            `json:"ipMasq"`
	HairpinMode  bool            `json:"hairpinMode"`
	IPAM         ipamConf        `json:"ipam"`
	Capabilities map[string]bool `json:"capabilities,omitempty"`
}

type ipamConf struct {
	Type   string        `json:"type"`
	Ranges [][]ipamRange `json:"ranges,omitempty"`
	Routes []ipamRoute   `json:"routes,omitempty"`
	// The flat form of a single range, read but never written.
	Subnet  string `json:"subnet,omitempty"`
	Gateway string `json:"gateway,omitempty"`
}

type ipamRange struct {
	Subnet  string `json:"subnet"`
	Gateway string `json:"gateway,omitempty"`
}

type ipamRoute struct {
	Dst string `json:"dst"`
}

// bridgeConfList is the conflist of a bridge network n: the bridge (its
// address the gateway, masquerading unless internal, hairpin so a
// container reaches its own published ports), host-local addresses,
// portmap for -p (with SNAT, so ports published on 127.0.0.1 work), and
// firewall rules that let the container's traffic through FORWARD.
func bridgeConfList(n *Network) ([]byte, error) {
	ipam := ipamConf{Type: "host-local"}
	routes := map[string]bool{}
	for _, s := range n.Subnets {
		ipam.Ranges = append(ipam.Ranges, []ipamRange{{Subnet: s.Subnet.String(), Gateway: s.Gateway.String()}})
		dst := "0.0.0.0/0"
		if s.Subnet.Addr().Is6() {
			dst = "::/0"
		}
		if !n.Internal && !routes[dst] {
			routes[dst] = true
			ipam.Routes = append(ipam.Routes, ipamRoute{Dst: dst})
		}
	}
	l := confList{
		CNIVersion: cniVersion,
		Name:       n.Name,
		Plugins: []any{
			bridgePlugin{
				Type: "bridge", Bridge: n.Interface, IsGateway: true, IPMasq: !n.Internal, HairpinMode: true,
				IPAM: ipam, Capabilities: map[string]bool{"ips": true},
			},
			map[string]any{"type": "portmap", "snat": true, "capabilities": map[string]bool{"portMappings": true}},
			map[string]any{"type": "firewall", "backend": "iptables"},
		},
		Berth: &meta{ID: n.ID, Driver: n.Driver, Created: n.Created, Internal: n.Internal, Labels: n.Labels},
	}
	return json.MarshalIndent(l, "", "  ")
}

// parsedList is what berth reads back from any conflist.
type parsedList struct {
	Name    string `json:"name"`
	Plugins []struct {
		Type      string    `json:"type"`
		Bridge    string    `json:"bridge"`
		IsGateway bool      `json:"isGateway"`
		IPMasq    bool      `json:"ipMasq"`
		IPAM      *ipamConf `json:"ipam"`
	} `json:"plugins"`
	Berth *meta `json:"berth"`
}

// parseConfList describes the network of a conflist file at path, berth's
// own or one dropped in by hand.
func parseConfList(path string, data []byte) (*Network, error) {
	var l parsedList
	if err := json.Unmarshal(data, &l); err != nil {
		return nil, fmt.Errorf("network config %s: %w: %w", path, err, errdefs.ErrInvalidArgument)
	}
	if len(l.Plugins) == 0 {
		return nil, fmt.Errorf("network config %s: no plugins: %w", path, errdefs.ErrInvalidArgument)
	}
	n := &Network{Name: l.Name, ID: networkID(l.Name), Driver: l.Plugins[0].Type, Path: path}
	if l.Berth != nil {
		n.Driver, n.Created, n.Internal, n.Labels = l.Berth.Driver, l.Berth.Created, l.Berth.Internal, l.Berth.Labels
	}
	for _, p := range l.Plugins {
		n.Plugins = append(n.Plugins, p.Type)
		if p.IPAM == nil || n.IPAM != "" {
			continue
		}
		n.IPAM = p.IPAM.Type
		n.Interface = p.Bridge
		ranges := p.IPAM.Ranges
		if p.IPAM.Subnet != "" {
			ranges = append(ranges, []ipamRange{{Subnet: p.IPAM.Subnet, Gateway: p.IPAM.Gateway}})
		}
		for _, set := range ranges {
			for _, r := range set {
				s, err := parseRange(r)
				if err != nil {
					return nil, fmt.Errorf("network config %s: %w", path, err)
				}
				n.Subnets = append(n.Subnets, s)
				n.IPv6Enabled = n.IPv6Enabled || s.Subnet.Addr().Is6()
			}
		}
	}
	return n, nil
}

func parseRange(r ipamRange) (Subnet, error) {
	var s Subnet
	var err error
	if s.Subnet, err = netip.ParsePrefix(r.Subnet); err != nil {
		return s, fmt.Errorf("subnet %q: %w: %w", r.Subnet, err, errdefs.ErrInvalidArgument)
	}
	s.Subnet = s.Subnet.Masked()
	if r.Gateway != "" {
		if s.Gateway, err = netip.ParseAddr(r.Gateway); err != nil {
			return s, fmt.Errorf("gateway %q: %w: %w", r.Gateway, err, errdefs.ErrInvalidArgument)
		}
	}
	return s, nil
}

// withDataDir returns the conflist data with dataDir set in every
// host-local IPAM section that has none, so that berth's allocations stay
// out of /var/lib/cni (and out of podman's way).
func withDataDir(data []byte, dir string) ([]byte, error) {
	var l map[string]any
	if err := json.Unmarshal(data, &l); err != nil {
		return nil, err
	}
	plugins, _ := l["plugins"].([]any)
	for _, p := range plugins {
		pm, _ := p.(map[string]any)
		ipam, _ := pm["ipam"].(map[string]any)
		if ipam == nil || ipam["type"] != "host-local" {
			continue
		}
		if _, ok := ipam["dataDir"]; !ok {
			ipam["dataDir"] = dir
		}
	}
	return json.Marshal(l)
}
