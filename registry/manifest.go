package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/berth-oci/berth/content"
	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/image"
	"github.com/berth-oci/berth/internal/progress"
	"github.com/berth-oci/berth/registry/auth"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// manifestAccept lists the manifest types berth reads, best first. Schema 1
// is not among them: a registry that has nothing else sends it anyway, and
// it is refused with a clear message.
var manifestAccept = strings.Join([]string{
	ocispec.MediaTypeImageIndex,
	ocispec.MediaTypeImageManifest,
	image.MediaTypeDockerManifestList,
	image.MediaTypeDockerManifest,
}, ", ")

func manifestPath(ref Reference, ident string) string {
	return "/v2/" + ref.Repository + "/manifests/" + ident
}

func pullScope(ref Reference) []string { return []string{auth.Scope(ref.Repository, "pull")} }

// Resolve returns the descriptor of the manifest ref names, asking with a
// HEAD request (no body moves). Registries that omit the digest from HEAD
// answers are asked again with a GET.
func (c *Client) Resolve(ctx context.Context, ref Reference) (ocispec.Descriptor, error) {
	if ref.Identifier() == "" {
		return ocispec.Descriptor{}, fmt.Errorf("resolve %s: the reference names no tag or digest: %w", ref, errdefs.ErrInvalidArgument)
	}
	resp, err := c.do(ctx, &request{
		method: http.MethodHead, ref: ref, path: manifestPath(ref, ref.Identifier()),
		header: http.Header{"Accept": {manifestAccept}}, scopes: pullScope(ref), retry: true,
	})
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	drain(resp)
	if resp.StatusCode != http.StatusOK {
		// HEAD answers carry no body; the status says enough.
		return ocispec.Descriptor{}, &Error{Host: ref.Registry, Status: resp.StatusCode, What: ref.what(), Codes: headCodes(resp.StatusCode, "MANIFEST_UNKNOWN")}
	}
	dgst, err := digest.Parse(resp.Header.Get("Docker-Content-Digest"))
	if err != nil || (ref.Digest != "" && dgst != ref.Digest) || resp.ContentLength < 0 {
		desc, _, err := c.FetchManifest(ctx, ref)
		return desc, err
	}
	return ocispec.Descriptor{MediaType: contentType(resp), Digest: dgst, Size: resp.ContentLength}, nil
}

// headCodes gives a bodiless 404 the code a GET would have carried.
func headCodes(status int, code string) []ErrorCode {
	if status == http.StatusNotFound {
		return []ErrorCode{{Code: code}}
	}
	return nil
}

func contentType(resp *http.Response) string {
	mt, _, _ := strings.Cut(resp.Header.Get("Content-Type"), ";")
	return strings.TrimSpace(mt)
}

// FetchManifest downloads the manifest or index ref names and verifies it:
// against ref's digest when it has one, else against the
// Docker-Content-Digest header when the registry sent one. Its media type
// is the Content-Type, which must agree with the document's own mediaType
// field. Docker schema 1 is refused (image.ErrSchema1).
func (c *Client) FetchManifest(ctx context.Context, ref Reference) (ocispec.Descriptor, []byte, error) {
	if ref.Identifier() == "" {
		return ocispec.Descriptor{}, nil, fmt.Errorf("fetch manifest %s: the reference names no tag or digest: %w", ref, errdefs.ErrInvalidArgument)
	}
	resp, data, err := c.getSmall(ctx, &request{
		method: http.MethodGet, ref: ref, path: manifestPath(ref, ref.Identifier()),
		header: http.Header{"Accept": {manifestAccept}}, scopes: pullScope(ref), retry: true,
	}, ref.what(), content.MaxManifestSize)
	if err != nil {
		return ocispec.Descriptor{}, nil, err
	}
	desc, err := describeManifest(ref, contentType(resp), resp.Header.Get("Docker-Content-Digest"), data)
	if err != nil {
		return ocispec.Descriptor{}, nil, err
	}
	return desc, data, nil
}

// getSmall makes a GET whose answer is read whole (a manifest, a config):
// a 200 body of at most limit bytes. A body cut short by a dropped
// connection is asked for again, as a failed request would be.
func (c *Client) getSmall(ctx context.Context, r *request, what string, limit int64) (*http.Response, []byte, error) {
	for attempt := 0; ; attempt++ {
		resp, err := c.do(ctx, r)
		if err != nil {
			return nil, nil, err
		}
		if resp.StatusCode != http.StatusOK {
			return nil, nil, responseError(r.ref.Registry, resp, what)
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
		resp.Body.Close()
		if err == nil && int64(len(data)) > limit {
			return nil, nil, fmt.Errorf("registry %s: %s is larger than %d bytes: %w", r.ref.Registry, what, limit, errdefs.ErrInvalidArgument)
		}
		if err == nil {
			return resp, data, nil
		}
		if attempt >= c.opts.Retries || !retryable(ctx, err) {
			return nil, nil, fmt.Errorf("registry %s: read %s: %w", r.ref.Registry, what, errors.Join(errdefs.ErrUnavailable, err))
		}
		if err := c.sleep(ctx, c.backoff(attempt)); err != nil {
			return nil, nil, err
		}
	}
}

// describeManifest verifies a downloaded manifest and builds its descriptor.
func describeManifest(ref Reference, ctype, header string, data []byte) (ocispec.Descriptor, error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("registry %s: %s: "+format, append([]any{ref.Registry, ref.what()}, args...)...)
	}
	declared, err := image.Detect(data)
	if errors.Is(err, image.ErrSchema1) || image.IsSchema1(ctype) {
		return ocispec.Descriptor{}, fail("%w; push the image again with a current docker, podman or skopeo (schema 2 or OCI)", image.ErrSchema1)
	}
	if err != nil {
		return ocispec.Descriptor{}, fail("%w", err)
	}
	mt := ctype
	switch {
	case mt == "" || mt == "application/json" || mt == "application/octet-stream" || mt == "text/plain":
		mt = declared
	case hasMediaType(data) && declared != mt:
		return ocispec.Descriptor{}, fail("Content-Type %s disagrees with the document's mediaType %s: %w", mt, declared, errdefs.ErrInvalidArgument)
	}
	want := ref.Digest
	if want == "" && header != "" {
		if want, err = digest.Parse(header); err != nil {
			return ocispec.Descriptor{}, fail("bad Docker-Content-Digest %q: %w", header, errdefs.ErrInvalidArgument)
		}
	}
	if want == "" {
		want = digest.FromBytes(data)
	}
	if !want.Algorithm().Available() {
		return ocispec.Descriptor{}, fail("digest algorithm %s is not supported: %w", want.Algorithm(), errdefs.ErrNotImplemented)
	}
	if got := want.Algorithm().FromBytes(data); got != want {
		return ocispec.Descriptor{}, fail("content hashes to %s, expected %s: %w", got, want, errdefs.ErrDigestMismatch)
	}
	return ocispec.Descriptor{MediaType: mt, Digest: want, Size: int64(len(data))}, nil
}

func hasMediaType(data []byte) bool {
	var doc struct {
		MediaType string `json:"mediaType"`
	}
	return json.Unmarshal(data, &doc) == nil && doc.MediaType != ""
}

// PushManifest uploads data as the manifest desc, under ref's tag, or
// under its digest when ref has no tag. It returns the response's
// OCI-Subject header: the registry processed the manifest's subject (it
// has the referrers API) when that equals the subject's digest.
func (c *Client) PushManifest(ctx context.Context, ref Reference, desc ocispec.Descriptor, data []byte) (string, error) {
	if err := content.Verify(desc, data); err != nil {
		return "", fmt.Errorf("push manifest %s to %s: %w", desc.Digest, ref.Name(), err)
	}
	ident := ref.Tag
	if ident == "" {
		ident = desc.Digest.String()
	}
	target := ref.WithDigest(desc.Digest)
	resp, err := c.do(ctx, &request{
		method: http.MethodPut, ref: ref, path: manifestPath(ref, ident),
		header: http.Header{"Content-Type": {desc.MediaType}},
		body:   func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil },
		length: int64(len(data)), scopes: pushScope(ref), retry: true,
	})
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		return "", responseError(ref.Registry, resp, target.what())
	}
	drain(resp)
	if h := resp.Header.Get("Docker-Content-Digest"); h != "" && h != desc.Digest.String() {
		return "", fmt.Errorf("registry %s: stored %s as %s: %w", ref.Registry, target.what(), h, errdefs.ErrDigestMismatch)
	}
	c.report(progress.Done, desc, "manifest", desc.Size)
	return resp.Header.Get("OCI-Subject"), nil
}

func pushScope(ref Reference) []string {
	return []string{auth.Scope(ref.Repository, "pull", "push")}
}

// sizeHeader parses a Content-Length style header, -1 when absent or bad.
func sizeHeader(v string) int64 {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return -1
	}
	return n
}
