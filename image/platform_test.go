package image

import (
	"errors"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/berth-oci/berth/errdefs"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func plat(s string) ocispec.Platform {
	parts := strings.SplitN(s, "/", 3)
	p := ocispec.Platform{OS: parts[0], Architecture: parts[1]}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	return p
}

func TestNormalize(t *testing.T) {
	cases := map[string]string{
		"linux/amd64":       "linux/amd64",
		"linux/x86_64":      "linux/amd64",
		"linux/x86-64":      "linux/amd64",
		"Linux/AMD64":       "linux/amd64",
		"linux/amd64/v1":    "linux/amd64",
		"linux/amd64/v3":    "linux/amd64/v3",
		"linux/arm64":       "linux/arm64/v8",
		"linux/aarch64":     "linux/arm64/v8",
		"linux/arm64/8":     "linux/arm64/v8",
		"linux/arm64/v8.0":  "linux/arm64/v8",
		"linux/arm64/v8.2":  "linux/arm64/v8.2",
		"linux/arm":         "linux/arm/v7",
		"linux/arm/6":       "linux/arm/v6",
		"linux/arm/v5":      "linux/arm/v5",
		"linux/armhf":       "linux/arm/v7",
		"linux/armel":       "linux/arm/v6",
		"linux/armv7l":      "linux/arm/v7",
		"linux/i386":        "linux/386",
		"linux/i686":        "linux/386",
		"linux/ppc64le":     "linux/ppc64le",
		"linux/ppc64el":     "linux/ppc64le",
		"linux/s390x":       "linux/s390x",
		"linux/riscv64":     "linux/riscv64",
		"linux/loongarch64": "linux/loong64",
		"macos/arm64":       "darwin/arm64/v8",
		"windows/amd64":     "windows/amd64",
	}
	for in, want := range cases {
		if got := FormatPlatform(Normalize(plat(in))); got != want {
			t.Errorf("Normalize(%s) = %s, want %s", in, got, want)
		}
	}
	in := ocispec.Platform{OS: "windows", Architecture: "amd64", OSFeatures: []string{"win32k"}}
	out := Normalize(in)
	out.OSFeatures[0] = "changed"
	if in.OSFeatures[0] != "win32k" {
		t.Error("Normalize shares os.features with its input")
	}
}

func TestParsePlatform(t *testing.T) {
	host := Host()
	valid := map[string]string{
		"linux/arm64/v8":       "linux/arm64/v8",
		"linux/arm64":          "linux/arm64/v8",
		"linux/aarch64":        "linux/arm64/v8",
		"linux/arm/v6":         "linux/arm/v6",
		"linux/arm":            "linux/arm/v7",
		"linux/amd64/v2":       "linux/amd64/v2",
		"windows/amd64":        "windows/amd64",
		" linux/s390x ":        "linux/s390x",
		"linux/ppc64le/power9": "linux/ppc64le/power9",
		"arm64":                host.OS + "/arm64/v8",
		"linux":                FormatPlatform(ocispec.Platform{OS: "linux", Architecture: host.Architecture, Variant: host.Variant}),
	}
	for in, want := range valid {
		p, err := ParsePlatform(in)
		if err != nil {
			t.Errorf("ParsePlatform(%q): %v", in, err)
			continue
		}
		if got := FormatPlatform(p); got != want {
			t.Errorf("ParsePlatform(%q) = %s, want %s", in, got, want)
		}
	}
	invalid := map[string]string{
		"":                   "empty component",
		"linux/":             "empty component",
		"linux/arm64/v8/x":   "want os/arch",
		"linx/amd64":         `unknown os "linx"`,
		"linux/amd46":        `unknown architecture "amd46"`,
		"linux/s390x/v2":     "s390x has no variants",
		"linux/arm/v9":       `unknown variant "v9" of arm`,
		"linux/arm64/v7":     `unknown variant "v7" of arm64`,
		"linux/amd64/v5":     "unknown variant",
		"banana":             `unknown os "banana"`,
		"linux/arm64/V8.a.b": "unknown variant",
	}
	for in, want := range invalid {
		_, err := ParsePlatform(in)
		if !errdefs.IsInvalidArgument(err) || !strings.Contains(err.Error(), want) {
			t.Errorf("ParsePlatform(%q) = %v, want an invalid argument saying %q", in, err, want)
		}
	}
}

func TestHost(t *testing.T) {
	h := Host()
	if h.OS != runtime.GOOS || h.Architecture != Normalize(ocispec.Platform{Architecture: runtime.GOARCH}).Architecture {
		t.Errorf("Host() = %+v on %s/%s", h, runtime.GOOS, runtime.GOARCH)
	}
	if _, err := ParsePlatform(FormatPlatform(h)); err != nil {
		t.Errorf("Host() does not parse back: %v", err)
	}
	if !NewMatcher(h).Match(ocispec.Platform{OS: runtime.GOOS, Architecture: runtime.GOARCH}) {
		t.Errorf("the host does not run plain %s/%s images", runtime.GOOS, runtime.GOARCH)
	}
}

func TestVariantFromCPUInfo(t *testing.T) {
	flags := func(fs ...string) string { return "processor : 0\nflags : " + strings.Join(fs, " ") + "\n" }
	v2 := []string{"fpu", "cx16", "lahf_lm", "popcnt", "sse4_1", "sse4_2", "ssse3"}
	v3 := append(slices.Clone(v2), "avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave")
	v4 := append(slices.Clone(v3), "avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl")
	cases := []struct{ arch, cpuinfo, want string }{
		{"amd64", flags("fpu", "sse2"), ""},
		{"amd64", flags(v2...), "v2"},
		{"amd64", flags(v3...), "v3"},
		{"amd64", flags(v4...), "v4"},
		{"amd64", flags(append(slices.Clone(v2), "avx2")...), "v2"},
		{"arm", "processor : 0\nCPU architecture: 7\n", "v7"},
		{"arm", "CPU architecture: 6\n", "v6"},
		{"arm", "CPU architecture: 8\n", "v8"},
		{"arm64", "CPU architecture: 8\n", ""},
		{"amd64", "", ""},
	}
	for _, c := range cases {
		if got := variantFromCPUInfo(c.arch, c.cpuinfo); got != c.want {
			t.Errorf("variantFromCPUInfo(%s, %q) = %q, want %q", c.arch, c.cpuinfo, got, c.want)
		}
	}
}

func TestMatcherOrder(t *testing.T) {
	cases := []struct {
		want   string
		accept []string // best first
		refuse []string
	}{
		{"linux/arm/v7", []string{"linux/arm/v7", "linux/arm/v6", "linux/arm/v5"}, []string{"linux/arm/v8", "linux/arm64", "windows/arm/v7"}},
		{"linux/arm/v6", []string{"linux/arm/v6", "linux/arm/v5"}, []string{"linux/arm/v7", "linux/arm"}},
		{"linux/arm64", []string{"linux/arm64/v8"}, []string{"linux/arm/v7", "linux/arm64/v8.1", "linux/amd64"}},
		{"linux/arm64/v8.2", []string{"linux/arm64/v8.2", "linux/arm64/v8.1", "linux/arm64"}, []string{"linux/arm64/v8.3", "linux/arm64/v9"}},
		{"linux/arm64/v9.1", []string{"linux/arm64/v9.1", "linux/arm64/v9", "linux/arm64/v8.6", "linux/arm64/v8.1", "linux/arm64/v8"}, []string{"linux/arm64/v9.2", "linux/arm64/v8.7"}},
		{"linux/amd64/v3", []string{"linux/amd64/v3", "linux/amd64/v2", "linux/amd64"}, []string{"linux/amd64/v4", "linux/386"}},
		{"linux/amd64", []string{"linux/x86_64"}, []string{"linux/amd64/v2", "linux/386", "linux/arm64"}},
		{"linux/386", []string{"linux/i386"}, []string{"linux/amd64"}},
		{"linux/ppc64le/power9", []string{"linux/ppc64le/power9", "linux/ppc64le/power8", "linux/ppc64le"}, []string{"linux/ppc64le/power10"}},
		{"linux/riscv64/rva22u64", []string{"linux/riscv64/rva22u64", "linux/riscv64/rva20u64", "linux/riscv64"}, []string{"linux/riscv64/rva23u64"}},
		{"linux/s390x", []string{"linux/s390x"}, []string{"linux/s390x/z15"}},
	}
	for _, c := range cases {
		m := NewMatcher(plat(c.want))
		for i, a := range c.accept {
			if !m.Match(plat(a)) {
				t.Errorf("%s: refuses %s", c.want, a)
			}
			for _, b := range c.accept[i+1:] {
				if !m.Less(plat(a), plat(b)) || m.Less(plat(b), plat(a)) {
					t.Errorf("%s: %s is not preferred over %s", c.want, a, b)
				}
			}
			for _, r := range c.refuse {
				if !m.Less(plat(a), plat(r)) || m.Less(plat(r), plat(a)) {
					t.Errorf("%s: matching %s is not preferred over refused %s", c.want, a, r)
				}
			}
		}
		for _, r := range c.refuse {
			if m.Match(plat(r)) {
				t.Errorf("%s: accepts %s", c.want, r)
			}
		}
	}
}

func TestMatcherOSFeaturesAndVersion(t *testing.T) {
	host := ocispec.Platform{OS: "windows", Architecture: "amd64", OSVersion: "10.0.17763.1879", OSFeatures: []string{"win32k"}}
	m := NewMatcher(host)
	same := ocispec.Platform{OS: "windows", Architecture: "amd64", OSVersion: "10.0.17763.1879"}
	patch := ocispec.Platform{OS: "windows", Architecture: "amd64", OSVersion: "10.0.17763.2000", OSFeatures: []string{"win32k"}}
	other := ocispec.Platform{OS: "windows", Architecture: "amd64", OSVersion: "10.0.20348.1"}
	needs := ocispec.Platform{OS: "windows", Architecture: "amd64", OSFeatures: []string{"win32k", "gpu"}}
	if !m.Match(same) || !m.Match(patch) || !m.Less(same, patch) {
		t.Error("same build should match, the exact os.version first")
	}
	if m.Match(other) {
		t.Error("a windows image of another build matches")
	}
	if m.Match(needs) {
		t.Error("an image needing an os feature the host lacks matches")
	}
	linux := NewMatcher(ocispec.Platform{OS: "linux", Architecture: "amd64"})
	if linux.Match(ocispec.Platform{OS: "linux", Architecture: "amd64", OSFeatures: []string{"x"}}) {
		t.Error("linux host without features accepts an image requiring one")
	}
	if !linux.Match(ocispec.Platform{OS: "linux", Architecture: "amd64", OSVersion: "6.1"}) {
		t.Error("os.version refused on linux")
	}
}

func TestSelectManifest(t *testing.T) {
	entry := func(d, p string) ocispec.Descriptor {
		pl := plat(p)
		return ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.Digest("sha256:" + strings.Repeat(d, 64)), Size: 1, Platform: &pl}
	}
	attestation := entry("f", "unknown/unknown")
	idx := &ocispec.Index{Manifests: []ocispec.Descriptor{
		entry("1", "linux/amd64"),
		entry("2", "linux/arm/v5"),
		entry("3", "linux/arm/v7"),
		entry("4", "linux/arm/v6"),
		entry("5", "linux/arm64/v8"),
		entry("6", "linux/amd64"),
		attestation,
		{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.Digest("sha256:" + strings.Repeat("9", 64)), Size: 1}, // no platform
	}}
	cases := map[string]string{
		"linux/arm/v7":   "3",
		"linux/arm/v6":   "4",
		"linux/arm/v8":   "3",
		"linux/arm64":    "5",
		"linux/aarch64":  "5",
		"linux/amd64":    "1", // the first of equals
		"linux/amd64/v3": "1",
	}
	for want, digit := range cases {
		d, err := SelectManifest(idx, plat(want))
		if err != nil {
			t.Errorf("%s: %v", want, err)
			continue
		}
		if d.Digest.Encoded()[:1] != digit {
			t.Errorf("%s: chose %s (%s)", want, FormatPlatform(*d.Platform), d.Digest.Encoded()[:1])
		}
	}
	_, err := SelectManifest(idx, plat("linux/s390x"))
	if !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("s390x: %v, want ErrNotFound", err)
	}
	for _, s := range []string{"linux/s390x", "linux/amd64, linux/arm/v5, linux/arm/v7, linux/arm/v6, linux/arm64/v8"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not list %q", err, s)
		}
	}
	if strings.Contains(err.Error(), "unknown") {
		t.Errorf("error %q lists the attestation", err)
	}
	_, err = SelectManifest(&ocispec.Index{}, plat("linux/amd64"))
	if !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("empty index: %v", err)
	}
}
