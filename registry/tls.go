package registry

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/berth-oci/berth/errdefs"
)

// certDirs are where a registry's certificates live when no cert dir is
// given: containers' and docker's certs.d, one directory per host[:port].
var certDirs = []string{"/etc/containers/certs.d", "/etc/docker/certs.d"}

// httpClient builds the HTTP client for one registry endpoint: its TLS
// configuration, a pool sized for parallel transfers, and redirects that
// never carry credentials to another host.
func (c *Client) httpClient(endpoint string) (*http.Client, error) {
	tc, err := c.tlsConfig(endpoint)
	if err != nil {
		return nil, err
	}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       tc,
		TLSHandshakeTimeout:   15 * time.Second,
		ResponseHeaderTimeout: 2 * time.Minute,
		ExpectContinueTimeout: time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   2 * c.opts.Concurrency,
		ForceAttemptHTTP2:     true,
		// Blobs are verified byte for byte: no transparent decoding.
		DisableCompression: true,
		ReadBufferSize:     256 << 10,
		WriteBufferSize:    256 << 10,
	}
	return &http.Client{Transport: tr, CheckRedirect: checkRedirect}, nil
}

// checkRedirect follows up to 10 redirects and drops the Authorization
// header when one leads to another host (blob storage, a CDN), as the
// distribution spec requires.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	if req.URL.Host != via[0].URL.Host {
		req.Header.Del("Authorization")
	}
	return nil
}

func (c *Client) tlsConfig(endpoint string) (*tls.Config, error) {
	tc := &tls.Config{InsecureSkipVerify: c.opts.InsecureSkipVerify, MinVersion: tls.VersionTLS12}
	dirs := []string{c.opts.CertDir}
	if c.opts.CertDir == "" {
		dirs = nil
		for _, d := range certDirs {
			dirs = append(dirs, filepath.Join(d, endpoint))
		}
	}
	var cas [][]byte
	for _, dir := range dirs {
		if err := loadCertDir(dir, tc, &cas); err != nil {
			return nil, err
		}
	}
	if len(cas) == 0 {
		// nil RootCAs means the system roots, loaded only when a TLS
		// connection is verified: a plain-HTTP registry never pays for it.
		return tc, nil
	}
	roots, err := x509.SystemCertPool()
	if err != nil || roots == nil {
		roots = x509.NewCertPool()
	}
	for _, pem := range cas {
		roots.AppendCertsFromPEM(pem)
	}
	tc.RootCAs = roots
	return tc, nil
}

// loadCertDir adds dir's *.crt files to cas and its *.cert/*.key pairs to
// tc's client certificates. A missing dir is fine; a *.cert without its
// *.key (or the reverse) is an error, as in containers-certs.d.
func loadCertDir(dir string, tc *tls.Config, cas *[][]byte) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read cert dir: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		path := filepath.Join(dir, name)
		switch {
		case strings.HasSuffix(name, ".crt"):
			pem, err := os.ReadFile(path)
			if err != nil {
				return fmt.Errorf("read CA certificate: %w", err)
			}
			if !x509.NewCertPool().AppendCertsFromPEM(pem) {
				return fmt.Errorf("CA certificate %s: no PEM certificate in it: %w", path, errdefs.ErrInvalidArgument)
			}
			*cas = append(*cas, pem)
		case strings.HasSuffix(name, ".cert"):
			key := strings.TrimSuffix(path, ".cert") + ".key"
			pair, err := tls.LoadX509KeyPair(path, key)
			if err != nil {
				return fmt.Errorf("client certificate %s with key %s: %v: %w", path, key, err, errdefs.ErrInvalidArgument)
			}
			tc.Certificates = append(tc.Certificates, pair)
		case strings.HasSuffix(name, ".key"):
			if _, err := os.Stat(strings.TrimSuffix(path, ".key") + ".cert"); err != nil {
				return fmt.Errorf("client key %s has no matching .cert: %w", path, errdefs.ErrInvalidArgument)
			}
		}
	}
	return nil
}
