package auth

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/berth-oci/berth/errdefs"
)

// Credential is what a user presents to a registry.
type Credential struct {
	Username string
	Password string
	// IdentityToken is an OAuth2 refresh token (docker's "identitytoken").
	// When set, bearer tokens are obtained with a POST grant_type=refresh_token
	// instead of basic credentials.
	IdentityToken string
}

// Empty reports whether c holds nothing to present (anonymous access).
func (c Credential) Empty() bool {
	return c.Username == "" && c.Password == "" && c.IdentityToken == ""
}

// Source finds the credential for a registry host. Get returns an empty
// Credential and a nil error when it knows none: anonymous access is not a
// failure. Implementations must be safe for concurrent use.
type Source interface {
	Get(ctx context.Context, host string) (Credential, error)
}

// Static is a Source that knows one credential per host (as given on the
// command line with --creds).
type Static map[string]Credential

// Get returns the credential for host, which may carry a repository path:
// an entry for the repository or a parent namespace wins over one for the
// host.
func (s Static) Get(_ context.Context, host string) (Credential, error) {
	norm := map[string]Credential{}
	for k, v := range s {
		norm[NormalizeHost(k)] = v
	}
	for _, cand := range candidates(NormalizeHost(host)) {
		if c, ok := norm[cand]; ok {
			return c, nil
		}
	}
	return Credential{}, nil
}

// Anonymous is a Source with no credentials.
var Anonymous Source = Static(nil)

// decodeAuth splits the base64 "user:password" of an auths entry.
func decodeAuth(s string) (string, string, error) {
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return "", "", fmt.Errorf("decode auth field: %v: %w", err, errdefs.ErrInvalidArgument)
	}
	user, pass, ok := strings.Cut(string(raw), ":")
	if !ok {
		return "", "", fmt.Errorf("auth field is not user:password: %w", errdefs.ErrInvalidArgument)
	}
	return user, pass, nil
}

func encodeAuth(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
}

// NormalizeHost turns the keys found in credential files ("https://index.docker.io/v1/",
// "registry.example.com/v2/", "docker.io") into a bare host[:port], mapping
// Docker Hub's names onto "docker.io". A key with a repository path
// ("quay.io/org/repo", as containers' auth.json allows) keeps its path.
func NormalizeHost(key string) string {
	key = strings.TrimPrefix(strings.TrimPrefix(key, "https://"), "http://")
	key = strings.TrimSuffix(key, "/")
	for _, suffix := range []string{"/v1", "/v2"} {
		key = strings.TrimSuffix(key, suffix)
	}
	host, path, _ := strings.Cut(key, "/")
	switch host {
	case "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com":
		host = "docker.io"
	}
	if path != "" {
		return host + "/" + path
	}
	return host
}

// dockerHubKey is the key docker login writes for Docker Hub, which
// credential helpers are asked with.
const dockerHubKey = "https://index.docker.io/v1/"
