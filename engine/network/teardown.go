package network

import (
	"context"
	"errors"
	"fmt"

	"github.com/berth-oci/berth/errdefs"
	"github.com/containernetworking/cni/libcni"
)

// Teardown undoes Setup for container id from its record alone: the
// plugins delete its interfaces, release its addresses and remove its
// port and firewall rules, on every network it joined. It is idempotent
// (a container never set up, or torn down already, is not an error) and
// works after a crash of whoever called Setup, or of the container. Call
// it before RemoveNetNS: the interfaces are found through the namespace.
// A namespace Setup pinned is removed here.
// When a plugin fails, the networks not yet undone stay recorded so that
// a later Teardown (or Repair) retries them.
func (m *Manager) Teardown(ctx context.Context, id string) error {
	if err := checkID(id); err != nil {
		return err
	}
	unlock, err := m.lock()
	if err != nil {
		return err
	}
	defer unlock()
	a, err := m.readRecord(m.recordPath(id))
	if errors.Is(err, errdefs.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return m.teardown(ctx, a)
}

// teardown runs DEL for a's networks, last first, and forgets those that
// succeeded. The caller holds the lock.
func (m *Manager) teardown(ctx context.Context, a *Attachment) error {
	var errs []error
	for i := len(a.Networks) - 1; i >= 0; i-- {
		if err := m.del(ctx, a, &a.Networks[i]); err != nil {
			errs = append(errs, err)
			continue
		}
		a.Networks = append(a.Networks[:i], a.Networks[i+1:]...)
	}
	if len(a.Networks) == 0 {
		return errors.Join(append(errs, m.unpin(a), m.removeRecord(a.ContainerID))...)
	}
	return errors.Join(append(errs, m.writeRecord(a))...)
}

// detach undoes a's attachment to the network called name only. The
// caller holds the lock.
func (m *Manager) detach(ctx context.Context, a *Attachment, name string) error {
	net := a.network(name)
	if net == nil {
		return nil
	}
	if err := m.del(ctx, a, net); err != nil {
		return err
	}
	for i := range a.Networks {
		if a.Networks[i].Network == name {
			a.Networks = append(a.Networks[:i], a.Networks[i+1:]...)
			break
		}
	}
	if len(a.Networks) == 0 {
		return errors.Join(m.unpin(a), m.removeRecord(a.ContainerID))
	}
	return m.writeRecord(a)
}

func (m *Manager) del(ctx context.Context, a *Attachment, net *Attached) error {
	list, err := libcni.NetworkConfFromBytes(net.Config)
	if err != nil {
		return fmt.Errorf("network teardown of %s on %s: %w", a.ContainerID, net.Network, err)
	}
	rt := m.runtimeConf(a, net)
	if err := m.cni.DelNetworkList(ctx, list, rt); err != nil {
		return fmt.Errorf("network teardown of %s on %s: %w", a.ContainerID, net.Network, err)
	}
	if rt.NetNS == "" {
		if err := removeMasq(ctx, list.Name, a.ContainerID); err != nil {
			return fmt.Errorf("network teardown of %s on %s: %w", a.ContainerID, net.Network, err)
		}
	}
	return nil
}
