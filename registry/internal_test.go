package registry

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/image"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestParseReference(t *testing.T) {
	for in, want := range map[string]string{
		"alpine":                     "docker.io/library/alpine:latest",
		"user/app:1.0":               "docker.io/user/app:1.0",
		"localhost:5000/x":           "localhost:5000/x:latest",
		"quay.io/org/app@" + dgstA:   "quay.io/org/app@" + dgstA,
		"quay.io/org/app:t@" + dgstA: "quay.io/org/app:t@" + dgstA,
		"[::1]:5000/x:y":             "[::1]:5000/x:y",
	} {
		r, err := ParseReference(in)
		if err != nil || r.String() != want {
			t.Errorf("ParseReference(%q) = %q, %v; want %q", in, r.String(), err, want)
		}
	}
	for _, bad := range []string{"", "lower/CASE", "a:b:c", "x@sha256:short", "-leading"} {
		if _, err := ParseReference(bad); !errdefs.IsInvalidArgument(err) {
			t.Errorf("ParseReference(%q): %v, want invalid argument", bad, err)
		}
	}
	r, _ := ParseReference("alpine")
	if r.Endpoint() != "registry-1.docker.io" || r.Repository != "library/alpine" {
		t.Errorf("docker hub endpoint %s, repository %s", r.Endpoint(), r.Repository)
	}
	r, _ = ParseRepository("localhost:5000/x")
	if r.Tag != "" || r.Identifier() != "" {
		t.Errorf("ParseRepository added a tag: %+v", r)
	}
}

const dgstA = "sha256:0000000000000000000000000000000000000000000000000000000000000000"

func FuzzParseReference(f *testing.F) {
	for _, s := range []string{"alpine", "localhost:5000/x:y", "a/b@" + dgstA, "[::1]/x", "x:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseReference(s)
		if err != nil {
			return
		}
		again, err := ParseReference(r.String())
		if err != nil || again != r {
			t.Fatalf("%q → %q does not parse back the same: %+v, %v", s, r.String(), again, err)
		}
	})
}

func TestIsLoopback(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost:5000": true, "127.0.0.1": true, "127.1.2.3:80": true, "[::1]:5000": true, "::1": true,
		"example.com": false, "10.0.0.1:5000": false, "localhost.example.com": false,
	} {
		if got := isLoopback(host); got != want {
			t.Errorf("isLoopback(%q) = %v", host, got)
		}
	}
}

func TestRangeHeaders(t *testing.T) {
	for in, want := range map[string]int64{"0-99": 100, "bytes=0-4": 5, "": 0, "0--1": 0} {
		if got, ok := parseRange(in); !ok || got != want {
			t.Errorf("parseRange(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	if _, ok := parseRange("0-x"); ok {
		t.Error("parseRange accepted 0-x")
	}
	if n, ok := rangeStart("bytes 100-199/200"); !ok || n != 100 {
		t.Errorf("rangeStart = %d, %v", n, ok)
	}
	if _, ok := rangeStart("items 1-2/3"); ok {
		t.Error("rangeStart accepted another unit")
	}
}

func TestRetryAfter(t *testing.T) {
	c := New(Options{RetryDelay: time.Second, MaxRetryDelay: 10 * time.Second})
	resp := func(v string) *http.Response { return &http.Response{Header: http.Header{"Retry-After": {v}}} }
	if d := c.retryAfter(resp("3"), 0); d != 3*time.Second {
		t.Errorf("seconds: %v", d)
	}
	if d := c.retryAfter(resp("3600"), 0); d != 10*time.Second {
		t.Errorf("capped: %v", d)
	}
	date := time.Now().Add(5 * time.Second).UTC().Format(http.TimeFormat)
	if d := c.retryAfter(resp(date), 0); d < 3*time.Second || d > 5*time.Second {
		t.Errorf("http date: %v", d)
	}
	if d := c.retryAfter(resp("soon"), 2); d != 4*time.Second {
		t.Errorf("unparsable falls back to backoff: %v", d)
	}
}

func TestNextLink(t *testing.T) {
	req := &http.Request{URL: &url.URL{Scheme: "https", Host: "r.example.com", Path: "/v2/x/tags/list"}}
	resp := &http.Response{Request: req, Header: http.Header{"Link": {`</v2/x/tags/list?n=2&last=b>; rel="next"`}}}
	u, ok := nextLink(resp)
	if !ok || u.String() != "https://r.example.com/v2/x/tags/list?n=2&last=b" {
		t.Fatalf("nextLink = %v, %v", u, ok)
	}
	resp.Header.Set("Link", `<https://r.example.com/other>; rel="prev"`)
	if _, ok := nextLink(resp); ok {
		t.Fatal("followed a prev link")
	}
}

func TestErrorMessages(t *testing.T) {
	ref := Reference{Registry: "r.example.com", Repository: "x", Tag: "v2"}
	e := &Error{Host: "r.example.com", Status: 404, What: ref.what(), Codes: []ErrorCode{{Code: "MANIFEST_UNKNOWN", Message: "manifest unknown"}}}
	if e.Error() != "registry r.example.com: manifest unknown: tag v2 of repository x" || !errdefs.IsNotFound(e) {
		t.Errorf("%v", e)
	}
	e = &Error{Host: "r.example.com", Status: 401}
	if e.Error() != "registry r.example.com: unauthorized: authentication required (check credentials for r.example.com)" || !errors.Is(e, ErrUnauthorized) {
		t.Errorf("%v", e)
	}
	e = &Error{Host: "h", Status: 400, Codes: []ErrorCode{{Code: "DIGEST_INVALID", Message: "provided digest did not match uploaded content"}}}
	if !errdefs.IsDigestMismatch(e) || !strings.Contains(e.Error(), "digest invalid (provided digest") {
		t.Errorf("%v", e)
	}
}

func TestDescribeManifest(t *testing.T) {
	ref := Reference{Registry: "r", Repository: "x", Tag: "t"}
	data := []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"` + dgstA + `","size":2},"layers":[]}`)
	d, err := describeManifest(ref, "", "", data)
	if err != nil || d.MediaType != ocispec.MediaTypeImageManifest || d.Digest != digest.FromBytes(data) {
		t.Fatalf("%+v, %v", d, err)
	}
	if _, err := describeManifest(ref, ocispec.MediaTypeImageIndex, "", data); !errdefs.IsInvalidArgument(err) {
		t.Errorf("Content-Type disagreeing with mediaType: %v", err)
	}
	if _, err := describeManifest(ref, "", digest.FromString("other").String(), data); !errdefs.IsDigestMismatch(err) {
		t.Errorf("Docker-Content-Digest mismatch: %v", err)
	}
	if _, err := describeManifest(ref.WithDigest(digest.FromString("other")), "", "", data); !errdefs.IsDigestMismatch(err) {
		t.Errorf("digest reference mismatch: %v", err)
	}
	schema1 := []byte(`{"schemaVersion":1,"name":"x","tag":"t","fsLayers":[],"signatures":[]}`)
	_, err = describeManifest(ref, image.MediaTypeDockerSchema1Signed, "", schema1)
	if !errors.Is(err, image.ErrSchema1) || !strings.Contains(err.Error(), "push the image again") {
		t.Errorf("schema 1: %v", err)
	}
}

func TestChallengeScopes(t *testing.T) {
	resp := &http.Response{Header: http.Header{"Www-Authenticate": {`Bearer realm="https://auth.example.com/token",service="r",scope="repository:a:pull repository:b:pull,push"`}}}
	got := withChallengeScopes([]string{"repository:a:pull"}, resp)
	if strings.Join(got, " ") != "repository:a:pull repository:b:pull,push" {
		t.Fatalf("scopes %q", got)
	}
	resp.Header.Set("Www-Authenticate", `Basic realm="r"`)
	if got := withChallengeScopes(nil, resp); len(got) != 0 {
		t.Fatalf("basic challenge gave scopes %q", got)
	}
}
