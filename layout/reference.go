package layout

import (
	"fmt"
	"strings"

	"github.com/berth-oci/berth/errdefs"
)

// Transport is the prefix of a layout reference.
const Transport = "oci"

// Reference names a layout and, optionally, an image in it: oci:PATH[:NAME],
// as skopeo writes it. The path ends at the first colon after "oci:", so a
// path cannot contain one; the name may (docker.io/library/busybox:latest).
type Reference struct {
	Path string
	Name string
}

// ParseReference parses "oci:PATH[:NAME]". An empty name is allowed (the
// layout's only image, or the whole layout).
func ParseReference(s string) (Reference, error) {
	rest, ok := strings.CutPrefix(s, Transport+":")
	if !ok {
		return Reference{}, fmt.Errorf("reference %q: want oci:PATH[:NAME]: %w", s, errdefs.ErrInvalidArgument)
	}
	path, name, _ := strings.Cut(rest, ":")
	if path == "" {
		return Reference{}, fmt.Errorf("reference %q: empty layout path: %w", s, errdefs.ErrInvalidArgument)
	}
	if name != "" {
		if err := ValidateRefName(name); err != nil {
			return Reference{}, fmt.Errorf("reference %q: %w", s, err)
		}
	}
	return Reference{Path: path, Name: name}, nil
}

func (r Reference) String() string {
	if r.Name == "" {
		return Transport + ":" + r.Path
	}
	return Transport + ":" + r.Path + ":" + r.Name
}
