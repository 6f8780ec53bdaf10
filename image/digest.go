package image

import (
	_ "crypto/sha256" // registers the hashes go-digest computes
	_ "crypto/sha512"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/berth-oci/berth/errdefs"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// The digest grammar of descriptor.md, compiled on first use rather than
// at the start of every berth process.
var (
	algorithmGrammar = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^[a-z0-9]+(?:[+._-][a-z0-9]+)*$`)
	})
	encodedGrammar = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^[a-zA-Z0-9=_-]+$`)
	})
)

// registered maps the algorithms descriptor.md registers to the length of
// their encoded part, which must be lowercase hex.
var registered = map[string]int{"sha256": 64, "sha512": 128, "blake3": 64}

// ValidateDigest checks d against the digest grammar of descriptor.md and,
// for the registered algorithms (sha256, sha512, blake3), the encoding: lowercase
// hex of the right length. Unregistered algorithms that fit the grammar pass,
// as the spec asks; VerifyBlob then says whether berth can compute them.
func ValidateDigest(d digest.Digest) error {
	if why := digestProblem(d); why != "" {
		return fmt.Errorf("digest %q: %s: %w", string(d), why, errdefs.ErrInvalidArgument)
	}
	return nil
}

// digestProblem returns what is wrong with d, or "".
func digestProblem(d digest.Digest) string {
	if d == "" {
		return "missing"
	}
	alg, enc, ok := strings.Cut(string(d), ":")
	if !ok {
		return "invalid format: want algorithm:encoded"
	}
	if !algorithmGrammar().MatchString(alg) {
		return "invalid algorithm"
	}
	if !encodedGrammar().MatchString(enc) {
		return "invalid encoding"
	}
	if n, ok := registered[alg]; ok && (len(enc) != n || strings.Trim(enc, "0123456789abcdef") != "") {
		return fmt.Sprintf("invalid encoding: %s wants %d lowercase hex digits", alg, n)
	}
	return ""
}

// VerifyBlob checks that data is the content d describes: its size first, as
// descriptor.md advises, then its digest. A mismatch wraps
// errdefs.ErrDigestMismatch; a digest berth cannot compute wraps
// errdefs.ErrNotImplemented; a malformed descriptor wraps ErrInvalidArgument.
func VerifyBlob(d ocispec.Descriptor, data []byte) error {
	if err := ValidateDigest(d.Digest); err != nil {
		return fmt.Errorf("verify blob: %w", err)
	}
	if int64(len(data)) != d.Size {
		return fmt.Errorf("verify blob %s: size is %d, descriptor says %d: %w", d.Digest, len(data), d.Size, errdefs.ErrDigestMismatch)
	}
	alg := d.Digest.Algorithm()
	if !alg.Available() {
		return fmt.Errorf("verify blob %s: digest algorithm %s is not supported: %w", d.Digest, alg, errdefs.ErrNotImplemented)
	}
	if got := alg.FromBytes(data); got != d.Digest {
		return fmt.Errorf("verify blob %s: content hashes to %s: %w", d.Digest, got, errdefs.ErrDigestMismatch)
	}
	return nil
}

// Describe returns the descriptor of data with media type mt, digested with
// sha256, the algorithm the spec asks writers to use.
func Describe(mt string, data []byte) ocispec.Descriptor {
	return ocispec.Descriptor{
		MediaType: mt,
		Digest:    digest.SHA256.FromBytes(data),
		Size:      int64(len(data)),
	}
}
