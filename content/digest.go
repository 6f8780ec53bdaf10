package content

import (
	// The hashes behind the algorithms the store accepts; go-digest looks
	// them up through package crypto and panics when they are not linked.
	_ "crypto/sha256"
	_ "crypto/sha512"
	"fmt"
	"strings"

	"github.com/berth-oci/berth/errdefs"
	digest "github.com/opencontainers/go-digest"
)

// ValidateDigest checks that d is a digest a store can verify and safely
// name a file after: "sha256:" followed by 64, or "sha512:" followed by 128,
// lowercase hexadecimal digits, as the image spec requires of those
// algorithms. Anything else (another algorithm, uppercase, a wrong length, a
// path separator) is an error wrapping errdefs.ErrInvalidArgument. Because
// the accepted alphabet is [0-9a-f] after a fixed prefix, a validated digest
// can never become a path traversal.
func ValidateDigest(d digest.Digest) error {
	alg, enc, ok := strings.Cut(string(d), ":")
	if !ok {
		return fmt.Errorf("digest %q: missing algorithm prefix: %w", d, errdefs.ErrInvalidArgument)
	}
	a := digest.Algorithm(alg)
	if a != digest.SHA256 && a != digest.SHA512 {
		return fmt.Errorf("digest %q: unsupported algorithm %q (want sha256 or sha512): %w", d, alg, errdefs.ErrInvalidArgument)
	}
	if want := a.Size() * 2; len(enc) != want {
		return fmt.Errorf("digest %q: %s needs %d hex digits, got %d: %w", d, alg, want, len(enc), errdefs.ErrInvalidArgument)
	}
	for i := 0; i < len(enc); i++ {
		if c := enc[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return fmt.Errorf("digest %q: encoded part is not lowercase hex: %w", d, errdefs.ErrInvalidArgument)
		}
	}
	return nil
}
