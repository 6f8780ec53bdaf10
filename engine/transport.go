package engine

import (
	"fmt"
	"strings"

	"github.com/berth-oci/berth/errdefs"
)

// Transports of image references, as skopeo and podman spell them.
const (
	TransportRegistry      = "docker"         // docker://REFERENCE (the default)
	TransportLayout        = "oci"            // oci:PATH[:NAME]
	TransportDockerArchive = "docker-archive" // docker-archive:PATH[:REFERENCE]
)

// ImageRef is a parsed image reference with its transport.
type ImageRef struct {
	Transport string
	// Ref is the rest: a registry reference, or PATH[:NAME] for the others.
	Ref string
}

func (r ImageRef) String() string {
	if r.Transport == TransportRegistry {
		return "docker://" + r.Ref
	}
	return r.Transport + ":" + r.Ref
}

// ParseImageRef splits a transport prefix from s; without one, s names an
// image in a registry.
func ParseImageRef(s string) (ImageRef, error) {
	if rest, ok := strings.CutPrefix(s, "docker://"); ok {
		return ImageRef{Transport: TransportRegistry, Ref: rest}, nil
	}
	for _, t := range []string{TransportLayout, TransportDockerArchive} {
		if rest, ok := strings.CutPrefix(s, t+":"); ok {
			if rest == "" {
				return ImageRef{}, fmt.Errorf("image reference %q: empty path: %w", s, errdefs.ErrInvalidArgument)
			}
			return ImageRef{Transport: t, Ref: rest}, nil
		}
	}
	if s == "" {
		return ImageRef{}, fmt.Errorf("image reference: empty: %w", errdefs.ErrInvalidArgument)
	}
	if t, _, ok := strings.Cut(s, ":"); ok && !strings.ContainsAny(t, "./") && knownTransport(t) {
		return ImageRef{}, fmt.Errorf("image reference %q: transport %q is not supported (want docker://, oci: or docker-archive:): %w", s, t, errdefs.ErrNotImplemented)
	}
	return ImageRef{Transport: TransportRegistry, Ref: s}, nil
}

// knownTransport lists the transports of containers/image berth lacks, so
// that "oci-archive:x" is refused instead of read as a registry name.
func knownTransport(t string) bool {
	switch t {
	case "oci-archive", "dir", "containers-storage", "docker-daemon", "ostree", "sif", "tarball":
		return true
	}
	return false
}
