package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/berth-oci/berth/content"
	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/image"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Provider returns ref's repository as a content.Provider, so whatever
// reads a content store (Push to another registry, a layout writer) can
// read from the registry without a copy on disk. Manifests and indexes
// (by their descriptor's media type) come from the manifests endpoint,
// verified and kept in memory; other blobs stream from the blobs endpoint.
// A blob is read best in order: a ReadAt where the last one ended
// continues the same response, any other offset opens a Range request.
// Blob bytes are not verified on the way (a reader that stores or uploads
// them verifies the digest itself).
func (c *Client) Provider(ref Reference) content.Provider {
	return &remoteProvider{c: c, ref: ref, manifests: map[digest.Digest][]byte{}}
}

type remoteProvider struct {
	c   *Client
	ref Reference

	mu        sync.Mutex
	manifests map[digest.Digest][]byte
}

// ReaderAt opens desc. For a manifest it is fetched at once; for a blob
// the first ReadAt makes the request.
func (p *remoteProvider) ReaderAt(ctx context.Context, desc ocispec.Descriptor) (content.ReaderAt, error) {
	if err := content.ValidateDigest(desc.Digest); err != nil {
		return nil, err
	}
	if image.IsManifest(desc.MediaType) || image.IsIndex(desc.MediaType) || image.IsSchema1(desc.MediaType) {
		data, err := p.manifest(ctx, desc)
		if err != nil {
			return nil, err
		}
		return &bytesReaderAt{bytes.NewReader(data)}, nil
	}
	if desc.Size < 0 {
		info, err := p.Info(ctx, desc.Digest)
		if err != nil {
			return nil, err
		}
		desc.Size = info.Size
	}
	if desc.Size <= singlePostMax {
		// Small blobs (configs) are read whole, verified, and may be read
		// twice by an upload that falls back from a single POST.
		data, err := p.c.FetchBlobBytes(ctx, p.ref, desc, singlePostMax)
		if err != nil {
			return nil, err
		}
		return &bytesReaderAt{bytes.NewReader(data)}, nil
	}
	return &remoteBlob{ctx: ctx, c: p.c, ref: p.ref, desc: desc}, nil
}

// manifest fetches the manifest desc once per provider.
func (p *remoteProvider) manifest(ctx context.Context, desc ocispec.Descriptor) ([]byte, error) {
	p.mu.Lock()
	data, ok := p.manifests[desc.Digest]
	p.mu.Unlock()
	if ok {
		return data, nil
	}
	_, data, err := p.c.FetchManifest(ctx, p.ref.WithDigest(desc.Digest))
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.manifests[desc.Digest] = data
	p.mu.Unlock()
	return data, nil
}

// Info asks the registry for the blob's size with a HEAD request.
func (p *remoteProvider) Info(ctx context.Context, dgst digest.Digest) (content.Info, error) {
	if err := content.ValidateDigest(dgst); err != nil {
		return content.Info{}, err
	}
	desc := ocispec.Descriptor{Digest: dgst}
	resp, err := p.c.do(ctx, &request{method: http.MethodHead, ref: p.ref, path: blobPath(p.ref, desc), scopes: pullScope(p.ref), retry: true})
	if err != nil {
		return content.Info{}, err
	}
	drain(resp)
	if resp.StatusCode != http.StatusOK {
		return content.Info{}, &Error{Host: p.ref.Registry, Status: resp.StatusCode, What: blobWhat(p.ref, desc), Codes: headCodes(resp.StatusCode, "BLOB_UNKNOWN")}
	}
	if resp.ContentLength < 0 {
		return content.Info{}, fmt.Errorf("registry %s: %s: no Content-Length: %w", p.ref.Registry, blobWhat(p.ref, desc), errdefs.ErrInvalidArgument)
	}
	return content.Info{Digest: dgst, Size: resp.ContentLength, CreatedAt: time.Now()}, nil
}

// remoteBlob reads one blob over HTTP, keeping the open response while
// reads follow each other.
type remoteBlob struct {
	ctx  context.Context
	c    *Client
	ref  Reference
	desc ocispec.Descriptor

	mu   sync.Mutex
	body io.ReadCloser
	pos  int64 // offset of the next byte body yields
}

func (b *remoteBlob) Size() int64 { return b.desc.Size }

func (b *remoteBlob) ReadAt(p []byte, off int64) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if off < 0 {
		return 0, fmt.Errorf("read %s at %d: negative offset: %w", b.desc.Digest, off, errdefs.ErrInvalidArgument)
	}
	if off >= b.desc.Size {
		return 0, io.EOF
	}
	want := p[:min(int64(len(p)), b.desc.Size-off)]
	n, err := b.fill(want, off)
	if err != nil {
		return n, err
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// fill reads len(p) bytes from off, reopening the response from where it
// broke (a Range request) after a dropped connection, as FetchBlob does.
func (b *remoteBlob) fill(p []byte, off int64) (int, error) {
	done, failures := 0, 0
	for done < len(p) {
		if b.body == nil || b.pos != off+int64(done) {
			if err := b.open(off + int64(done)); err != nil {
				return done, err
			}
		}
		n, err := io.ReadFull(b.body, p[done:])
		b.pos += int64(n)
		done += n
		if err == nil {
			break
		}
		b.closeBody()
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		if n > 0 {
			failures = 0
		}
		failures++
		if failures > b.c.opts.Retries || !retryable(b.ctx, err) {
			return done, fmt.Errorf("registry %s: read %s: %w", b.ref.Registry, blobWhat(b.ref, b.desc), err)
		}
		if err := b.c.sleep(b.ctx, b.c.backoff(failures-1)); err != nil {
			return done, err
		}
	}
	return done, nil
}

func (b *remoteBlob) open(off int64) error {
	b.closeBody()
	body, err := b.c.openBlob(b.ctx, b.ref, b.desc, off)
	if err != nil {
		return err
	}
	if body == nil {
		body = io.NopCloser(bytes.NewReader(nil))
	}
	b.body, b.pos = body, off
	return nil
}

func (b *remoteBlob) closeBody() {
	if b.body != nil {
		b.body.Close()
		b.body = nil
	}
}

// Close ends the response being read, if any. Nothing was written, so
// there is no error to report.
func (b *remoteBlob) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closeBody()
	return nil
}
