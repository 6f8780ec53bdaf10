// Package registrytest runs the real distribution registry (Debian's
// docker-registry) for the registry package's tests, with the token server,
// fault-injecting proxy and random images those tests need.
package registrytest

import (
	"bytes"
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

	"crypto/tls"

	"golang.org/x/crypto/bcrypt"
)

// Options chooses how the registry authenticates and serves.
type Options struct {
	// Binary is the docker-registry program (the test finds it with
	// fixture.RequireTool, which this package may not import).
	Binary string
	// Htpasswd enables basic authentication with these users and passwords.
	Htpasswd map[string]string
	// Token enables token authentication against this server.
	Token *TokenServer
	// TLS serves HTTPS with a self-signed certificate; Registry.CertDir
	// then holds its CA as ca.crt, as --cert-dir expects.
	TLS bool
}

// Registry is a running docker-registry.
type Registry struct {
	// Host is host:port to reach it at (127.0.0.1).
	Host string
	// Dir is the registry's storage directory.
	Dir string
	// CertDir holds ca.crt when TLS is on.
	CertDir string
	cmd     *exec.Cmd
	log     *bytes.Buffer
}

// Start runs docker-registry on a free loopback port with storage in a
// temporary directory and stops it when the test ends.
func Start(t testing.TB, opts Options) *Registry {
	t.Helper()
	bin := opts.Binary
	dir := t.TempDir()
	r := &Registry{Dir: filepath.Join(dir, "data"), log: &bytes.Buffer{}}
	r.Host = freeAddr(t)
	cfg := fmt.Sprintf(`version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: %s
  secret: berth-test-secret
`, r.Dir, r.Host)
	if opts.TLS {
		r.CertDir = filepath.Join(dir, "certs")
		must(t, os.MkdirAll(r.CertDir, 0o755))
		c := NewCert(t, dir, "registry")
		cfg += fmt.Sprintf("  tls:\n    certificate: %s\n    key: %s\n", c.CertFile, c.KeyFile)
		data, err := os.ReadFile(c.CertFile)
		must(t, err)
		must(t, os.WriteFile(filepath.Join(r.CertDir, "ca.crt"), data, 0o644))
	}
	cfg += authConfig(t, dir, opts)
	path := filepath.Join(dir, "config.yml")
	must(t, os.WriteFile(path, []byte(cfg), 0o644))
	r.cmd = exec.Command(bin, "serve", path)
	r.cmd.Stdout, r.cmd.Stderr = r.log, r.log
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	must(t, r.cmd.Start())
	t.Cleanup(r.stop)
	r.wait(t, opts.TLS)
	return r
}

func authConfig(t testing.TB, dir string, opts Options) string {
	switch {
	case opts.Htpasswd != nil:
		var lines []string
		for user, pass := range opts.Htpasswd {
			hash, err := bcrypt.GenerateFromPassword([]byte(pass), bcrypt.MinCost)
			must(t, err)
			lines = append(lines, user+":"+string(hash))
		}
		path := filepath.Join(dir, "htpasswd")
		must(t, os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600))
		return fmt.Sprintf("auth:\n  htpasswd:\n    realm: berth-test\n    path: %s\n", path)
	case opts.Token != nil:
		return fmt.Sprintf("auth:\n  token:\n    realm: %s\n    service: %s\n    issuer: %s\n    rootcertbundle: %s\n",
			opts.Token.Realm(), opts.Token.Service, opts.Token.Issuer, opts.Token.cert.CertFile)
	}
	return ""
}

// wait polls /v2/ until the registry answers.
func (r *Registry) wait(t testing.TB, useTLS bool) {
	t.Helper()
	scheme := "http"
	client := &http.Client{Timeout: time.Second}
	if useTLS {
		scheme = "https"
		client.Transport = &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	}
	for i := 0; i < 200; i++ {
		resp, err := client.Get(scheme + "://" + r.Host + "/v2/")
		if err == nil {
			resp.Body.Close()
			return
		}
		if r.cmd.ProcessState != nil {
			break
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("docker-registry did not start on %s:\n%s", r.Host, r.log.String())
}

func (r *Registry) stop() {
	if r.cmd.Process != nil {
		r.cmd.Process.Kill()
		r.cmd.Wait()
	}
}

// freeAddr finds a free loopback port. Another process could take it
// before the registry binds it; on a test machine that does not happen.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	addr := l.Addr().String()
	must(t, l.Close())
	return addr
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
