package registry

import (
	"net/http"
	"sync"
	"time"

	"github.com/berth-oci/berth/internal/progress"
	"github.com/berth-oci/berth/registry/auth"
)

// Options configures a Client. The zero value is usable: credentials from
// the usual files, system TLS roots, 4 parallel transfers.
type Options struct {
	// Credentials finds what to present to each registry; nil means the
	// files podman and docker use (auth.DefaultFiles).
	Credentials auth.Source
	// CertDir, when set, replaces /etc/containers/certs.d/HOST and
	// /etc/docker/certs.d/HOST as the place for a registry's CA
	// certificates (*.crt) and client key pairs (*.cert with *.key).
	CertDir string
	// InsecureSkipVerify accepts any TLS certificate (test registries).
	InsecureSkipVerify bool
	// PlainHTTP allows falling back to plain HTTP for every registry, not
	// only for localhost, 127.0.0.0/8 and ::1.
	PlainHTTP bool
	// Progress receives an event for every blob moved; nil drops them.
	Progress progress.Reporter
	// Concurrency bounds parallel blob transfers; 0 means 4.
	Concurrency int
	// Retries is how many times a failed request (5xx, 429, dropped
	// connection) is repeated; 0 means 5, negative means none.
	Retries int
	// RetryDelay is the first backoff delay, doubled on every retry; 0
	// means 250ms.
	RetryDelay time.Duration
	// MaxRetryDelay caps the backoff and Retry-After; 0 means 30s.
	MaxRetryDelay time.Duration
	// StallTimeout is how long a response body may send nothing before
	// the connection is dropped and the transfer resumed; 0 means 60s.
	StallTimeout time.Duration
	// ChunkSize, when positive, pushes blobs larger than it in chunks of
	// that size (PATCH with Content-Range); otherwise blobs go in one PUT.
	ChunkSize int64
	// UserAgent is sent with every request; empty means "berth".
	UserAgent string
	// Warn receives each distinct Warning header a registry sends; nil
	// drops them.
	Warn func(host, warning string)
}

// Client talks to registries. It keeps one connection pool, TLS setup and
// token cache per registry host, so one Client should serve a whole
// operation (and may serve many). It is safe for concurrent use.
type Client struct {
	opts     Options
	progress progress.Reporter

	mu    sync.Mutex
	hosts map[string]*host

	warnMu sync.Mutex
	warned map[string]bool
}

// New returns a Client configured by opts.
func New(opts Options) *Client {
	if opts.Credentials == nil {
		opts.Credentials = auth.DefaultFiles()
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 4
	}
	if opts.Retries == 0 {
		opts.Retries = 5
	}
	if opts.RetryDelay <= 0 {
		opts.RetryDelay = 250 * time.Millisecond
	}
	if opts.MaxRetryDelay <= 0 {
		opts.MaxRetryDelay = 30 * time.Second
	}
	if opts.StallTimeout <= 0 {
		opts.StallTimeout = 60 * time.Second
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "berth"
	}
	return &Client{opts: opts, progress: progress.OrDiscard(opts.Progress), hosts: map[string]*host{}, warned: map[string]bool{}}
}

// host is what the Client knows of one registry.
type host struct {
	name     string // as users write it: docker.io
	endpoint string // what is dialled: registry-1.docker.io
	http     *http.Client
	auth     *auth.Authorizer

	mu     sync.Mutex
	scheme string // https or http once /v2/ answered
}

func (c *Client) host(registry string) (*host, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if h, ok := c.hosts[registry]; ok {
		return h, nil
	}
	endpoint := Endpoint(registry)
	hc, err := c.httpClient(endpoint)
	if err != nil {
		return nil, err
	}
	h := &host{
		name: registry, endpoint: endpoint, http: hc,
		auth: &auth.Authorizer{Host: registry, Source: c.opts.Credentials, Client: hc},
	}
	c.hosts[registry] = h
	return h, nil
}

func (c *Client) warn(host string, resp *http.Response) {
	if c.opts.Warn == nil {
		return
	}
	for _, w := range resp.Header.Values("Warning") {
		c.warnMu.Lock()
		seen := c.warned[host+"\x00"+w]
		c.warned[host+"\x00"+w] = true
		c.warnMu.Unlock()
		if !seen {
			c.opts.Warn(host, w)
		}
	}
}
