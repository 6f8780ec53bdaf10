package registry_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-oci/berth/content"
	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/registry"
	"github.com/berth-oci/berth/registry/auth"
	"github.com/berth-oci/berth/registry/internal/registrytest"
)

// faultSetup pushes a one-layer image of about 1 MB straight to a registry
// and returns a proxy in front of it through which the test pulls.
func faultSetup(t *testing.T) (*registrytest.Proxy, registrytest.Image, registry.Reference) {
	t.Helper()
	reg := startRegistry(t, registrytest.Options{})
	src := newStore(t)
	img := registrytest.NewImage(t, src, 1, 1<<20, linuxAMD64)
	if err := newClient(registry.Options{}).Push(ctx, mustRef(t, reg.Host+"/faults/app:v1"), src, img.Manifest, registry.PushOptions{}); err != nil {
		t.Fatal(err)
	}
	p := registrytest.NewProxy(t, reg.Host)
	return p, img, mustRef(t, p.Host+"/faults/app:v1")
}

func layerGET(img registrytest.Image) func(*http.Request) bool {
	return registrytest.PathContains(http.MethodGet, "/blobs/"+img.Layers[0].Digest.String())
}

func requestsFor(p *registrytest.Proxy, method, path string) []registrytest.Logged {
	var out []registrytest.Logged
	for _, l := range p.Log() {
		if l.Method == method && strings.Contains(l.Path, path) {
			out = append(out, l)
		}
	}
	return out
}

func TestPullResumesDroppedConnection(t *testing.T) {
	p, img, ref := faultSetup(t)
	p.DropAfter(layerGET(img), 2, 300<<10)
	dst := newStore(t)
	if _, err := newClient(registry.Options{}).Pull(ctx, ref, dst, registry.PullOptions{}); err != nil {
		t.Fatal(err)
	}
	if !verifyStore(t, dst)[img.Layers[0].Digest] {
		t.Fatal("layer not stored")
	}
	gets := requestsFor(p, http.MethodGet, img.Layers[0].Digest.String())
	if len(gets) != 3 || gets[0].Range != "" || gets[1].Range != "bytes=307200-" || gets[2].Range != "bytes=614400-" {
		t.Fatalf("layer requests %+v: want a full GET then two resumed at 300 KiB steps", gets)
	}
}

// A registry that ignores Range answers the resumed request with the
// whole blob: the bytes the store holds already are skipped.
func TestPullResumesWithoutRangeSupport(t *testing.T) {
	p, img, ref := faultSetup(t)
	p.DropAfter(layerGET(img), 1, 300<<10)
	p.IgnoreRange(layerGET(img), -1)
	dst := newStore(t)
	if _, err := newClient(registry.Options{}).Pull(ctx, ref, dst, registry.PullOptions{}); err != nil {
		t.Fatal(err)
	}
	if !verifyStore(t, dst)[img.Layers[0].Digest] {
		t.Fatal("layer not stored")
	}
	gets := requestsFor(p, http.MethodGet, img.Layers[0].Digest.String())
	if len(gets) != 2 || gets[1].Fault != "ignore-range" || gets[1].Range != "bytes=307200-" {
		t.Fatalf("layer requests %+v: want a dropped GET, then a Range request answered whole", gets)
	}
}

// A connection that stops sending halfway through a layer is dropped
// after StallTimeout and the download resumed where it stopped.
func TestPullResumesStalledConnection(t *testing.T) {
	p, img, ref := faultSetup(t)
	p.Stall(layerGET(img), 1, 400<<10)
	dst := newStore(t)
	if _, err := newClient(registry.Options{StallTimeout: 200 * time.Millisecond}).Pull(ctx, ref, dst, registry.PullOptions{}); err != nil {
		t.Fatal(err)
	}
	if !verifyStore(t, dst)[img.Layers[0].Digest] {
		t.Fatal("layer not stored")
	}
	gets := requestsFor(p, http.MethodGet, img.Layers[0].Digest.String())
	if len(gets) != 2 || gets[0].Fault != "stall" || gets[1].Range != "bytes=409600-" {
		t.Fatalf("layer requests %+v: want a stalled GET, then one resumed at 400 KiB", gets)
	}
}

func TestPullRetriesServerErrors(t *testing.T) {
	p, img, ref := faultSetup(t)
	p.Status(layerGET(img), 2, http.StatusInternalServerError, nil)
	p.Status(registrytest.PathContains(http.MethodGet, "/manifests/"), 1, http.StatusServiceUnavailable, nil)
	if _, err := newClient(registry.Options{}).Pull(ctx, ref, newStore(t), registry.PullOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := len(requestsFor(p, http.MethodGet, img.Layers[0].Digest.String())); n != 3 {
		t.Fatalf("%d layer requests, want 2 failures and a success", n)
	}

	// A registry that keeps failing gives up with the status, after the
	// configured number of retries.
	p.Status(layerGET(img), -1, http.StatusBadGateway, nil)
	_, err := newClient(registry.Options{Retries: 2}).Pull(ctx, ref, newStore(t), registry.PullOptions{})
	if !errdefs.IsUnavailable(err) || !strings.Contains(err.Error(), "502 bad gateway") {
		t.Fatalf("pull from a broken registry: %v", err)
	}
}

func TestPullHonoursRetryAfter(t *testing.T) {
	p, img, ref := faultSetup(t)
	p.Status(layerGET(img), 1, http.StatusTooManyRequests, http.Header{"Retry-After": {"1"}})
	start := time.Now()
	if _, err := newClient(registry.Options{}).Pull(ctx, ref, newStore(t), registry.PullOptions{}); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < 900*time.Millisecond {
		t.Fatalf("retried after %v, the registry asked for 1s", waited)
	}
}

func TestPullRefusesWrongBytes(t *testing.T) {
	p, img, ref := faultSetup(t)
	p.Corrupt(layerGET(img), -1)
	dst := newStore(t)
	_, err := newClient(registry.Options{}).Pull(ctx, ref, dst, registry.PullOptions{})
	if !errdefs.IsDigestMismatch(err) {
		t.Fatalf("pull of corrupted bytes: %v", err)
	}
	want := "registry " + p.Host + ": blob " + img.Layers[0].Digest.String() + " of repository faults/app"
	if !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("error %q does not start with %q", err, want)
	}
	found := verifyStore(t, dst)
	if found[img.Layers[0].Digest] || found[img.Manifest.Digest] {
		t.Fatalf("the store holds the bad layer or its manifest: %v", found)
	}
}

func TestPullUnknownTag(t *testing.T) {
	_, _, ref := faultSetup(t)
	_, err := newClient(registry.Options{}).Pull(ctx, ref.WithTag("v2"), newStore(t), registry.PullOptions{})
	want := "registry " + ref.Registry + ": manifest unknown: tag v2 of repository faults/app"
	if err == nil || err.Error() != want || !errdefs.IsNotFound(err) || !registry.HasCode(err, "MANIFEST_UNKNOWN") {
		t.Fatalf("got %v, want %q", err, want)
	}
	_, err = newClient(registry.Options{}).Pull(ctx, mustRef(t, ref.Registry+"/no/such:v1"), newStore(t), registry.PullOptions{})
	if !errdefs.IsNotFound(err) || !strings.Contains(err.Error(), "repository no/such") {
		t.Fatalf("unknown repository: %v", err)
	}
}

func TestPushChunkedResumes(t *testing.T) {
	reg := startRegistry(t, registrytest.Options{})
	p := registrytest.NewProxy(t, reg.Host)
	src := newStore(t)
	img := registrytest.NewImage(t, src, 1, 300<<10, linuxAMD64)
	var mu sync.Mutex
	patches := 0
	nthPatch := func(n int) func(*http.Request) bool {
		return func(r *http.Request) bool {
			if r.Method != http.MethodPatch {
				return false
			}
			mu.Lock()
			defer mu.Unlock()
			return patches == n
		}
	}
	count := func(r *http.Request) bool {
		if r.Method == http.MethodPatch {
			mu.Lock()
			patches++
			mu.Unlock()
		}
		return false
	}
	p.Status(count, -1, 0, nil)
	// The second chunk fails before reaching the registry: the client asks
	// the session where it stands and sends the chunk again.
	p.Status(nthPatch(2), 1, http.StatusServiceUnavailable, nil)
	// A later chunk reaches the registry but its answer is lost: the
	// session's state token is stale then, and the upload starts afresh.
	p.DropResponse(nthPatch(4), 1)
	ref := mustRef(t, p.Host+"/chunks/app:v1")
	c := newClient(registry.Options{ChunkSize: 64 << 10})
	if err := c.Push(ctx, ref, src, img.Manifest, registry.PushOptions{}); err != nil {
		t.Fatal(err)
	}
	var statusAt = -1
	var posts int
	for i, l := range p.Log() {
		if l.Method == http.MethodGet && strings.Contains(l.Path, "/blobs/uploads/") && statusAt < 0 {
			statusAt = i
		}
		if l.Method == http.MethodPost && strings.Contains(l.Path, "/blobs/uploads/") {
			posts++
		}
	}
	if statusAt < 0 {
		t.Error("the client did not ask the upload's status after the failed chunk")
	}
	if posts < 3 { // config, layer, layer again
		t.Errorf("%d upload sessions opened; the lost session was not restarted", posts)
	}
	dst := newStore(t)
	if _, err := c.Pull(ctx, mustRef(t, reg.Host+"/chunks/app:v1"), dst, registry.PullOptions{}); err != nil {
		t.Fatal(err)
	}
	if !verifyStore(t, dst)[img.Layers[0].Digest] {
		t.Fatal("chunked layer did not arrive")
	}
}

// A blob redirected to another host (storage, a CDN) is fetched from there
// without the registry's credentials.
func TestRedirectDropsAuthorization(t *testing.T) {
	reg := startRegistry(t, registrytest.Options{Htpasswd: map[string]string{"u": "p"}})
	src := newStore(t)
	img := registrytest.NewImage(t, src, 1, 64<<10, linuxAMD64)
	creds := auth.Static{}
	c := newClient(registry.Options{Credentials: creds})
	creds[reg.Host] = auth.Credential{Username: "u", Password: "p"}
	if err := c.Push(ctx, mustRef(t, reg.Host+"/redir/app:v1"), src, img.Manifest, registry.PushOptions{}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var sawAuth []string
	storage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		sawAuth = append(sawAuth, r.Header.Get("Authorization"))
		mu.Unlock()
		d := img.Layers[0]
		data, err := content.ReadBlobLimit(ctx, src, d, 1<<30)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Write(data)
	}))
	defer storage.Close()
	p := registrytest.NewProxy(t, reg.Host)
	p.Redirect(layerGET(img), -1, strings.Replace(storage.URL, "127.0.0.1", "localhost", 1))
	creds[p.Host] = creds[reg.Host]
	dst := newStore(t)
	if _, err := c.Pull(ctx, mustRef(t, p.Host+"/redir/app:v1"), dst, registry.PullOptions{}); err != nil {
		t.Fatal(err)
	}
	if len(sawAuth) == 0 || sawAuth[0] != "" {
		t.Fatalf("storage saw Authorization %q", sawAuth)
	}
	if !verifyStore(t, dst)[img.Layers[0].Digest] {
		t.Fatal("redirected layer not stored")
	}
}
