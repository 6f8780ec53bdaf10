package network

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/internal/atomicfile"
)

// Attachment is what Setup did for one container, kept under the run root
// until Teardown has undone it: enough to undo it without the caller's
// help, even after the network's config changed or was removed.
type Attachment struct {
	ContainerID string `json:"containerID"`
	// NetNS is the container's network namespace, NetNSID its identity
	// then. Pinned is true when Setup bind-mounted it there (it was given
	// as /proc/PID/ns/net, say); Teardown then removes it.
	NetNS    string        `json:"netns"`
	NetNSID  NSIdentity    `json:"netnsID"`
	Pinned   bool          `json:"pinned,omitempty"`
	Ports    []PortMapping `json:"ports,omitempty"`
	Networks []Attached    `json:"networks"`
	Created  time.Time     `json:"created"`
}

// Attached is a container's interface on one network.
type Attached struct {
	Network string `json:"network"`
	// Interface is the interface's name inside the container (eth0, ...).
	Interface string `json:"interface"`
	MAC       string `json:"mac,omitempty"`
	// IPs are the container's addresses with their prefix lengths.
	IPs      []netip.Prefix `json:"ips,omitempty"`
	Gateways []netip.Addr   `json:"gateways,omitempty"`
	// DNS is what the plugins suggested, if anything.
	DNS []string `json:"dns,omitempty"`
	// Ports tells whether the published ports go to this interface (the
	// first network's).
	Ports     bool         `json:"ports,omitempty"`
	StaticIPs []netip.Addr `json:"staticIPs,omitempty"`
	// Config is the conflist the plugins ran with; Done is false while
	// its ADD has not finished.
	Config json.RawMessage `json:"config,omitempty"`
	Done   bool            `json:"done"`
}

func (a *Attachment) network(name string) *Attached {
	for i := range a.Networks {
		if a.Networks[i].Network == name {
			return &a.Networks[i]
		}
	}
	return nil
}

func (m *Manager) recordPath(id string) string { return m.runPath(attachmentsDir, id+".json") }

// Attachment returns the record of container id; ErrNotFound when it has
// none (never set up, or torn down).
func (m *Manager) Attachment(ctx context.Context, id string) (*Attachment, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	return m.readRecord(m.recordPath(id))
}

func (m *Manager) readRecord(path string) (*Attachment, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("network attachment %s: %w", filepath.Base(path), errdefs.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read network attachment: %w", err)
	}
	a := &Attachment{}
	if err := json.Unmarshal(data, a); err != nil {
		return nil, fmt.Errorf("network attachment %s: %w", path, err)
	}
	return a, nil
}

// Attachments returns every container's record, oldest first.
func (m *Manager) Attachments(ctx context.Context) ([]*Attachment, error) {
	return m.records()
}

func (m *Manager) records() ([]*Attachment, error) {
	entries, err := os.ReadDir(m.runPath(attachmentsDir))
	if err != nil {
		return nil, fmt.Errorf("list network attachments: %w", err)
	}
	var out []*Attachment
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".json") || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		a, err := m.readRecord(filepath.Join(m.runPath(attachmentsDir), e.Name()))
		if errors.Is(err, errdefs.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b *Attachment) int { return a.Created.Compare(b.Created) })
	return out, nil
}

func (m *Manager) writeRecord(a *Attachment) error {
	data, err := json.MarshalIndent(a, "", "  ")
	if err != nil {
		return fmt.Errorf("network attachment %s: %w", a.ContainerID, err)
	}
	if err := atomicfile.WriteFile(m.recordPath(a.ContainerID), data, 0o600); err != nil {
		return fmt.Errorf("network attachment %s: %w", a.ContainerID, err)
	}
	return nil
}

func (m *Manager) removeRecord(id string) error {
	if err := os.Remove(m.recordPath(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("network attachment %s: %w", id, err)
	}
	return nil
}

func ignoreNotFound(err error) error {
	if errors.Is(err, errdefs.ErrNotFound) {
		return nil
	}
	return err
}
