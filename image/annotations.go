package image

import (
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// refNameChars is the character set annotations.md gives
// org.opencontainers.image.ref.name, plus the underscore of Docker tags.
// The spec's finer grammar is only a SHOULD, and a layout tagged "v1_2" by
// skopeo must stay readable; white space and the like are refused.
var refNameChars = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[A-Za-z0-9_.:@/+-]+$`)
})

// predefined holds a check for each pre-defined annotation key whose value
// has a format; it returns what is wrong with a value, or "". Keys of free
// text (authors, vendor, title...) have none. An empty value is allowed for
// every key ("the value MUST be present, it MAY be an empty string").
var predefined = map[string]func(string) string{
	ocispec.AnnotationCreated: func(v string) string {
		if !isRFC3339(v) {
			return "not an RFC 3339 date-time"
		}
		return ""
	},
	ocispec.AnnotationRefName: func(v string) string {
		if !refNameChars().MatchString(v) {
			return "not a valid reference name"
		}
		return ""
	},
	ocispec.AnnotationBaseImageDigest: func(v string) string {
		if why := digestProblem(digest.Digest(v)); why != "" {
			return "not a valid digest: " + why
		}
		return ""
	},
}

// checkAnnotations applies the rules of annotations.md to an annotations
// map. Keys must be non-empty; reverse-domain naming is a SHOULD and unknown
// keys must not be an error, so neither is checked. Values of pre-defined
// keys must have their format.
func checkAnnotations(p *problems, field string, m map[string]string) {
	checkLabels(p, field, m)
	for _, k := range slices.Sorted(maps.Keys(m)) {
		v := m[k]
		if check := predefined[k]; check != nil && v != "" {
			if why := check(v); why != "" {
				p.addValue(join(field, k), v, "%s", why)
			}
		}
	}
}

// checkLabels applies the annotation rules (not the pre-defined keys'
// formats, which annotations.md sets apart from its rules) to the labels of
// an image config.
func checkLabels(p *problems, field string, m map[string]string) {
	if _, ok := m[""]; ok {
		p.add(field, "empty key")
	}
}

// isRFC3339 accepts the date-time of RFC 3339 section 5.6, whose "T" and
// "Z" may be lowercase.
func isRFC3339(s string) bool {
	_, err := time.Parse(time.RFC3339Nano, strings.ToUpper(s))
	return err == nil
}
