package registry

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/registry/internal/registrytest"
)

func TestCertDir(t *testing.T) {
	dir := t.TempDir()
	c := New(Options{CertDir: dir})
	tc, err := c.tlsConfig("r.example.com")
	if err != nil || tc.RootCAs != nil || len(tc.Certificates) != 0 {
		t.Fatalf("empty cert dir: %+v, %v; want the system roots, loaded lazily", tc, err)
	}
	ca := registrytest.NewCert(t, t.TempDir(), "ca")
	pem, err := os.ReadFile(ca.CertFile)
	if err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile(ca.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, data []byte) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("ca.crt", pem)
	write("client.cert", pem)
	write("client.key", key)
	if tc, err = c.tlsConfig("r.example.com"); err != nil || tc.RootCAs == nil || len(tc.Certificates) != 1 {
		t.Fatalf("cert dir with a CA and a client pair: %+v, %v", tc, err)
	}
	write("bad.crt", []byte("not a certificate"))
	if _, err := c.tlsConfig("r.example.com"); !errdefs.IsInvalidArgument(err) {
		t.Errorf("a .crt without PEM: %v", err)
	}
	os.Remove(filepath.Join(dir, "bad.crt"))
	write("lonely.key", key)
	if _, err := c.tlsConfig("r.example.com"); !errdefs.IsInvalidArgument(err) {
		t.Errorf("a .key without its .cert: %v", err)
	}
}
