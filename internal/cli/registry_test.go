package cli

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/berth-oci/berth/internal/fixture"
	"golang.org/x/crypto/bcrypt"
)

// startRegistry runs Debian's docker-registry on a loopback port with
// storage in a temporary directory, basic authentication when users is
// not nil, and stops it when the test ends. It returns host:port.
func startRegistry(t *testing.T, users map[string]string) string {
	t.Helper()
	bin := fixture.RequireTool(t, "docker-registry")
	dir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host := l.Addr().String()
	l.Close()
	cfg := fmt.Sprintf("version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: %s\n", filepath.Join(dir, "data"), host)
	if users != nil {
		var lines []string
		for u, p := range users {
			hash, err := bcrypt.GenerateFromPassword([]byte(p), bcrypt.MinCost)
			if err != nil {
				t.Fatal(err)
			}
			lines = append(lines, u+":"+string(hash))
		}
		hp := filepath.Join(dir, "htpasswd")
		writeFile(t, hp, strings.Join(lines, "\n")+"\n")
		cfg += fmt.Sprintf("auth:\n  htpasswd:\n    realm: berth-test\n    path: %s\n", hp)
	}
	cfgPath := filepath.Join(dir, "config.yml")
	writeFile(t, cfgPath, cfg)
	cmd := exec.Command(bin, "serve", cfgPath)
	var log strings.Builder
	cmd.Stdout, cmd.Stderr = &log, &log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	client := &http.Client{Timeout: time.Second}
	for i := 0; i < 200; i++ {
		if resp, err := client.Get("http://" + host + "/v2/"); err == nil {
			resp.Body.Close()
			return host
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("docker-registry did not start on %s:\n%s", host, log.String())
	return ""
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
