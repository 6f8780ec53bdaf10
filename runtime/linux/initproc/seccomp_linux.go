package initproc

import (
	"fmt"

	"github.com/berth-oci/berth/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// applySeccomp is the seam for package runtime/linux/seccomp, not yet in
// the tree: the parent refuses a config with linux.seccomp, and this
// refuses again rather than run with less confinement than asked.
func applySeccomp(spec *specs.Spec) error {
	if spec.Linux != nil && spec.Linux.Seccomp != nil {
		return fmt.Errorf("linux.seccomp: %w: seccomp support is not built in yet", errdefs.ErrNotImplemented)
	}
	return nil
}
