package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/berth-oci/berth/content"
	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/image"
	digest "github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// ReferrersTag is the tag of the referrers tag schema for subject: the
// algorithm truncated to 32 characters, "-", the encoded part truncated to
// 64, with characters a tag cannot hold replaced by "-".
func ReferrersTag(subject digest.Digest) string {
	alg, enc, _ := strings.Cut(string(subject), ":")
	alg, enc = alg[:min(len(alg), 32)], enc[:min(len(enc), 64)]
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-' {
			return r
		}
		return '-'
	}, alg+"-"+enc)
}

// ListReferrers lists the manifests of ref's repository whose subject is
// subject, only those of artifactType when it is not empty. It uses the
// referrers API (end-12) and, on registries without it (a 404), the index
// under the referrers tag schema; no such index means no referrers.
func (c *Client) ListReferrers(ctx context.Context, ref Reference, subject digest.Digest, artifactType string) ([]ocispec.Descriptor, error) {
	if err := subject.Validate(); err != nil {
		return nil, fmt.Errorf("list referrers of %q: %v: %w", subject, err, errdefs.ErrInvalidArgument)
	}
	list, err := c.referrersAPI(ctx, ref, subject, artifactType)
	if errors.Is(err, errNoReferrersAPI) {
		list, err = c.referrersFromTag(ctx, ref, subject)
	}
	if err != nil {
		return nil, err
	}
	return filterArtifactType(list, artifactType), nil
}

var errNoReferrersAPI = errors.New("no referrers API")

// referrersAPI pages through GET /v2/<name>/referrers/<digest>.
func (c *Client) referrersAPI(ctx context.Context, ref Reference, subject digest.Digest, artifactType string) ([]ocispec.Descriptor, error) {
	r := &request{method: http.MethodGet, ref: ref, path: "/v2/" + ref.Repository + "/referrers/" + subject.String(),
		header: http.Header{"Accept": {ocispec.MediaTypeImageIndex}}, scopes: pullScope(ref), retry: true}
	if artifactType != "" {
		r.query = url.Values{"artifactType": {artifactType}}
	}
	what := fmt.Sprintf("referrers of %s in repository %s", subject, ref.Repository)
	var out []ocispec.Descriptor
	seen := map[string]bool{}
	for page := 0; ; page++ {
		resp, err := c.do(ctx, r)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode == http.StatusNotFound && page == 0 {
			drain(resp)
			return nil, errNoReferrersAPI
		}
		if resp.StatusCode != http.StatusOK {
			return nil, responseError(ref.Registry, resp, what)
		}
		var idx ocispec.Index
		err = json.NewDecoder(io.LimitReader(resp.Body, content.MaxManifestSize)).Decode(&idx)
		drain(resp)
		if err != nil {
			return nil, fmt.Errorf("registry %s: %s: parse: %v: %w", ref.Registry, what, err, errdefs.ErrInvalidArgument)
		}
		out = append(out, idx.Manifests...)
		next, ok := nextLink(resp)
		if !ok || seen[next.String()] || page >= maxPages {
			return out, nil
		}
		seen[next.String()] = true
		r.url, r.query = next, nil
	}
}

// referrersFromTag reads the index under the referrers tag schema.
func (c *Client) referrersFromTag(ctx context.Context, ref Reference, subject digest.Digest) ([]ocispec.Descriptor, error) {
	idx, _, err := c.referrersIndex(ctx, ref, subject)
	if err != nil {
		return nil, err
	}
	return idx.Manifests, nil
}

// referrersIndex fetches the index under subject's referrers tag: an empty
// one when the tag does not exist or holds no index (ok is false then).
func (c *Client) referrersIndex(ctx context.Context, ref Reference, subject digest.Digest) (*ocispec.Index, bool, error) {
	empty := &ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{}}
	desc, data, err := c.FetchManifest(ctx, ref.WithTag(ReferrersTag(subject)))
	if errdefs.IsNotFound(err) {
		return empty, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if desc.MediaType != ocispec.MediaTypeImageIndex {
		return empty, false, nil
	}
	idx, err := image.ParseIndex(data)
	if err != nil {
		return empty, false, nil
	}
	return idx, true, nil
}

func filterArtifactType(list []ocispec.Descriptor, artifactType string) []ocispec.Descriptor {
	if artifactType == "" {
		return list
	}
	return slices.DeleteFunc(slices.Clone(list), func(d ocispec.Descriptor) bool { return d.ArtifactType != artifactType })
}

// subjectDoc holds what the referrers list needs from a pushed manifest.
type subjectDoc struct {
	ArtifactType string              `json:"artifactType"`
	Config       *ocispec.Descriptor `json:"config"`
	Subject      *ocispec.Descriptor `json:"subject"`
	Annotations  map[string]string   `json:"annotations"`
}

// afterSubjectPush keeps the referrers tag schema up to date for a pushed
// manifest with a subject when the registry did not confirm, with an
// OCI-Subject header, that it tracks referrers itself.
func (c *Client) afterSubjectPush(ctx context.Context, ref Reference, desc ocispec.Descriptor, data []byte, ociSubject string) error {
	var doc subjectDoc
	if err := json.Unmarshal(data, &doc); err != nil || doc.Subject == nil {
		return nil
	}
	if ociSubject == doc.Subject.Digest.String() {
		return nil
	}
	entry := ocispec.Descriptor{MediaType: desc.MediaType, Digest: desc.Digest, Size: desc.Size, ArtifactType: doc.ArtifactType, Annotations: doc.Annotations}
	if entry.ArtifactType == "" && doc.Config != nil && image.IsManifest(desc.MediaType) {
		entry.ArtifactType = doc.Config.MediaType
	}
	return c.addReferrer(ctx, ref, doc.Subject.Digest, entry)
}

// addReferrer appends entry to the index under subject's referrers tag.
func (c *Client) addReferrer(ctx context.Context, ref Reference, subject digest.Digest, entry ocispec.Descriptor) error {
	tagRef := ref.WithTag(ReferrersTag(subject))
	idx, _, err := c.referrersIndex(ctx, ref, subject)
	if err != nil {
		return fmt.Errorf("update referrers of %s: %w", subject, err)
	}
	for _, d := range idx.Manifests {
		if d.Digest == entry.Digest {
			return nil
		}
	}
	idx.Manifests = append(idx.Manifests, entry)
	data, err := json.Marshal(idx)
	if err != nil {
		return err
	}
	desc := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageIndex, Digest: digest.FromBytes(data), Size: int64(len(data))}
	if _, err := c.PushManifest(ctx, tagRef, desc, data); err != nil {
		return fmt.Errorf("update referrers of %s under tag %s: %w", subject, tagRef.Tag, err)
	}
	return nil
}

// nextLink reads the rel="next" target of a Link header (RFC 5988),
// resolved against the request's URL.
func nextLink(resp *http.Response) (*url.URL, bool) {
	for _, v := range resp.Header.Values("Link") {
		for _, link := range strings.Split(v, ",") {
			target, params, ok := strings.Cut(strings.TrimSpace(link), ";")
			if !ok || !strings.HasPrefix(target, "<") || !strings.HasSuffix(target, ">") {
				continue
			}
			if !isNextRel(params) {
				continue
			}
			u, err := resp.Request.URL.Parse(strings.Trim(target, "<>"))
			if err == nil {
				return u, true
			}
		}
	}
	return nil, false
}

func isNextRel(params string) bool {
	for _, p := range strings.Split(params, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(k, "rel") && slices.Contains(strings.Fields(strings.Trim(v, `"`)), "next") {
			return true
		}
	}
	return false
}
