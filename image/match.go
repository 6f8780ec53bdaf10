package image

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/berth-oci/berth/errdefs"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Matcher decides which images can run on one wanted platform, and which
// of several is the better choice.
type Matcher interface {
	// Match reports whether an image built for p runs on the wanted platform.
	Match(p ocispec.Platform) bool
	// Less reports whether a is strictly preferred over b. A platform that
	// does not match is never preferred; equally good ones are not Less, so
	// a stable choice keeps the first, as image-index.md asks.
	Less(a, b ocispec.Platform) bool
}

// NewMatcher returns the Matcher for want, compared after Normalize:
//
//   - the os and architecture must be equal. The matcher never crosses
//     architectures: amd64 does not fall back to 386 nor arm64 to arm, because
//     not every such machine runs 32-bit code (kernels without IA32
//     emulation, arm64 CPUs without AArch32 such as Ampere Altra). Ask for the
//     32-bit platform explicitly instead.
//   - the variant must be the wanted one or an older one the CPU also runs,
//     the closest first: arm/v7 takes v7, v6, v5; arm64/v8.2 takes v8.2, v8.1,
//     v8 (v9.x also v8.(x+5) and below); amd64/v3 takes v3, v2, then plain
//     amd64; ppc64le/power9 takes power9, power8, then plain ppc64le. An image
//     without a variant is the baseline, accepted last.
//   - every os.features entry of the image must be among the wanted ones.
//   - os.version: on windows, where a container must share the host's
//     build, the build (major.minor.build) must be equal when both name one;
//     otherwise an exact os.version is only preferred.
func NewMatcher(want ocispec.Platform) Matcher {
	want = Normalize(want)
	return &matcher{want: want, variants: variantVector(want.Architecture, want.Variant)}
}

type matcher struct {
	want     ocispec.Platform
	variants []string // accepted variants of want.Architecture, best first
}

func (m *matcher) Match(p ocispec.Platform) bool { return m.rank(p) >= 0 }

func (m *matcher) Less(a, b ocispec.Platform) bool {
	ra, rb := m.rank(a), m.rank(b)
	return ra >= 0 && (rb < 0 || ra < rb)
}

// rank orders the platforms that match, lower is better; -1 if p does not.
func (m *matcher) rank(p ocispec.Platform) int {
	p = Normalize(p)
	if p.OS != m.want.OS || p.Architecture != m.want.Architecture {
		return -1
	}
	for _, f := range p.OSFeatures {
		if !slices.Contains(m.want.OSFeatures, f) {
			return -1
		}
	}
	r := slices.Index(m.variants, p.Variant)
	if r < 0 {
		return -1
	}
	r *= 2
	if m.want.OSVersion != "" && p.OSVersion != m.want.OSVersion {
		if p.OS == "windows" && p.OSVersion != "" && windowsBuild(p.OSVersion) != windowsBuild(m.want.OSVersion) {
			return -1
		}
		r++
	}
	return r
}

// windowsBuild is the major.minor.build part of a Windows os.version.
func windowsBuild(v string) string {
	parts := strings.SplitN(v, ".", 4)
	return strings.Join(parts[:min(3, len(parts))], ".")
}

// variantVector lists the variants of arch that a CPU of the given variant
// runs, best first. "" is the baseline image that names no variant.
func variantVector(arch, variant string) []string {
	switch arch {
	case "amd64":
		level := 1
		if variant != "" {
			level = versionNumber(variant, "v")
		}
		if level >= 1 {
			return append(descending("v", level, 2), "")
		}
	case "arm":
		if n := versionNumber(variant, "v"); n >= 5 {
			return descending("v", n, 5)
		}
		return []string{variant}
	case "arm64":
		return arm64Vector(variant)
	case "ppc64le":
		if n := versionNumber(variant, "power"); n >= 8 {
			return append(descending("power", n, 8), "")
		}
	case "riscv64":
		profiles := []string{"rva23u64", "rva22u64", "rva20u64", ""}
		if i := slices.Index(profiles, variant); i >= 0 {
			return profiles[i:]
		}
	}
	if variant == "" {
		return []string{""}
	}
	return []string{variant, ""}
}

// descending lists prefix+from down to prefix+to: descending("v", 7, 5) is
// v7 v6 v5.
func descending(prefix string, from, to int) []string {
	var out []string
	for n := from; n >= to; n-- {
		out = append(out, prefix+strconv.Itoa(n))
	}
	return out
}

// versionNumber parses prefix+N, -1 when v is not of that form.
func versionNumber(v, prefix string) int {
	n, err := strconv.Atoi(strings.TrimPrefix(v, prefix))
	if err != nil || !strings.HasPrefix(v, prefix) || n < 0 {
		return -1
	}
	return n
}

// arm64Vector: v8.x runs v8.x down to v8; v9.x runs v9.x down to v9, then
// v8.(x+5) down to v8, the Armv9.x architecture including Armv8.(x+5).
func arm64Vector(variant string) []string {
	major, minor, ok := strings.Cut(strings.TrimPrefix(variant, "v"), ".")
	m, err := strconv.Atoi(minor)
	if !ok {
		m, err = 0, nil
	}
	if err != nil || m < 0 || (major != "8" && major != "9") {
		return []string{variant}
	}
	name := func(major string, minor int) string {
		if minor == 0 {
			return "v" + major
		}
		return fmt.Sprintf("v%s.%d", major, minor)
	}
	var out []string
	if major == "9" {
		for i := m; i >= 0; i-- {
			out = append(out, name("9", i))
		}
		m = min(m+5, 9)
	}
	for i := m; i >= 0; i-- {
		out = append(out, name("8", i))
	}
	return out
}

// SelectManifest returns the entry of idx that suits want best: among the
// image manifests with a platform that NewMatcher(want) accepts, the
// preferred one, the first of equals. When none fits the error wraps
// errdefs.ErrNotFound and lists the platforms the index offers.
func SelectManifest(idx *ocispec.Index, want ocispec.Platform) (ocispec.Descriptor, error) {
	m := NewMatcher(want)
	best := -1
	var offered []string
	for i, d := range idx.Manifests {
		if d.Platform == nil || !IsManifest(d.MediaType) {
			continue
		}
		if m.Match(*d.Platform) && (best < 0 || m.Less(*d.Platform, *idx.Manifests[best].Platform)) {
			best = i
		}
		// buildkit's attestations say unknown/unknown; they are not images.
		if s := FormatPlatform(*d.Platform); d.Platform.OS != "unknown" && !slices.Contains(offered, s) {
			offered = append(offered, s)
		}
	}
	if best >= 0 {
		return idx.Manifests[best], nil
	}
	list := strings.Join(offered, ", ")
	if list == "" {
		list = "no manifest names a platform"
	}
	return ocispec.Descriptor{}, fmt.Errorf("select manifest: no manifest for %s in the index (available: %s): %w",
		FormatPlatform(Normalize(want)), list, errdefs.ErrNotFound)
}
