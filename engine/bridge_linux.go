package engine

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"sync"

	"github.com/berth-oci/berth/engine/network"
)

// networkState opens the store's networks once per engine.
type networkState struct {
	once sync.Once
	m    *network.Manager
	err  error
}

// networks returns the manager of the store's networks (CNI), opened on
// first use: containers without a network never pay for it.
func (e *Engine) networks() (*network.Manager, error) {
	e.net.once.Do(func() {
		e.net.m, e.net.err = network.New(network.Options{Root: e.root, RunRoot: e.runRoot})
	})
	return e.net.m, e.net.err
}

// connect gives container r a network namespace attached to its networks
// (publishing its ports) and writes its /etc/hosts and resolv.conf for
// them. It returns the namespace's path for config.json.
func (e *Engine) connect(ctx context.Context, r *containerRecord) (string, error) {
	m, err := e.networks()
	if err != nil {
		return "", err
	}
	// A namespace or attachment a crash left would make this start fail.
	if err := e.disconnect(ctx, r); err != nil {
		return "", err
	}
	ns, err := network.NewNetNS(e.runRoot, r.ID)
	if err != nil {
		return "", err
	}
	req := network.Request{Ports: r.Options.Publish}
	if r.Options.Network != NetworkBridge {
		req.Networks = []string{r.Options.Network}
	}
	a, err := m.Setup(ctx, r.ID, ns, req)
	if err != nil {
		return "", errors.Join(err, network.RemoveNetNS(ns))
	}
	h := network.Hosts{Hostname: hostnameOf(r), Aliases: []string{r.Name}}
	for _, n := range a.Networks {
		for _, ip := range n.IPs {
			h.IPs = append(h.IPs, ip.Addr())
		}
		if len(n.Gateways) > 0 && !h.HostGateway.IsValid() {
			h.HostGateway = n.Gateways[0]
		}
	}
	err = network.WriteHosts(e.ctrPath(r.ID, etcHosts), h)
	if err == nil {
		err = network.WriteResolvConf(e.ctrPath(r.ID, etcResolv), network.ResolvConf{IPv6: hasIPv6(h.IPs)})
	}
	if err != nil {
		return "", errors.Join(err, e.disconnect(ctx, r))
	}
	return ns, nil
}

func hasIPv6(ips []netip.Addr) bool {
	for _, ip := range ips {
		if ip.Is6() {
			return true
		}
	}
	return false
}

// disconnect undoes connect: the attachment torn down, the namespace
// removed. What is not there is no error.
func (e *Engine) disconnect(ctx context.Context, r *containerRecord) error {
	if !usesNetwork(r.Options.Network) {
		return nil
	}
	ns := network.NetNSPath(e.runRoot, r.ID)
	m, err := e.networks()
	if err != nil {
		return err
	}
	if err := m.Teardown(ctx, r.ID); err != nil {
		return fmt.Errorf("disconnect %s: %w", r.Name, err)
	}
	if _, err := os.Lstat(ns); err != nil {
		return nil
	}
	return network.RemoveNetNS(ns)
}

// attachment is what connect did for container r, nil when it is not
// attached.
func (e *Engine) attachment(ctx context.Context, r *containerRecord) *network.Attachment {
	if !usesNetwork(r.Options.Network) {
		return nil
	}
	m, err := e.networks()
	if err != nil {
		return nil
	}
	a, err := m.Attachment(ctx, r.ID)
	if err != nil {
		return nil
	}
	return a
}
