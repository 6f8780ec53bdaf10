package layout

import (
	"fmt"
	"regexp"

	"github.com/berth-oci/berth/errdefs"
)

// refNameRE is the grammar of org.opencontainers.image.ref.name in
// annotations.md: components of alphanumerics joined by one of -._:@+ or
// by "--", separated by "/".
var refNameRE = regexp.MustCompile(`^[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*(?:/[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*)*$`)

// ValidateRefName checks name against the ref.name grammar.
func ValidateRefName(name string) error {
	if !refNameRE.MatchString(name) {
		return fmt.Errorf("image name %q: not a valid org.opencontainers.image.ref.name (letters, digits, and -._:@+ between them, / between components): %w", name, errdefs.ErrInvalidArgument)
	}
	return nil
}
