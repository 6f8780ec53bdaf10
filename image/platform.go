package image

import (
	"fmt"
	"regexp"
	"runtime"
	"strings"
	"sync"

	"github.com/berth-oci/berth/errdefs"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// knownOS and knownArch are the GOOS and GOARCH values the spec points to
// (go tool dist list). Documents may carry others; user input may not.
var (
	knownOS = set("aix", "android", "darwin", "dragonfly", "freebsd", "illumos", "ios", "js",
		"linux", "netbsd", "openbsd", "plan9", "solaris", "wasip1", "windows")
	knownArch = set("386", "amd64", "arm", "arm64", "loong64", "mips", "mipsle", "mips64",
		"mips64le", "ppc64", "ppc64le", "riscv64", "s390x", "wasm")
)

func set(items ...string) map[string]bool {
	m := make(map[string]bool, len(items))
	for _, s := range items {
		m[s] = true
	}
	return m
}

var (
	hostOnce     sync.Once
	hostPlatform ocispec.Platform
)

// Host returns the platform berth runs on, normalized: GOOS/GOARCH, with the
// CPU variant read from /proc/cpuinfo where one matters (arm: v5 to v8;
// arm64: v8; amd64: the x86-64 microarchitecture level, v2 to v4, omitted for
// the baseline v1). It says what the host can run; to label an image built
// here, use a plain GOOS/GOARCH platform, since the build does not need the
// host's level.
func Host() ocispec.Platform {
	hostOnce.Do(func() {
		hostPlatform = Normalize(ocispec.Platform{
			OS:           runtime.GOOS,
			Architecture: runtime.GOARCH,
			Variant:      cpuVariant(runtime.GOARCH),
		})
	})
	p := hostPlatform
	p.OSFeatures = append([]string(nil), hostPlatform.OSFeatures...)
	return p
}

// Normalize returns p with the spellings of os, architecture and variant
// that images use: x86_64 and x86-64 become amd64; aarch64 becomes arm64,
// whose variant defaults to v8; armhf is arm/v7, armel arm/v6, and arm
// without a variant is arm/v7; i386 to i686 become 386; amd64/v1 is plain
// amd64 (v1 is the baseline every amd64 image assumes).
func Normalize(p ocispec.Platform) ocispec.Platform {
	p.OS = strings.ToLower(p.OS)
	if p.OS == "macos" {
		p.OS = "darwin"
	}
	arch, variant := strings.ToLower(p.Architecture), strings.ToLower(p.Variant)
	switch arch {
	case "x86_64", "x86-64", "amd64":
		arch = "amd64"
		if variant == "v1" {
			variant = ""
		}
	case "aarch64", "arm64":
		arch = "arm64"
		switch variant {
		case "", "8", "v8.0":
			variant = "v8"
		case "v9.0":
			variant = "v9"
		}
	case "armhf":
		arch, variant = "arm", "v7"
	case "armel":
		arch, variant = "arm", "v6"
	case "armv5l", "armv5tel", "armv5tejl":
		arch, variant = "arm", "v5"
	case "armv6l":
		arch, variant = "arm", "v6"
	case "armv7l", "armv7":
		arch, variant = "arm", "v7"
	case "armv8l":
		arch, variant = "arm", "v8"
	case "arm":
		switch variant {
		case "":
			variant = "v7"
		case "5", "6", "7", "8":
			variant = "v" + variant
		}
	case "i386", "i486", "i586", "i686", "x86", "386":
		arch = "386"
	case "ppc64el":
		arch = "ppc64le"
	case "loongarch64":
		arch = "loong64"
	}
	p.Architecture, p.Variant = arch, variant
	if len(p.OSFeatures) > 0 {
		p.OSFeatures = append([]string(nil), p.OSFeatures...)
	}
	return p
}

// FormatPlatform renders p as os/arch[/variant], the form ParsePlatform
// reads and users type: "linux/arm64/v8".
func FormatPlatform(p ocispec.Platform) string {
	s := p.OS
	if s == "" {
		s = "unknown"
	}
	if p.Architecture != "" {
		s += "/" + p.Architecture
	}
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// variantRules says which variants an architecture knows (the Platform
// Variants table of image-index.md, plus arm/v5, which Docker publishes);
// an architecture absent from it takes no variant.
var variantRules = sync.OnceValue(func() map[string]*regexp.Regexp {
	return map[string]*regexp.Regexp{
		"arm":     regexp.MustCompile(`^v[5-8]$`),
		"arm64":   regexp.MustCompile(`^v(8(\.[1-9])?|9(\.[1-5])?)$`),
		"amd64":   regexp.MustCompile(`^v[1-4]$`),
		"ppc64le": regexp.MustCompile(`^power(8|9|10|11)$`),
		"riscv64": regexp.MustCompile(`^rva(20|22|23)u64$`),
	}
})

// ParsePlatform reads a platform as a user writes it: "os/arch[/variant]",
// normalized ("linux/aarch64" is linux/arm64/v8). A lone os takes the host's
// architecture and a lone architecture the host's os, like containerd.
// Unlike the documents berth reads, user input must name a known GOOS and
// GOARCH and a variant that architecture has, so that a typo is caught.
func ParsePlatform(s string) (ocispec.Platform, error) {
	invalid := func(format string, args ...any) (ocispec.Platform, error) {
		return ocispec.Platform{}, fmt.Errorf("parse platform %q: %s: %w", s, fmt.Sprintf(format, args...), errdefs.ErrInvalidArgument)
	}
	parts := strings.Split(strings.TrimSpace(s), "/")
	if len(parts) > 3 {
		return invalid("want os/arch[/variant]")
	}
	for _, part := range parts {
		if part == "" {
			return invalid("empty component: want os/arch[/variant]")
		}
	}
	var p ocispec.Platform
	switch len(parts) {
	case 1:
		host := Host()
		if n := Normalize(ocispec.Platform{Architecture: parts[0]}); knownArch[n.Architecture] {
			p = ocispec.Platform{OS: host.OS, Architecture: parts[0]}
		} else {
			p = ocispec.Platform{OS: parts[0], Architecture: host.Architecture, Variant: host.Variant}
		}
	case 2:
		p = ocispec.Platform{OS: parts[0], Architecture: parts[1]}
	case 3:
		p = ocispec.Platform{OS: parts[0], Architecture: parts[1], Variant: parts[2]}
	}
	p = Normalize(p)
	if !knownOS[p.OS] {
		return invalid("unknown os %q", p.OS)
	}
	if !knownArch[p.Architecture] {
		return invalid("unknown architecture %q", p.Architecture)
	}
	if p.Variant != "" {
		rule, ok := variantRules()[p.Architecture]
		if !ok {
			return invalid("architecture %s has no variants", p.Architecture)
		}
		if !rule.MatchString(p.Variant) {
			return invalid("unknown variant %q of %s", p.Variant, p.Architecture)
		}
	}
	return p, nil
}
