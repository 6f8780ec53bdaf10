package network

import (
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
	"github.com/containernetworking/cni/libcni"
)

// DefaultPluginDirs are where CNI plugins are looked for: Debian's
// directory, Fedora's, and upstream's.
var DefaultPluginDirs = []string{"/usr/lib/cni", "/usr/libexec/cni", "/opt/cni/bin"}

// Options configure a Manager.
type Options struct {
	// Root is the engine's store (networks live in Root/networks);
	// RunRoot its volatile state (attachments, IPAM, namespaces).
	Root, RunRoot string
	// PluginDirs are searched for CNI plugins; nil means DefaultPluginDirs.
	PluginDirs []string
	// DefaultNetwork, DefaultInterface and DefaultSubnet describe the
	// network used when a request names none, created on first use; empty
	// means DefaultName, DefaultInterface and DefaultSubnet. Tests give
	// their own so that they do not share the host's berth0.
	DefaultNetwork, DefaultInterface string
	DefaultSubnet                    netip.Prefix
}

// Manager keeps a store's networks and attaches containers to them. It
// holds nothing open between calls; many processes may use the same
// store at once (changes are serialized by Root/networks/lock).
type Manager struct {
	o   Options
	cni *libcni.CNIConfig
}

// Layout of the store.
const (
	networksDir    = "networks"
	confExt        = ".conflist"
	lockName       = "lock"
	attachmentsDir = "attachments"
	ipamDir        = "ipam"
	cacheDir       = "cache"
)

// New opens (creating when needed) the networks of the store at o.Root.
func New(o Options) (*Manager, error) {
	if o.Root == "" || o.RunRoot == "" {
		return nil, fmt.Errorf("open networks: root and run root are required: %w", errdefs.ErrInvalidArgument)
	}
	if o.PluginDirs == nil {
		o.PluginDirs = DefaultPluginDirs
	}
	if o.DefaultNetwork == "" {
		o.DefaultNetwork = DefaultName
	}
	if o.DefaultInterface == "" {
		o.DefaultInterface = DefaultInterface
	}
	if !o.DefaultSubnet.IsValid() {
		o.DefaultSubnet = netip.MustParsePrefix(DefaultSubnet)
	}
	m := &Manager{o: o}
	for _, d := range []string{m.confDir(), m.runPath(attachmentsDir), m.runPath(ipamDir), m.runPath(cacheDir)} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("open networks: %w", err)
		}
	}
	m.cni = libcni.NewCNIConfigWithCacheDir(o.PluginDirs, m.runPath(cacheDir), pluginExec())
	return m, nil
}

// DefaultNetwork is the name of the network requests without one join.
func (m *Manager) DefaultNetwork() string { return m.o.DefaultNetwork }

func (m *Manager) confDir() string { return filepath.Join(m.o.Root, networksDir) }

func (m *Manager) confPath(name string) string { return filepath.Join(m.confDir(), name+confExt) }

func (m *Manager) runPath(elem ...string) string {
	return filepath.Join(append([]string{m.o.RunRoot, networksDir}, elem...)...)
}

func (m *Manager) lock() (func() error, error) { return lockFile(filepath.Join(m.confDir(), lockName)) }

// List returns the networks, sorted by name. The default network is among
// them whether or not it was used yet.
func (m *Manager) List(ctx context.Context) ([]*Network, error) {
	entries, err := os.ReadDir(m.confDir())
	if err != nil {
		return nil, fmt.Errorf("list networks: %w", err)
	}
	var out []*Network
	haveDefault := false
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), confExt) || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		n, err := m.load(filepath.Join(m.confDir(), e.Name()))
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed meanwhile
		}
		if err != nil {
			return nil, err
		}
		haveDefault = haveDefault || n.Name == m.o.DefaultNetwork
		out = append(out, n)
	}
	if !haveDefault {
		out = append(out, m.defaultNetwork())
	}
	slices.SortFunc(out, func(a, b *Network) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

func (m *Manager) load(path string) (*Network, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read network config: %w", err)
	}
	return parseConfList(path, data)
}

// Inspect returns the network called name; ErrNotFound when there is
// none.
func (m *Manager) Inspect(ctx context.Context, name string) (*Network, error) {
	n, _, err := m.find(name)
	return n, err
}

// find returns the network called name and its conflist. The default
// network, not written yet, has the conflist it will be written with.
func (m *Manager) find(name string) (*Network, []byte, error) {
	if name == "" {
		return nil, nil, fmt.Errorf("network: empty name: %w", errdefs.ErrInvalidArgument)
	}
	data, err := os.ReadFile(m.confPath(name))
	if err == nil {
		n, err := parseConfList(m.confPath(name), data)
		if err == nil && n.Name != name {
			err = fmt.Errorf("network config %s names network %q, not %q: %w", m.confPath(name), n.Name, name, errdefs.ErrInvalidArgument)
		}
		return n, data, err
	}
	if !errors.Is(err, fs.ErrNotExist) || strings.ContainsRune(name, '/') {
		return nil, nil, fmt.Errorf("read network config: %w", err)
	}
	if name == m.o.DefaultNetwork {
		n := m.defaultNetwork()
		data, err := bridgeConfList(n)
		return n, data, err
	}
	return nil, nil, fmt.Errorf("network %q: no such network: %w", name, errdefs.ErrNotFound)
}

func (m *Manager) defaultNetwork() *Network {
	s := m.o.DefaultSubnet.Masked()
	return &Network{
		Name: m.o.DefaultNetwork, ID: networkID(m.o.DefaultNetwork), Driver: DriverBridge,
		Interface: m.o.DefaultInterface, IPAM: "host-local",
		Subnets:     []Subnet{{Subnet: s, Gateway: s.Addr().Next()}},
		IPv6Enabled: s.Addr().Is6(),
		Plugins:     []string{"bridge", "portmap", "firewall"},
		Path:        m.confPath(m.o.DefaultNetwork),
	}
}
