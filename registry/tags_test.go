package registry_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/berth-oci/berth/registry"
)

// tagServer serves /v2/x/tags/list over tags: paginated by n and last,
// announcing the next page with a Link header when link is set, or
// ignoring n and last altogether (as distribution 2.8 does) when flat.
type tagServer struct {
	tags       []string
	link, flat bool
	requests   []string
}

func (s *tagServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/v2/" {
		return
	}
	s.requests = append(s.requests, r.URL.RawQuery)
	page := s.tags
	n, _ := strconv.Atoi(r.URL.Query().Get("n"))
	if !s.flat && n > 0 {
		start := 0
		if last := r.URL.Query().Get("last"); last != "" {
			start = slices.Index(s.tags, last) + 1
		}
		page = s.tags[start:min(start+n, len(s.tags))]
		if s.link && start+n < len(s.tags) {
			q := url.Values{"n": {strconv.Itoa(n)}, "last": {page[len(page)-1]}}
			w.Header().Set("Link", `</v2/x/tags/list?`+q.Encode()+`>; rel="next"`)
		}
	}
	json.NewEncoder(w).Encode(map[string]any{"name": "x", "tags": page})
}

func TestListTagsPagination(t *testing.T) {
	all := []string{"a", "b", "c", "d", "e"}
	for name, tc := range map[string]struct {
		srv      tagServer
		pageSize int
		requests int
	}{
		"link":         {tagServer{tags: all, link: true}, 2, 3},
		"n and last":   {tagServer{tags: all}, 2, 3},
		"exact pages":  {tagServer{tags: all[:4]}, 2, 3},
		"ignores n":    {tagServer{tags: all, flat: true}, 2, 1},
		"registry's n": {tagServer{tags: all, link: true}, 0, 1},
		"one per page": {tagServer{tags: all, link: true}, 1, 5},
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(&tc.srv)
			defer srv.Close()
			ref := mustRef(t, strings.TrimPrefix(srv.URL, "http://")+"/x")
			got, err := newClient(registry.Options{}).ListTags(ctx, ref, tc.pageSize)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.srv.tags) || len(tc.srv.requests) != tc.requests {
				t.Fatalf("tags %v after %d requests %q; want %v after %d", got, len(tc.srv.requests), tc.srv.requests, tc.srv.tags, tc.requests)
			}
		})
	}
}
