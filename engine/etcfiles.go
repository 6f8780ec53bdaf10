package engine

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// The files a container gets over the image's own, as podman gives them.
const (
	etcHostname = "hostname"
	etcHosts    = "hosts"
	etcResolv   = "resolv.conf"
)

// hostnameOf is the container's host name: the one asked for, the host's
// with the host's network, else the short ID.
func hostnameOf(r *containerRecord) string {
	if r.Options.Hostname != "" {
		return r.Options.Hostname
	}
	if r.Options.Network == NetworkHost {
		if h, err := os.Hostname(); err == nil {
			return h
		}
	}
	return r.ID[:12]
}

// writeEtcFiles writes hostname, hosts and resolv.conf into dir: the
// host's hosts and resolv.conf for a container on the host's network.
func writeEtcFiles(dir string, r *containerRecord) error {
	hostname := hostnameOf(r)
	hosts := []byte("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t" + hostname + "\n")
	resolv := resolvConf()
	if r.Options.Network == NetworkHost {
		if data, err := os.ReadFile("/etc/hosts"); err == nil {
			hosts = data
		}
		if data, err := os.ReadFile("/etc/resolv.conf"); err == nil {
			resolv = data
		}
	}
	files := map[string][]byte{etcHostname: []byte(hostname + "\n"), etcHosts: hosts, etcResolv: resolv}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return fmt.Errorf("write /etc/%s of the container: %w", name, err)
		}
	}
	return nil
}

// resolvConf is the host's resolv.conf without loopback name servers (they
// are not the host's inside a network namespace), or public ones when
// none is left.
func resolvConf() []byte {
	data, _ := os.ReadFile("/etc/resolv.conf")
	var out bytes.Buffer
	servers := 0
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "nameserver" {
			if strings.HasPrefix(f[1], "127.") || f[1] == "::1" {
				continue
			}
			servers++
		}
		if strings.TrimSpace(line) != "" {
			out.WriteString(line + "\n")
		}
	}
	if servers == 0 {
		out.WriteString("nameserver 8.8.8.8\nnameserver 8.8.4.4\n")
	}
	return out.Bytes()
}
