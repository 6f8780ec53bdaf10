package cgroups

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/berth-oci/berth/errdefs"
)

// setUnified writes each linux.resources.unified key as a file of the cgroup2
// directory, in key order, after every converted value, so that a key wins
// over the v1-style field it overlaps. Unknown keys are written as they are,
// as the spec asks; a key whose file is missing is an error naming its
// controller.
func setUnified(dir string, kv map[string]string) error {
	keys := make([]string, 0, len(kv))
	for k := range kv {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		err := writeFile(dir, k, kv[k])
		if errors.Is(err, os.ErrNotExist) {
			ctrl, _, _ := strings.Cut(k, ".")
			if ctrl != "cgroup" && !v2Has(dir, ctrl) {
				return fmt.Errorf("unified %q: the %s controller is not available in %s (not enabled on the cgroup2 hierarchy, or bound to a v1 one): %w", k, ctrl, dir, errdefs.ErrUnavailable)
			}
			return fmt.Errorf("unified %q: %s has no such file: %w", k, dir, errdefs.ErrInvalidArgument)
		}
		if err != nil {
			return fmt.Errorf("unified %q: %w", k, err)
		}
	}
	return nil
}
