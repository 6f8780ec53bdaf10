package network

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/berth-oci/berth/errdefs"
)

// Kinds of leftovers, in the order Repair deals with them.
const (
	// LeftoverAttachment: a container's interfaces, addresses and rules
	// (its record says which) while it no longer runs.
	LeftoverAttachment = "attachment"
	// LeftoverNetNS: a namespace from NewNetNS of a container that no
	// longer runs.
	LeftoverNetNS = "netns"
	// LeftoverAllocation: an address host-local keeps for a container no
	// record knows.
	LeftoverAllocation = "allocation"
)

// Leftover is network state of a container that is gone: what a crash
// (of berth, of a container's monitor) left behind.
type Leftover struct {
	Kind        string `json:"kind"`
	ContainerID string `json:"containerID"`
	Network     string `json:"network,omitempty"`
	Path        string `json:"path"`
}

func (l Leftover) String() string {
	s := fmt.Sprintf("network %s of container %s", l.Kind, l.ContainerID)
	if l.Network != "" {
		s += " on " + l.Network
	}
	return s + " (" + l.Path + ")"
}

// Check lists the network state under the run root of containers for
// which inUse returns false. inUse must return true for every container
// whose network has to stay: running, paused, or being started by another
// process at this moment. Check changes nothing; Repair removes what it
// found.
func (m *Manager) Check(ctx context.Context, inUse func(containerID string) bool) ([]Leftover, error) {
	unlock, err := m.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	recs, err := m.records()
	if err != nil {
		return nil, err
	}
	var out []Leftover
	recorded := map[string]*Attachment{}
	for _, a := range recs {
		recorded[a.ContainerID] = a
		if !inUse(a.ContainerID) {
			out = append(out, Leftover{Kind: LeftoverAttachment, ContainerID: a.ContainerID, Path: m.recordPath(a.ContainerID)})
		}
	}
	nsDir := filepath.Join(m.o.RunRoot, netnsDir)
	entries, err := os.ReadDir(nsDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("check network namespaces: %w", err)
	}
	for _, e := range entries {
		if checkID(e.Name()) == nil && !inUse(e.Name()) {
			out = append(out, Leftover{Kind: LeftoverNetNS, ContainerID: e.Name(), Path: filepath.Join(nsDir, e.Name())})
		}
	}
	allocs, err := m.allocations()
	if err != nil {
		return nil, err
	}
	for _, l := range allocs {
		if a := recorded[l.ContainerID]; (a == nil || a.network(l.Network) == nil) && !inUse(l.ContainerID) {
			out = append(out, l)
		}
	}
	return out, nil
}

// allocations lists host-local's reservations: a file per address under
// ipam/NETWORK/, holding the container ID and the interface name.
func (m *Manager) allocations() ([]Leftover, error) {
	dir := m.runPath(ipamDir)
	nets, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("check address allocations: %w", err)
	}
	var out []Leftover
	for _, n := range nets {
		files, err := os.ReadDir(filepath.Join(dir, n.Name()))
		if err != nil {
			continue
		}
		for _, f := range files {
			if _, err := netip.ParseAddr(f.Name()); err != nil {
				continue // lock, last_reserved_ip.N
			}
			p := filepath.Join(dir, n.Name(), f.Name())
			if id := allocationOwner(p); id != "" {
				out = append(out, Leftover{Kind: LeftoverAllocation, ContainerID: id, Network: n.Name(), Path: p})
			}
		}
	}
	return out, nil
}

// allocationOwner is the container ID on the first line of a host-local
// reservation file.
func allocationOwner(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		return ""
	}
	return strings.TrimSpace(sc.Text())
}

// Repair removes leftovers found by Check: attachments are torn down (as
// Teardown does), then namespaces removed, then stray allocations
// released. It goes on past failures and returns them all.
func (m *Manager) Repair(ctx context.Context, found []Leftover) error {
	unlock, err := m.lock()
	if err != nil {
		return err
	}
	defer unlock()
	order := map[string]int{LeftoverAttachment: 0, LeftoverNetNS: 1, LeftoverAllocation: 2}
	found = slices.Clone(found)
	slices.SortStableFunc(found, func(a, b Leftover) int { return order[a.Kind] - order[b.Kind] })
	var errs []error
	for _, l := range found {
		if err := m.repair(ctx, l); err != nil {
			errs = append(errs, fmt.Errorf("repair %s: %w", l, err))
		}
	}
	return errors.Join(errs...)
}

func (m *Manager) repair(ctx context.Context, l Leftover) error {
	if err := checkID(l.ContainerID); err != nil {
		return err
	}
	switch l.Kind {
	case LeftoverAttachment:
		a, err := m.readRecord(m.recordPath(l.ContainerID))
		if err != nil {
			return ignoreNotFound(err)
		}
		return m.teardown(ctx, a)
	case LeftoverNetNS:
		return RemoveNetNS(NetNSPath(m.o.RunRoot, l.ContainerID))
	case LeftoverAllocation:
		if l.Network == "" || l.Network != filepath.Base(l.Network) || strings.HasPrefix(l.Network, ".") {
			return fmt.Errorf("network name %q: %w", l.Network, errdefs.ErrInvalidArgument)
		}
		dir := filepath.Join(m.runPath(ipamDir), l.Network)
		p := filepath.Join(dir, filepath.Base(l.Path))
		// host-local's own lock, so that no ADD or DEL runs meanwhile.
		release, err := lockFile(filepath.Join(dir, "lock"))
		if err != nil {
			return err
		}
		defer release()
		if allocationOwner(p) != l.ContainerID {
			return nil // released or given to another since Check
		}
		return os.Remove(p)
	}
	return fmt.Errorf("unknown kind %q", l.Kind)
}
