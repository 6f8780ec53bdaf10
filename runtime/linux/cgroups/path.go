package cgroups

import (
	"fmt"
	"path"
	"path/filepath"
	"strings"

	"github.com/berth-oci/berth/errdefs"
)

// innerPath turns Config.Path (or the container ID) into a clean cgroup path,
// absolute or relative, refusing what would escape or name a shared cgroup.
func innerPath(c Config) (string, error) {
	p := c.Path
	if p == "" {
		p = c.ContainerID
	}
	if p == "" {
		return "", fmt.Errorf("cgroup path: neither cgroupsPath nor a container ID given: %w", errdefs.ErrInvalidArgument)
	}
	if strings.ContainsRune(p, 0) {
		return "", fmt.Errorf("cgroup path %q: contains a NUL byte: %w", p, errdefs.ErrInvalidArgument)
	}
	for _, elem := range strings.Split(p, "/") {
		if elem == ".." {
			return "", fmt.Errorf("cgroup path %q: \"..\" would leave the hierarchy: %w", p, errdefs.ErrInvalidArgument)
		}
	}
	clean := path.Clean(p)
	// The root, or the caller's own cgroup, holds processes that are not the
	// container's: Destroy would kill them.
	if clean == "/" || clean == "." {
		return "", fmt.Errorf("cgroup path %q: names a cgroup shared with other processes: %w", p, errdefs.ErrInvalidArgument)
	}
	return clean, nil
}

// dirIn is where inner lives in hierarchy h: from the mount point when inner
// is absolute, below the caller's cgroup when relative. base shifts the
// caller's cgroup first (cgroup2 uses its parent, see Config.Path).
func dirIn(h hierarchy, inner string, parentOfOwn bool) string {
	if path.IsAbs(inner) {
		return filepath.Join(h.mountpoint, inner)
	}
	own := h.own
	if parentOfOwn {
		own = path.Dir(own)
	}
	return filepath.Join(h.mountpoint, visiblePart(own, h.root), inner)
}

// visiblePart is the part of cgroup path p below the mount's root: a mount
// made inside a cgroup namespace, or of a subtree, shows only that subtree.
func visiblePart(p, root string) string {
	if root == "/" || root == "" {
		return p
	}
	if rel, ok := strings.CutPrefix(p, root); ok && (rel == "" || rel[0] == '/') {
		return rel
	}
	return "/"
}
