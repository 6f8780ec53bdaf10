package network

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"slices"
	"strings"
)

// Where the host's resolver configuration is, and systemd-resolved's list
// of the real servers behind its 127.0.0.53 stub.
const (
	HostResolvConf     = "/etc/resolv.conf"
	ResolvedResolvConf = "/run/systemd/resolve/resolv.conf"
)

// PublicNameservers are used, as podman does, when no nameserver of the
// host's is reachable from a container.
var (
	PublicNameservers  = []netip.Addr{netip.MustParseAddr("8.8.8.8"), netip.MustParseAddr("8.8.4.4")}
	PublicNameservers6 = []netip.Addr{netip.MustParseAddr("2001:4860:4860::8888"), netip.MustParseAddr("2001:4860:4860::8844")}
)

// ResolvConf describes a container's /etc/resolv.conf.
type ResolvConf struct {
	// HostFile is the resolver configuration to start from; empty means
	// HostResolvConf, or ResolvedResolvConf when the host's names only
	// systemd-resolved's stub.
	HostFile string
	// Nameservers (--dns) replace the host's; Search (--dns-search)
	// replaces its search domains ("." alone: none); Options
	// (--dns-option) are added to its options.
	Nameservers []netip.Addr
	Search      []string
	Options     []string
	// KeepLoopback keeps the host's loopback nameservers: for
	// --network host, where they are reachable.
	KeepLoopback bool
	// IPv6 keeps IPv6 nameservers: the container has an IPv6 address.
	IPv6 bool
}

// resolver is what a resolv.conf says.
type resolver struct {
	nameservers []string
	search      []string
	options     []string
}

// parseResolvConf reads nameserver, search (or domain) and options lines.
func parseResolvConf(data []byte) resolver {
	var r resolver
	var domain []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 || strings.HasPrefix(f[0], "#") || strings.HasPrefix(f[0], ";") {
			continue
		}
		switch f[0] {
		case "nameserver":
			r.nameservers = append(r.nameservers, f[1])
		case "search":
			r.search = f[1:]
		case "domain":
			domain = f[1:2]
		case "options":
			r.options = append(r.options, f[1:]...)
		}
	}
	if r.search == nil {
		r.search = domain
	}
	return r
}

// Content is the file c describes.
func (c ResolvConf) Content() ([]byte, error) {
	host, err := c.hostResolver()
	if err != nil {
		return nil, err
	}
	return c.render(host), nil
}

// render is the container's file given the host's configuration.
func (c ResolvConf) render(host resolver) []byte {
	var servers []netip.Addr
	if len(c.Nameservers) > 0 {
		servers = c.Nameservers
	} else {
		for _, s := range host.nameservers {
			a, err := netip.ParseAddr(s)
			if err != nil || a.Zone() != "" || a.IsLinkLocalUnicast() || (a.IsLoopback() && !c.KeepLoopback) || (a.Is6() && !c.IPv6 && !c.KeepLoopback) {
				continue
			}
			servers = append(servers, a)
		}
		if len(servers) == 0 {
			servers = slices.Clone(PublicNameservers)
			if c.IPv6 {
				servers = append(servers, PublicNameservers6...)
			}
		}
	}
	search := host.search
	if len(c.Search) > 0 {
		search = c.Search
		if len(search) == 1 && search[0] == "." {
			search = nil
		}
	}
	var b bytes.Buffer
	if len(search) > 0 {
		fmt.Fprintf(&b, "search %s\n", strings.Join(search, " "))
	}
	for _, s := range servers {
		fmt.Fprintf(&b, "nameserver %s\n", s)
	}
	if opts := mergeOptions(host.options, c.Options); len(opts) > 0 {
		fmt.Fprintf(&b, "options %s\n", strings.Join(opts, " "))
	}
	return b.Bytes()
}

// mergeOptions adds extra to base; an option of extra replaces one of
// base with the same name (ndots:5 replaces ndots:1).
func mergeOptions(base, extra []string) []string {
	var out []string
	name := func(o string) string { n, _, _ := strings.Cut(o, ":"); return n }
	for _, o := range base {
		if !slices.ContainsFunc(extra, func(e string) bool { return name(e) == name(o) }) {
			out = append(out, o)
		}
	}
	return append(out, extra...)
}

// hostResolver reads the host's configuration; a host without one has no
// nameservers (and the container gets the public ones).
func (c ResolvConf) hostResolver() (resolver, error) {
	path := c.HostFile
	if path == "" {
		path = HostResolvConf
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return resolver{}, nil
	}
	if err != nil {
		return resolver{}, fmt.Errorf("read resolver configuration: %w", err)
	}
	r := parseResolvConf(data)
	if c.HostFile == "" && !c.KeepLoopback && onlyResolvedStub(r.nameservers) {
		if data, err := os.ReadFile(ResolvedResolvConf); err == nil {
			upstream := parseResolvConf(data)
			upstream.search, upstream.options = r.search, r.options
			return upstream, nil
		}
	}
	return r, nil
}

func onlyResolvedStub(servers []string) bool {
	return len(servers) > 0 && !slices.ContainsFunc(servers, func(s string) bool { return s != "127.0.0.53" })
}

// WriteResolvConf writes the container's /etc/resolv.conf to path,
// in place when it exists, as WriteHosts.
func WriteResolvConf(path string, c ResolvConf) error {
	data, err := c.Content()
	if err != nil {
		return err
	}
	if err := writeEtcFile(path, data); err != nil {
		return fmt.Errorf("write resolv.conf: %w", err)
	}
	return nil
}
