package layer

import (
	"fmt"
	"path"
	"strings"

	"github.com/berth-oci/berth/errdefs"
)

const (
	whiteoutPrefix = ".wh."
	whiteoutMeta   = ".wh..wh." // aufs bookkeeping: .wh..wh.plnk, .wh..wh.aufs
	opaqueMarker   = ".wh..wh..opq"
)

// cleanPath turns a tar entry name into a clean path relative to the root
// ("." for the root itself). An absolute name is taken relative to the
// root; a name whose ".." components climb above the root is refused
// rather than clamped, because no honest layer has one.
func cleanPath(name string) (string, error) {
	if strings.IndexByte(name, 0) >= 0 {
		return "", fmt.Errorf("path %q holds a NUL byte: %w", name, errdefs.ErrInvalidArgument)
	}
	depth := 0
	for _, c := range strings.Split(name, "/") {
		switch c {
		case "", ".":
		case "..":
			if depth--; depth < 0 {
				return "", fmt.Errorf("path %q escapes the root: %w", name, errdefs.ErrInvalidArgument)
			}
		default:
			depth++
		}
	}
	p := path.Clean("/" + name)[1:]
	if p == "" {
		return ".", nil
	}
	return p, nil
}

// whiteoutTarget returns the path that the whiteout entry p deletes, or
// ok=false when p is not a whiteout. An opaque marker returns its
// directory with opaque set.
func whiteoutTarget(p string) (target string, opaque, ok bool, err error) {
	dir, base := path.Dir(p), path.Base(p)
	if !strings.HasPrefix(base, whiteoutPrefix) {
		return "", false, false, nil
	}
	if base == opaqueMarker {
		return dir, true, true, nil
	}
	name := strings.TrimPrefix(base, whiteoutPrefix)
	switch {
	case strings.HasPrefix(base, whiteoutMeta):
		return "", false, true, nil // aufs metadata: nothing to delete
	case name == "" || name == "." || name == "..":
		return "", false, true, fmt.Errorf("whiteout %q names no entry: %w", p, errdefs.ErrInvalidArgument)
	}
	return path.Join(dir, name), false, true, nil
}
