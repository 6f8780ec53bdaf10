package network

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"time"

	"github.com/berth-oci/berth/errdefs"
	"github.com/containernetworking/cni/libcni"
	types100 "github.com/containernetworking/cni/pkg/types/100"
)

// Request says what a container's network should be.
type Request struct {
	// Networks are the networks to join, in order: the container gets
	// eth0 on the first, eth1 on the second... None means the default
	// network, and so does the name "bridge" (as in podman).
	Networks []string
	// Ports are published on the host through the first network.
	Ports []PortMapping
	// StaticIPs asks for fixed addresses, by network name.
	StaticIPs map[string][]netip.Addr
}

// Setup attaches container id, whose network namespace is at netns, to
// the networks of req, creating the default network on first use, and
// returns what it got: addresses, gateways, MACs and the published ports
// (host ports chosen where req left them 0). netns is best a path from
// NewNetNS; any other (/proc/PID/ns/net of the created container) is
// pinned at NetNSPath, so that the namespace, and the plugins' way to the
// container's interfaces, lasts until Teardown whatever happens to the
// container. It fails with ErrAlreadyExists while the container is
// attached already. On failure nothing is left attached. What it does is
// recorded before it is done, so Teardown undoes it even if this process
// dies half-way.
func (m *Manager) Setup(ctx context.Context, id, netns string, req Request) (*Attachment, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	nsID, err := checkNetNS(netns)
	if err != nil {
		return nil, fmt.Errorf("network setup of %s: %w", id, err)
	}
	a, err := m.plan(id, netns, req)
	if err != nil {
		return nil, fmt.Errorf("network setup of %s: %w", id, err)
	}
	a.NetNSID = nsID
	unlock, err := m.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	if _, err := os.Stat(m.recordPath(id)); err == nil {
		return nil, fmt.Errorf("network setup of %s: attached already (tear it down first): %w", id, errdefs.ErrAlreadyExists)
	}
	for i := range a.Networks {
		if a.Networks[i].Config, err = m.configFor(a.Networks[i].Network); err != nil {
			return nil, fmt.Errorf("network setup of %s: %w", id, err)
		}
	}
	if err := checkFamilies(a); err != nil {
		return nil, fmt.Errorf("network setup of %s: %w", id, err)
	}
	if a.Ports, err = pickHostPorts(a.Ports); err != nil {
		return nil, fmt.Errorf("network setup of %s: %w", id, err)
	}
	if err := m.pin(a); err != nil {
		return nil, fmt.Errorf("network setup of %s: %w", id, err)
	}
	if err := m.writeRecord(a); err != nil {
		return nil, errors.Join(err, m.unpin(a))
	}
	for i := range a.Networks {
		err := m.add(ctx, a, &a.Networks[i])
		if err == nil {
			err = m.writeRecord(a)
		}
		if err != nil {
			// An ADD that failed may have done part of its work: DEL
			// undoes that too.
			return nil, errors.Join(fmt.Errorf("network setup of %s: %w", id, err), m.teardown(ctx, a))
		}
	}
	return a, nil
}

// checkNetNS returns the identity of the namespace at path, refusing what
// is no network namespace, and this process's own: the plugins would
// configure (and on DEL delete) the host's interfaces.
func checkNetNS(path string) (NSIdentity, error) {
	if !IsNetNS(path) {
		return NSIdentity{}, fmt.Errorf("%s is not a network namespace: %w", path, errdefs.ErrInvalidArgument)
	}
	id, err := netnsIdentity(path)
	if err != nil {
		return id, err
	}
	if host, err := hostNetNS(); err != nil || host == id {
		return id, errors.Join(fmt.Errorf("%s is the host's network namespace: %w", path, errdefs.ErrInvalidArgument), err)
	}
	return id, nil
}

// pin makes a.NetNS the namespace's path under the run root, bind-mounting
// it there unless it is there already. The caller holds the lock.
func (m *Manager) pin(a *Attachment) error {
	p := NetNSPath(m.o.RunRoot, a.ContainerID)
	if a.NetNS == p || sameNetNS(p, a.NetNSID) {
		a.NetNS = p
		return nil
	}
	p, err := pinNetNS(m.o.RunRoot, a.ContainerID, a.NetNS)
	if err != nil {
		return err
	}
	a.NetNS, a.Pinned = p, true
	return nil
}

// unpin undoes pin.
func (m *Manager) unpin(a *Attachment) error {
	if !a.Pinned {
		return nil
	}
	return RemoveNetNS(a.NetNS)
}

// plan checks req and lays out the record Setup will fill.
func (m *Manager) plan(id, netns string, req Request) (*Attachment, error) {
	names := req.Networks
	if len(names) == 0 {
		names = []string{m.o.DefaultNetwork}
	}
	if err := checkPorts(req.Ports); err != nil {
		return nil, err
	}
	a := &Attachment{ContainerID: id, NetNS: netns, Ports: req.Ports, Created: time.Now().UTC()}
	static := map[string][]netip.Addr{}
	for name, ips := range req.StaticIPs {
		static[m.canonical(name)] = ips
	}
	for i, name := range names {
		name = m.canonical(name)
		if a.network(name) != nil {
			return nil, fmt.Errorf("network %s named twice: %w", name, errdefs.ErrInvalidArgument)
		}
		a.Networks = append(a.Networks, Attached{
			Network: name, Interface: fmt.Sprintf("eth%d", i),
			Ports: i == 0 && len(req.Ports) > 0, StaticIPs: static[name],
		})
	}
	for name := range static {
		if a.network(name) == nil {
			return nil, fmt.Errorf("static IP on network %s, which the container does not join: %w", name, errdefs.ErrInvalidArgument)
		}
	}
	return a, nil
}

// canonical is the network a request names: "bridge" is the default.
func (m *Manager) canonical(name string) string {
	if name == "bridge" {
		return m.o.DefaultNetwork
	}
	return name
}

// configFor returns the conflist of network name as the plugins get it,
// writing the default network's on its first use. The caller holds the
// lock.
func (m *Manager) configFor(name string) ([]byte, error) {
	n, data, err := m.find(name)
	if err != nil {
		return nil, err
	}
	if name == m.o.DefaultNetwork {
		if _, err := os.Stat(n.Path); errors.Is(err, os.ErrNotExist) {
			n.Created = time.Now().UTC().Truncate(time.Second)
			if err := m.write(n); err != nil {
				return nil, err
			}
			if data, err = bridgeConfList(n); err != nil {
				return nil, err
			}
		}
	}
	out, err := withDataDir(data, m.runPath(ipamDir))
	if err != nil {
		return nil, fmt.Errorf("network config %s: %w", n.Path, err)
	}
	return out, nil
}

// runtimeConf is what the plugins are told about the container on net.
func (m *Manager) runtimeConf(a *Attachment, net *Attached) *libcni.RuntimeConf {
	rt := &libcni.RuntimeConf{ContainerID: a.ContainerID, NetNS: a.NetNS, IfName: net.Interface, CapabilityArgs: map[string]any{}}
	if !sameNetNS(a.NetNS, a.NetNSID) {
		// Gone (removed before Teardown), or the path names another
		// namespace now: the plugins must not touch that one, and still
		// release what lives outside it.
		rt.NetNS = ""
	}
	if net.Ports {
		var pm []map[string]any
		for _, p := range a.Ports {
			e := map[string]any{"hostPort": p.HostPort, "containerPort": p.ContainerPort, "protocol": p.protocol()}
			if p.HostIP.IsValid() {
				e["hostIP"] = p.HostIP.String()
			}
			pm = append(pm, e)
		}
		rt.CapabilityArgs["portMappings"] = pm
	}
	if len(net.StaticIPs) > 0 {
		var ips []string
		for _, ip := range net.StaticIPs {
			ips = append(ips, ip.String())
		}
		rt.CapabilityArgs["ips"] = ips
	}
	return rt
}

// add runs the ADD of one network and records its result in net.
func (m *Manager) add(ctx context.Context, a *Attachment, net *Attached) error {
	list, err := libcni.NetworkConfFromBytes(net.Config)
	if err != nil {
		return fmt.Errorf("network %s: %w", net.Network, err)
	}
	res, err := m.cni.AddNetworkList(ctx, list, m.runtimeConf(a, net))
	if err != nil {
		return fmt.Errorf("network %s: %w", net.Network, err)
	}
	r, err := types100.NewResultFromResult(res)
	if err != nil {
		return fmt.Errorf("network %s: result: %w", net.Network, err)
	}
	fillResult(net, r)
	net.Done = true
	return nil
}

// fillResult copies a CNI result's addresses, gateways, MAC and DNS into
// net.
func fillResult(net *Attached, r *types100.Result) {
	for _, ifc := range r.Interfaces {
		if ifc.Name == net.Interface && ifc.Sandbox != "" {
			net.MAC = ifc.Mac
		}
	}
	for _, ipc := range r.IPs {
		addr, ok := netip.AddrFromSlice(ipc.Address.IP)
		if !ok {
			continue
		}
		ones, _ := ipc.Address.Mask.Size()
		net.IPs = append(net.IPs, netip.PrefixFrom(addr.Unmap(), ones))
		if gw, ok := netip.AddrFromSlice(ipc.Gateway); ok {
			net.Gateways = append(net.Gateways, gw.Unmap())
		}
	}
	net.DNS = r.DNS.Nameservers
}

// checkFamilies refuses ports published on a host address of a family
// the first network (which gets them) has no subnet of: nothing could
// be forwarded.
func checkFamilies(a *Attachment) error {
	if len(a.Ports) == 0 {
		return nil
	}
	n, err := parseConfList(a.Networks[0].Network, a.Networks[0].Config)
	if err != nil {
		return err
	}
	has4, has6 := false, false
	for _, s := range n.Subnets {
		has4, has6 = has4 || s.Subnet.Addr().Is4(), has6 || s.Subnet.Addr().Is6()
	}
	for _, p := range a.Ports {
		if (p.HostIP.Is4() && !has4) || (p.HostIP.Is6() && !has6) {
			return fmt.Errorf("publish %s: network %s has no subnet of that address family: %w", p, n.Name, errdefs.ErrInvalidArgument)
		}
	}
	return nil
}

// pickHostPorts gives mappings without a host port a free one, chosen by
// the kernel.
func pickHostPorts(ports []PortMapping) ([]PortMapping, error) {
	out := slices.Clone(ports)
	for i, p := range out {
		if p.HostPort != 0 {
			continue
		}
		addr := ""
		if p.HostIP.IsValid() {
			addr = p.HostIP.String()
		}
		hp, err := freePort(addr, p.protocol())
		if err != nil {
			return nil, fmt.Errorf("publish %s: pick a host port: %w", p, err)
		}
		out[i].HostPort = hp
	}
	return out, nil
}

func freePort(addr, proto string) (uint16, error) {
	hostport := net.JoinHostPort(addr, "0")
	if proto == "udp" {
		c, err := net.ListenPacket("udp", hostport)
		if err != nil {
			return 0, err
		}
		defer c.Close()
		return uint16(c.LocalAddr().(*net.UDPAddr).Port), nil
	}
	l, err := net.Listen("tcp", hostport)
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return uint16(l.Addr().(*net.TCPAddr).Port), nil
}
