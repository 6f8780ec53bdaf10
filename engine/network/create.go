package network

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/internal/atomicfile"
)

// Create adds a network. It fails with ErrAlreadyExists when the name is
// taken (the default network's included) or when a subnet or bridge name
// is another network's, and with ErrInvalidArgument for bad options;
// nothing is written then.
func (m *Manager) Create(ctx context.Context, o CreateOptions) (*Network, error) {
	if err := checkName(o.Name); err != nil {
		return nil, err
	}
	switch o.Driver {
	case "", DriverBridge:
	default:
		return nil, fmt.Errorf("network %s: driver %q: only %q is supported: %w", o.Name, o.Driver, DriverBridge, errdefs.ErrNotImplemented)
	}
	subnets, err := checkSubnets(o.Subnets)
	if err != nil {
		return nil, fmt.Errorf("network %s: %w", o.Name, err)
	}
	if o.Interface != "" {
		if err := checkInterfaceName(o.Interface); err != nil {
			return nil, fmt.Errorf("network %s: %w", o.Name, err)
		}
	}
	unlock, err := m.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	n := &Network{
		Name: o.Name, ID: networkID(o.Name), Driver: DriverBridge, Interface: o.Interface,
		Created: time.Now().UTC().Truncate(time.Second), Subnets: subnets, Internal: o.Internal,
		Labels: o.Labels, IPAM: "host-local", Path: m.confPath(o.Name),
	}
	if err := m.place(n); err != nil {
		return nil, fmt.Errorf("network %s: %w", o.Name, err)
	}
	if err := m.write(n); err != nil {
		return nil, err
	}
	return m.load(n.Path)
}

// place checks n's name, subnets and bridge against the other networks
// (and the host's routes and links), choosing a subnet and a bridge when
// n has none. The caller holds the lock.
func (m *Manager) place(n *Network) error {
	others, err := m.List(context.Background())
	if err != nil {
		return err
	}
	var used []netip.Prefix
	bridges := map[string]bool{}
	for _, o := range others {
		if o.Name == n.Name {
			return fmt.Errorf("a network of that name exists: %w", errdefs.ErrAlreadyExists)
		}
		bridges[o.Interface] = true
		for _, s := range o.Subnets {
			used = append(used, s.Subnet)
			for _, mine := range n.Subnets {
				if mine.Subnet.Overlaps(s.Subnet) {
					return fmt.Errorf("subnet %s overlaps %s of network %s: %w", mine.Subnet, s.Subnet, o.Name, errdefs.ErrAlreadyExists)
				}
			}
		}
	}
	routes := hostRoutes()
	for _, mine := range n.Subnets {
		for _, r := range routes {
			if r.Overlaps(mine.Subnet) {
				return fmt.Errorf("subnet %s overlaps the host's route to %s: %w", mine.Subnet, r, errdefs.ErrAlreadyExists)
			}
		}
	}
	if len(n.Subnets) == 0 {
		p, err := freeSubnet(append(used, routes...))
		if err != nil {
			return err
		}
		n.Subnets = []Subnet{{Subnet: p, Gateway: p.Addr().Next()}}
	}
	for _, s := range n.Subnets {
		n.IPv6Enabled = n.IPv6Enabled || s.Subnet.Addr().Is6()
	}
	switch {
	case n.Interface == "":
		n.Interface, err = freeInterface(bridges)
		return err
	case bridges[n.Interface]:
		return fmt.Errorf("bridge %s is another network's: %w", n.Interface, errdefs.ErrAlreadyExists)
	}
	return nil
}

// write stores n's conflist. The caller holds the lock.
func (m *Manager) write(n *Network) error {
	data, err := bridgeConfList(n)
	if err != nil {
		return fmt.Errorf("network %s: %w", n.Name, err)
	}
	if err := atomicfile.WriteFile(n.Path, data, 0o644); err != nil {
		return fmt.Errorf("network %s: %w", n.Name, err)
	}
	return nil
}

// Remove deletes the network called name, its bridge and its address
// allocations. The default network cannot be removed. While containers
// are attached it fails with ErrFailedPrecondition, unless force: then
// their interfaces on it are torn down first (the containers lose that
// network and keep running).
func (m *Manager) Remove(ctx context.Context, name string, force bool) error {
	if name == m.o.DefaultNetwork {
		return fmt.Errorf("network %s: the default network cannot be removed: %w", name, errdefs.ErrFailedPrecondition)
	}
	unlock, err := m.lock()
	if err != nil {
		return err
	}
	defer unlock()
	n, _, err := m.find(name)
	if err != nil {
		return err
	}
	recs, err := m.records()
	if err != nil {
		return err
	}
	var users []*Attachment
	for _, r := range recs {
		if r.network(name) != nil {
			users = append(users, r)
		}
	}
	if len(users) > 0 && !force {
		return fmt.Errorf("network %s: in use by %d container(s), first %s (-f detaches them): %w", name, len(users), users[0].ContainerID, errdefs.ErrFailedPrecondition)
	}
	for _, r := range users {
		if err := m.detach(ctx, r, name); err != nil {
			return fmt.Errorf("network %s: %w", name, err)
		}
	}
	if err := os.Remove(n.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove network %s: %w", name, err)
	}
	var errs []error
	if n.Interface != "" && n.Driver == DriverBridge {
		errs = append(errs, deleteLink(n.Interface))
	}
	errs = append(errs, os.RemoveAll(filepath.Join(m.runPath(ipamDir), name)))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("remove network %s: %w", name, err)
	}
	return nil
}

// Prune removes the networks no container is attached to, except the
// default one, and returns their names.
func (m *Manager) Prune(ctx context.Context) ([]string, error) {
	nets, err := m.List(ctx)
	if err != nil {
		return nil, err
	}
	var removed []string
	for _, n := range nets {
		if n.Name == m.o.DefaultNetwork {
			continue
		}
		err := m.Remove(ctx, n.Name, false)
		switch {
		case err == nil:
			removed = append(removed, n.Name)
		case errors.Is(err, errdefs.ErrFailedPrecondition), errors.Is(err, errdefs.ErrNotFound):
		default:
			return removed, err
		}
	}
	return removed, nil
}
