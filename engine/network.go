package engine

import (
	"context"
	"fmt"
	"os"

	"github.com/berth-oci/berth/engine/network"
	"github.com/berth-oci/berth/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// PortMapping publishes a container port on the host (-p).
type PortMapping = network.PortMapping

// ParsePublish parses a -p value as podman does:
// [[IP:][HOSTPORT]:]CONTAINERPORT[/PROTOCOL], ports possibly ranges, an
// empty HOSTPORT for a free one.
func ParsePublish(s string) ([]PortMapping, error) { return network.ParsePublish(s) }

// applyNetwork sets the network namespace of s for the mode: none keeps
// the new namespace (only lo), host drops it, a network joins the one
// connect made at netns.
func (e *Engine) applyNetwork(s *specs.Spec, o *CreateOptions, netns string) {
	var ns []specs.LinuxNamespace
	for _, n := range s.Linux.Namespaces {
		if n.Type == specs.NetworkNamespace {
			switch {
			case o.Network == NetworkHost:
				continue
			case netns != "":
				n.Path = netns
			}
		}
		ns = append(ns, n)
	}
	s.Linux.Namespaces = ns
}

// defaultNetwork is the network of a container that names none: the
// default bridge, as podman's, for root where the CNI plugins and
// iptables are installed; otherwise none (a rootless store has no
// bridge), unless ports are published, which need the bridge and say so
// when it fails.
func defaultNetwork(publish bool) string {
	if publish || (os.Geteuid() == 0 && network.BridgeAvailable()) {
		return NetworkBridge
	}
	return NetworkNone
}

// usesNetwork reports whether containers of mode join a network (bridge,
// or a network created with berth network create).
func usesNetwork(mode string) bool {
	return mode != "" && mode != NetworkNone && mode != NetworkHost
}

// checkNetwork checks the network mode and the ports against it.
func (e *Engine) checkNetwork(ctx context.Context, o *CreateOptions) error {
	if usesNetwork(o.Network) && o.Network != NetworkBridge {
		m, err := e.networks()
		if err != nil {
			return err
		}
		if _, err := m.Inspect(ctx, o.Network); err != nil {
			return fmt.Errorf("network %s: %w", o.Network, err)
		}
	}
	if len(o.Publish) == 0 {
		return nil
	}
	switch o.Network {
	case NetworkHost:
		e.warn("port mappings are discarded with --network host: the container uses the host's ports")
		o.Publish = nil
	case NetworkNone:
		return fmt.Errorf("publish ports: the container's network is none: use --network bridge: %w", errdefs.ErrInvalidArgument)
	}
	return nil
}
