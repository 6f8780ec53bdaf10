package registrytest

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// Proxy is a reverse proxy in front of a registry that injects faults into
// the requests a test chooses: error statuses, connections dropped in the
// middle of a body, corrupted bytes.
type Proxy struct {
	// Host is host:port of the proxy (127.0.0.1, so clients speak HTTP).
	Host     string
	upstream *url.URL
	rp       *httputil.ReverseProxy

	mu     sync.Mutex
	faults []*fault
	log    []Logged
}

// Logged records one request through the proxy.
type Logged struct {
	Method string
	Path   string
	Range  string
	// Fault names the fault applied, empty when passed through.
	Fault string
}

type fault struct {
	name  string
	match func(*http.Request) bool
	left  int // requests it still affects; <0 means all
	do    func(w http.ResponseWriter, r *http.Request)
}

// NewProxy starts a proxy to the registry at upstream (host:port, plain
// HTTP); it stops with the test.
func NewProxy(t testing.TB, upstream string) *Proxy {
	t.Helper()
	u := &url.URL{Scheme: "http", Host: upstream}
	p := &Proxy{upstream: u, rp: httputil.NewSingleHostReverseProxy(u)}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	p.Host = strings.TrimPrefix(srv.URL, "http://")
	return p
}

// BlobGET matches downloads of blobs.
func BlobGET(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/sha256:")
}

// PathContains matches requests of method whose path contains s.
func PathContains(method, s string) func(*http.Request) bool {
	return func(r *http.Request) bool { return r.Method == method && strings.Contains(r.URL.Path, s) }
}

// Log returns the requests seen so far.
func (p *Proxy) Log() []Logged {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Logged(nil), p.log...)
}

// Clear removes every fault.
func (p *Proxy) Clear() {
	p.mu.Lock()
	p.faults = nil
	p.mu.Unlock()
}

func (p *Proxy) add(f *fault) {
	p.mu.Lock()
	p.faults = append(p.faults, f)
	p.mu.Unlock()
}

// Status answers the next times matching requests (all when times < 0)
// with status and header, without asking the registry.
func (p *Proxy) Status(match func(*http.Request) bool, times, status int, header http.Header) {
	p.add(&fault{name: "status", match: match, left: times, do: func(w http.ResponseWriter, r *http.Request) {
		for k, v := range header {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
	}})
}

// DropAfter forwards the next times matching requests but closes the
// connection after n bytes of the registry's response body.
func (p *Proxy) DropAfter(match func(*http.Request) bool, times int, n int64) {
	p.add(&fault{name: "drop", match: match, left: times, do: func(w http.ResponseWriter, r *http.Request) {
		resp, err := p.forward(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		copyHeader(w.Header(), resp.Header)
		w.WriteHeader(resp.StatusCode)
		io.CopyN(w, resp.Body, n)
		w.(http.Flusher).Flush()
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			conn.Close()
		}
	}})
}

// Corrupt forwards the next times matching requests but flips one byte in
// the middle of the registry's response body.
func (p *Proxy) Corrupt(match func(*http.Request) bool, times int) {
	p.add(&fault{name: "corrupt", match: match, left: times, do: func(w http.ResponseWriter, r *http.Request) {
		resp, err := p.forward(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if len(body) > 0 {
			body[len(body)/2] ^= 0xff
		}
		copyHeader(w.Header(), resp.Header)
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, bytes.NewReader(body))
	}})
}

// forward sends r to the registry as it came.
func (p *Proxy) forward(r *http.Request) (*http.Response, error) {
	out := r.Clone(r.Context())
	out.RequestURI = ""
	out.URL.Scheme, out.URL.Host = p.upstream.Scheme, p.upstream.Host
	return http.DefaultTransport.RoundTrip(out)
}

func copyHeader(dst, src http.Header) {
	for k, v := range src {
		dst[k] = v
	}
}

// ServeHTTP applies the first matching fault, or passes the request on.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	var f *fault
	for _, cand := range p.faults {
		if cand.left != 0 && cand.match(r) {
			f = cand
			if f.left > 0 {
				f.left--
			}
			break
		}
	}
	entry := Logged{Method: r.Method, Path: r.URL.Path, Range: r.Header.Get("Range")}
	if f != nil {
		entry.Fault = f.name
	}
	p.log = append(p.log, entry)
	p.mu.Unlock()
	if f != nil {
		f.do(w, r)
		return
	}
	p.rp.ServeHTTP(w, r)
}

// SetHeader adds header key: value to the registry's answers to matching
// requests (to fake a capability such as OCI-Subject).
func (p *Proxy) SetHeader(match func(*http.Request) bool, key, value string) {
	p.add(&fault{name: "header", match: match, left: -1, do: func(w http.ResponseWriter, r *http.Request) {
		resp, err := p.forward(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		copyHeader(w.Header(), resp.Header)
		w.Header().Set(key, value)
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	}})
}

// DropResponse forwards the next times matching requests to the registry
// but closes the connection without answering: the registry acted, the
// client never hears of it.
func (p *Proxy) DropResponse(match func(*http.Request) bool, times int) {
	p.add(&fault{name: "drop-response", match: match, left: times, do: func(w http.ResponseWriter, r *http.Request) {
		if resp, err := p.forward(r); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			conn.Close()
		}
	}})
}

// Redirect answers the next times matching requests with 307 to target
// plus the request's path.
func (p *Proxy) Redirect(match func(*http.Request) bool, times int, target string) {
	p.add(&fault{name: "redirect", match: match, left: times, do: func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target+r.URL.Path, http.StatusTemporaryRedirect)
	}})
}

// Stall forwards the next times matching requests but, after n bytes of
// the registry's response body, sends nothing more until the client
// gives up (or 30 seconds pass).
func (p *Proxy) Stall(match func(*http.Request) bool, times int, n int64) {
	p.add(&fault{name: "stall", match: match, left: times, do: func(w http.ResponseWriter, r *http.Request) {
		resp, err := p.forward(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		copyHeader(w.Header(), resp.Header)
		w.WriteHeader(resp.StatusCode)
		io.CopyN(w, resp.Body, n)
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(30 * time.Second):
		}
	}})
}

// IgnoreRange forwards the next times matching requests without their
// Range header, as a registry that does not serve ranges would answer:
// 200 and the whole body.
func (p *Proxy) IgnoreRange(match func(*http.Request) bool, times int) {
	p.add(&fault{name: "ignore-range", match: match, left: times, do: func(w http.ResponseWriter, r *http.Request) {
		r.Header.Del("Range")
		resp, err := p.forward(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		copyHeader(w.Header(), resp.Header)
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	}})
}
