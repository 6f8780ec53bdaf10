package network

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestHostsContent(t *testing.T) {
	extra, err := ParseAddHost("db:10.0.0.9")
	if err != nil {
		t.Fatal(err)
	}
	gwName, err := ParseAddHost("gw:host-gateway")
	if err != nil {
		t.Fatal(err)
	}
	h := Hosts{
		Hostname: "web", Aliases: []string{"web-1"},
		IPs:         []netip.Addr{netip.MustParseAddr("10.89.0.5")},
		HostGateway: netip.MustParseAddr("10.89.0.1"),
		Extra:       []HostEntry{extra, gwName},
		Base:        []byte("# image's\n127.0.0.1 localhost\n"),
	}
	got, err := h.Content()
	if err != nil {
		t.Fatal(err)
	}
	want := "10.0.0.9\tdb\n10.89.0.1\tgw\n# image's\n127.0.0.1 localhost\n" +
		"::1\tlocalhost localhost.localdomain localhost6 localhost6.localdomain6\n" +
		"10.89.0.5\tweb web-1\n10.89.0.1\thost.containers.internal host.berth.internal\n"
	if string(got) != want {
		t.Errorf("hosts:\n%s\nwant:\n%s", got, want)
	}
	if _, err := (Hosts{Extra: []HostEntry{gwName}}).Content(); err == nil {
		t.Error("host-gateway without a gateway accepted")
	}
	none, _ := Hosts{Hostname: "alone"}.Content()
	if !strings.Contains(string(none), "127.0.0.1\tlocalhost") || !strings.HasSuffix(string(none), "127.0.0.1\talone\n") {
		t.Errorf("hosts without a network:\n%s", none)
	}
	for _, bad := range []string{"", "noip", ":1.2.3.4", "a:b", "a b:1.2.3.4"} {
		if _, err := ParseAddHost(bad); err == nil {
			t.Errorf("add-host %q accepted", bad)
		}
	}
	if e, err := ParseAddHost("v6:[fd00::1]"); err != nil || e.IP.String() != "fd00::1" {
		t.Errorf("add-host v6: %+v, %v", e, err)
	}
}

// The files are rewritten in place: a bind mount of the old inode sees
// the new content.
func TestEtcFilesInPlace(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "hosts")
	if err := os.WriteFile(p, []byte(strings.Repeat("old content\n", 20)), 0o644); err != nil {
		t.Fatal(err)
	}
	before, _ := os.Stat(p)
	if err := WriteHosts(p, Hosts{Hostname: "h"}); err != nil {
		t.Fatal(err)
	}
	after, _ := os.Stat(p)
	if !os.SameFile(before, after) {
		t.Error("hosts replaced, not rewritten")
	}
	data, _ := os.ReadFile(p)
	if strings.Contains(string(data), "old") || !strings.HasSuffix(string(data), "127.0.0.1\th\n") {
		t.Errorf("hosts:\n%s", data)
	}
	if err := WriteHostname(filepath.Join(dir, "hostname"), "web"); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "hostname")); string(data) != "web\n" {
		t.Errorf("hostname %q", data)
	}
	if err := WriteHostname(filepath.Join(dir, "hostname"), "a b"); err == nil {
		t.Error("a hostname with a space accepted")
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if err := WriteHostname(filepath.Join(dir, "link"), "x"); err == nil {
		t.Error("wrote through a symlink")
	}
}

func TestResolvConf(t *testing.T) {
	dir := t.TempDir()
	host := filepath.Join(dir, "resolv.conf")
	os.WriteFile(host, []byte("# generated\ndomain corp\nnameserver 127.0.0.53\nnameserver 10.1.1.1\nnameserver fe80::1%eth0\nnameserver fd00::53\noptions ndots:2 edns0\n"), 0o644)
	for _, c := range []struct {
		name string
		rc   ResolvConf
		want string
	}{
		{"drops loopback and v6", ResolvConf{HostFile: host}, "search corp\nnameserver 10.1.1.1\noptions ndots:2 edns0\n"},
		{"keeps v6", ResolvConf{HostFile: host, IPv6: true}, "search corp\nnameserver 10.1.1.1\nnameserver fd00::53\noptions ndots:2 edns0\n"},
		{"host network", ResolvConf{HostFile: host, KeepLoopback: true}, "search corp\nnameserver 127.0.0.53\nnameserver 10.1.1.1\nnameserver fd00::53\noptions ndots:2 edns0\n"},
		{"flags", ResolvConf{HostFile: host, Nameservers: []netip.Addr{netip.MustParseAddr("1.1.1.1")}, Search: []string{"a", "b"}, Options: []string{"ndots:5"}}, "search a b\nnameserver 1.1.1.1\noptions edns0 ndots:5\n"},
		{"no search", ResolvConf{HostFile: host, Search: []string{"."}}, "nameserver 10.1.1.1\noptions ndots:2 edns0\n"},
		{"missing host file", ResolvConf{HostFile: filepath.Join(dir, "none"), IPv6: true}, "nameserver 8.8.8.8\nnameserver 8.8.4.4\nnameserver 2001:4860:4860::8888\nnameserver 2001:4860:4860::8844\n"},
	} {
		got, err := c.rc.Content()
		if err != nil || string(got) != c.want {
			t.Errorf("%s:\n%s%v\nwant:\n%s", c.name, got, err, c.want)
		}
	}
	stubOnly := filepath.Join(dir, "stub")
	os.WriteFile(stubOnly, []byte("nameserver 127.0.0.53\nsearch lan\n"), 0o644)
	if got, _ := (ResolvConf{HostFile: stubOnly}).Content(); string(got) != "search lan\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n" {
		t.Errorf("stub only:\n%s", got)
	}
}

func FuzzParseResolvConf(f *testing.F) {
	f.Add([]byte("nameserver 1.2.3.4\nsearch a b\noptions x\n"))
	f.Add([]byte("domain x\n# c\n;c\nnameserver\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		out := ResolvConf{}.render(parseResolvConf(data))
		r := parseResolvConf(out)
		if len(r.nameservers) == 0 {
			t.Fatalf("no nameserver in\n%s", out)
		}
		for _, s := range r.nameservers {
			if a, err := netip.ParseAddr(s); err != nil || a.IsLoopback() {
				t.Fatalf("nameserver %q in\n%s", s, out)
			}
		}
	})
}
