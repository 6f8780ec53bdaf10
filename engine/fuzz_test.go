package engine

import (
	"path/filepath"
	"strings"
	"testing"
)

// The parsers of user input never panic, and what they accept is well
// formed.

func FuzzParseVolume(f *testing.F) {
	for _, s := range []string{"/a:/b", "/a:/b:ro,rshared", "vol:/x", "/anon", "a:b:c:d", ":", "/a:/b:bogus"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseVolume(s)
		if err != nil {
			return
		}
		if !filepath.IsAbs(m.Destination) || (m.Type == MountBind && !filepath.IsAbs(m.Source)) {
			t.Fatalf("ParseVolume(%q) = %+v", s, m)
		}
		if m.Type == MountVolume && m.Source != "" && !validName(m.Source) {
			t.Fatalf("ParseVolume(%q) accepted the volume name %q", s, m.Source)
		}
	})
}

func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"1", "64m", "1.5g", "2MiB", "", "x", "9999999999999t"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if n, err := ParseSize(s); err == nil && n < 0 {
			t.Fatalf("ParseSize(%q) = %d", s, n)
		}
	})
}

func FuzzParseImageRef(f *testing.F) {
	for _, s := range []string{"busybox", "docker://a/b:c", "oci:/x:y", "docker-archive:/a.tar:b:c", "oci:", "dir:/x", "a:b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseImageRef(s)
		if err != nil {
			return
		}
		if r.Ref == "" || !strings.Contains(s, r.Ref) {
			t.Fatalf("ParseImageRef(%q) = %+v", s, r)
		}
	})
}

func FuzzNormalizeName(f *testing.F) {
	for _, s := range []string{"busybox", "a/b:c", "localhost:5000/x@sha256:" + strings.Repeat("a", 64), "UPPER", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := NormalizeName(s)
		if err != nil {
			return
		}
		if again, err := NormalizeName(n); err != nil || again != n {
			t.Fatalf("NormalizeName(%q) = %q, which normalizes to %q (%v)", s, n, again, err)
		}
	})
}
