package integration

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/berth-oci/berth/internal/fixture"
)

// TestEngineBridge runs a web server on a network of its own (made with
// berth network create, so the test shares no bridge with the host's
// default network), publishes its port on a host port the engine picks,
// fetches a page through it, and checks nothing is left after rm.
func TestEngineBridge(t *testing.T) {
	s, name, subnet := ownNetwork(t, "bt", 213)
	www := webRoot(t, "served by berth\n")
	s.ok("run", "-d", "--name", "web", "--network", name, "-p", "127.0.0.1::80", "-v", www+":/www:ro",
		imgBusybox, "httpd", "-f", "-p", "80", "-h", "/www")
	port := s.ok("port", "web")
	m := regexp.MustCompile(`^80/tcp -> 127\.0\.0\.1:(\d+)\n$`).FindStringSubmatch(port)
	if m == nil {
		t.Fatalf("port: %q", port)
	}
	var body string
	client := &http.Client{Timeout: 300 * time.Millisecond}
	engWaitFor(t, "the page through the published port", func() bool {
		resp, err := client.Get("http://127.0.0.1:" + m[1] + "/index.html")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		body = string(b)
		return true
	})
	if body != "served by berth\n" {
		t.Errorf("page: %q", body)
	}
	ip := s.ok("container", "inspect", "--format", "{{.NetworkSettings.IPAddress}}", "web")
	if !strings.HasPrefix(ip, strings.TrimSuffix(subnet, "0/24")) {
		t.Errorf("the container's address %q is not on its network", ip)
	}
	if out := s.ok("exec", "web", "sh", "-c", "grep web /etc/hosts | cut -f1"); out != ip {
		t.Errorf("/etc/hosts names the container %q, inspect says %q", out, ip)
	}
	s.ok("rm", "-f", "web")
	if out := s.ok("system", "check"); out != "no problems found\n" {
		t.Errorf("after rm: %s", out)
	}
	if _, err := os.Stat(filepath.Join(s.runRoot, "netns")); err == nil {
		entries, _ := os.ReadDir(filepath.Join(s.runRoot, "netns"))
		if len(entries) != 0 {
			t.Errorf("network namespaces left: %v", entries)
		}
	}
}

// TestEnginePublishFixedPort is the issue's own check: busybox httpd
// published with -p 18080:80 serves its page to curl on 127.0.0.1:18080,
// and ps shows the mapping.
func TestEnginePublishFixedPort(t *testing.T) {
	curl := fixture.RequireTool(t, "curl")
	if l, err := net.Listen("tcp", "127.0.0.1:18080"); err != nil {
		t.Fatalf("port 18080 is taken on this host before the test: %v", err)
	} else {
		l.Close()
	}
	s, name, _ := ownNetwork(t, "bf", 214)
	www := webRoot(t, "fixed port\n")
	s.ok("run", "-d", "--name", "web18080", "--network", name, "-p", "18080:80", "-v", www+":/www:ro",
		imgBusybox, "httpd", "-f", "-p", "80", "-h", "/www")
	t.Cleanup(func() { s.berth("rm", "-f", "web18080") })
	var page []byte
	engWaitFor(t, "curl http://127.0.0.1:18080", func() bool {
		var err error
		page, err = exec.Command(curl, "-fsS", "--max-time", "1", "http://127.0.0.1:18080/index.html").Output()
		return err == nil
	})
	if string(page) != "fixed port\n" {
		t.Errorf("curl got %q", page)
	}
	if ps := s.ok("ps", "--format", "{{.Names}} {{.Ports}}"); !strings.Contains(ps, "web18080 0.0.0.0:18080->80/tcp") {
		t.Errorf("ps shows:\n%s", ps)
	}
	s.ok("rm", "-f", "web18080")
	if out, err := exec.Command(curl, "-fsS", "--max-time", "1", "http://127.0.0.1:18080/").CombinedOutput(); err == nil {
		t.Errorf("port 18080 still serves after rm: %s", out)
	}
}

// ownNetwork makes a network for the test alone, with berth network
// create: a bridge named prefix+pid on a /24 of 10.second.0.0/16, so that
// no other test or the host's default network shares it. It returns the
// store (with the test images), the network's name and its subnet.
func ownNetwork(t *testing.T, prefix string, second int) (*engStore, string, string) {
	t.Helper()
	if _, err := os.Stat("/usr/lib/cni/bridge"); err != nil {
		fixture.Unmet(t, "containernetworking-plugins is not installed")
	}
	s, _ := withImages(t)
	name := fmt.Sprintf("%s%d", prefix, os.Getpid())
	subnet := fmt.Sprintf("10.%d.%d.0/24", second, os.Getpid()%200)
	s.ok("network", "create", "--subnet", subnet, "--interface-name", name, name)
	t.Cleanup(func() { s.berth("network", "rm", "-f", name) })
	return s, name, subnet
}

// webRoot is a directory holding index.html with page, for httpd -h.
func webRoot(t *testing.T, page string) string {
	t.Helper()
	www := t.TempDir()
	if err := os.WriteFile(filepath.Join(www, "index.html"), []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	return www
}
