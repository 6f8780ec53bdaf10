package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/berth-oci/berth/errdefs"
)

// ListTags returns the tags of ref's repository in the registry's order,
// following the pages it hands out (end-8): by the Link header, or, for a
// registry that sends none, by asking again after the last tag while pages
// come back exactly full. pageSize asks for that many tags per page; 0 lets
// the registry choose. A registry that ignores n and last (distribution
// 2.8 does) answers with every tag at once, and that ends the listing.
func (c *Client) ListTags(ctx context.Context, ref Reference, pageSize int) ([]string, error) {
	r := &request{method: http.MethodGet, ref: ref, path: "/v2/" + ref.Repository + "/tags/list", scopes: pullScope(ref), retry: true}
	if pageSize > 0 {
		r.query = url.Values{"n": {strconv.Itoa(pageSize)}}
	}
	what := "tags of repository " + ref.Repository
	var tags []string
	seen := map[string]bool{}
	for pages := 0; pages < maxPages; pages++ {
		page, resp, err := c.tagsPage(ctx, r, ref, what)
		if err != nil {
			return nil, err
		}
		tags = append(tags, page...)
		next, ok := nextLink(resp)
		switch {
		case ok && !seen[next.String()]:
			seen[next.String()] = true
			r.url, r.query = next, nil
		case !ok && r.url == nil && pageSize > 0 && len(page) == pageSize && !seen["last="+page[len(page)-1]]:
			seen["last="+page[len(page)-1]] = true
			r.query = url.Values{"n": {strconv.Itoa(pageSize)}, "last": {page[len(page)-1]}}
		default:
			return tags, nil
		}
	}
	return nil, fmt.Errorf("registry %s: %s: more than %d pages: %w", ref.Registry, what, maxPages, errdefs.ErrInvalidArgument)
}

// maxPages bounds a listing, against a registry whose pages never end.
const maxPages = 10000

func (c *Client) tagsPage(ctx context.Context, r *request, ref Reference, what string) ([]string, *http.Response, error) {
	resp, err := c.do(ctx, r)
	if err != nil {
		return nil, nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, nil, responseError(ref.Registry, resp, what)
	}
	defer drain(resp)
	var body struct {
		Tags []string `json:"tags"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(&body); err != nil {
		return nil, nil, fmt.Errorf("registry %s: %s: parse: %v: %w", ref.Registry, what, err, errdefs.ErrInvalidArgument)
	}
	return body.Tags, resp, nil
}
