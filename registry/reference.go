// Package registry is a client of the OCI distribution spec: it pulls
// images and artifacts from registries into a content store and pushes
// them back, with the authentication, TLS, retries, resumable transfers,
// cross-repository mounts and referrers that real registries need.
package registry

import (
	"fmt"
	"strings"

	"github.com/berth-oci/berth/errdefs"
	"github.com/distribution/reference"
	digest "github.com/opencontainers/go-digest"
)

// Reference names a repository on a registry and, optionally, one manifest
// in it by tag or digest. References are normalised as docker does:
// "alpine" is docker.io/library/alpine:latest.
type Reference struct {
	// Registry is the registry's name as users write it: "docker.io",
	// "localhost:5000", "[::1]:5000".
	Registry string
	// Repository is the path within the registry: "library/alpine".
	Repository string
	// Tag is empty when the reference names a digest only or nothing.
	Tag string
	// Digest, when set, is what is pulled; the tag is then informative.
	Digest digest.Digest
}

// DefaultTag is the tag of a reference that names none.
const DefaultTag = "latest"

// ParseReference parses and normalises s, defaulting the tag to "latest"
// when s names neither tag nor digest. Anything else than a valid
// reference is an error wrapping errdefs.ErrInvalidArgument.
func ParseReference(s string) (Reference, error) {
	r, err := ParseRepository(s)
	if err != nil {
		return Reference{}, err
	}
	if r.Tag == "" && r.Digest == "" {
		r.Tag = DefaultTag
	}
	return r, nil
}

// ParseRepository is ParseReference without the default tag: "alpine" names
// the repository docker.io/library/alpine and no manifest.
func ParseRepository(s string) (Reference, error) {
	if s == "" {
		return Reference{}, fmt.Errorf("parse reference: empty: %w", errdefs.ErrInvalidArgument)
	}
	named, err := reference.ParseNormalizedNamed(s)
	if err != nil {
		return Reference{}, fmt.Errorf("parse reference %q: %v: %w", s, err, errdefs.ErrInvalidArgument)
	}
	r := Reference{Registry: reference.Domain(named), Repository: reference.Path(named)}
	if t, ok := named.(reference.Tagged); ok {
		r.Tag = t.Tag()
	}
	if d, ok := named.(reference.Digested); ok {
		r.Digest = d.Digest()
		if err := r.Digest.Validate(); err != nil {
			return Reference{}, fmt.Errorf("parse reference %q: %v: %w", s, err, errdefs.ErrInvalidArgument)
		}
	}
	return r, nil
}

// Name is registry/repository.
func (r Reference) Name() string { return r.Registry + "/" + r.Repository }

// String is the full normalised reference: name[:tag][@digest].
func (r Reference) String() string {
	s := r.Name()
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	if r.Digest != "" {
		s += "@" + r.Digest.String()
	}
	return s
}

// Identifier is what names the manifest in the API: the digest when there
// is one, the tag otherwise.
func (r Reference) Identifier() string {
	if r.Digest != "" {
		return r.Digest.String()
	}
	return r.Tag
}

// WithDigest returns r naming the manifest d (the tag is kept for show).
func (r Reference) WithDigest(d digest.Digest) Reference {
	r.Digest = d
	return r
}

// WithTag returns r naming the tag t and no digest.
func (r Reference) WithTag(t string) Reference {
	r.Tag, r.Digest = t, ""
	return r
}

// Endpoint is the host[:port] the registry's API is served from. Docker
// Hub's name docker.io is served by registry-1.docker.io.
func (r Reference) Endpoint() string { return Endpoint(r.Registry) }

// Endpoint maps a registry name to the host[:port] serving its API.
func Endpoint(registry string) string {
	switch registry {
	case "docker.io", "index.docker.io":
		return "registry-1.docker.io"
	}
	return registry
}

// what describes the manifest r names, for error messages.
func (r Reference) what() string {
	switch {
	case r.Digest != "":
		return fmt.Sprintf("manifest %s of repository %s", r.Digest, r.Repository)
	case r.Tag != "":
		return fmt.Sprintf("tag %s of repository %s", r.Tag, r.Repository)
	}
	return "repository " + r.Repository
}

// isLoopback reports whether the registry host is this machine, where
// plain HTTP is allowed without being asked for.
func isLoopback(registry string) bool {
	host := registry
	if strings.HasPrefix(host, "[") {
		if i := strings.IndexByte(host, ']'); i > 0 {
			host = host[1:i]
		}
	} else if i := strings.LastIndexByte(host, ':'); i >= 0 && strings.Count(host, ":") == 1 {
		host = host[:i]
	}
	return host == "localhost" || host == "::1" || strings.HasPrefix(host, "127.")
}
