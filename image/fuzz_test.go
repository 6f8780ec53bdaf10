package image

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/berth-oci/berth/errdefs"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Seeds: every real document of testdata/, the spec's examples, and a few
// shapes that have broken parsers elsewhere.
func addSeeds(f *testing.F, extra ...any) {
	f.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		if fi, err := os.Stat(name); err != nil || fi.IsDir() || filepath.Ext(name) == ".md" {
			continue
		}
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, doc := range append([]any{baseManifest(), baseIndex(), baseConfig()}, extra...) {
		data, err := json.Marshal(doc)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		``, `null`, `{}`, `[]`, `"x"`, `{"schemaVersion":2}`, `{"schemaVersion":1}`,
		`{"schemaVersion":2,"manifests":[],"layers":[]}`,
		`{"schemaVersion":2,"config":{"data":"e30=","size":2,"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","mediaType":"a/b"},"layers":[]}`,
		`{"schemaVersion":2,"mediaType":"a","MediaType":"b"}`,
		`{"rootfs":{"type":"layers","diff_ids":null},"os":"linux","architecture":"amd64"}`,
		`{"schemaVersion":2e0,"manifests":[{"size":1e400}]}`,
		"{\"a\":\"\xff\"}",
	} {
		f.Add([]byte(s))
	}
}

// checkErr fails on an error of the wrong kind: bad input must give
// ErrInvalidArgument (or ErrSchema1), never anything else.
func checkErr(t *testing.T, err error) {
	t.Helper()
	if err != nil && !errdefs.IsInvalidArgument(err) && !errors.Is(err, ErrSchema1) {
		t.Fatalf("error of the wrong kind: %v", err)
	}
}

func FuzzParseManifest(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseManifest(data)
		checkErr(t, err)
		if err != nil {
			return
		}
		// What parses validates under its own media type, and its children
		// can be listed.
		mt := m.MediaType
		if mt == "" {
			mt = ocispec.MediaTypeImageManifest
		}
		if err := Validate(mt, data); err != nil {
			t.Fatalf("ParseManifest accepts, Validate(%s) refuses: %v", mt, err)
		}
		if _, err := Children(mt, data); err != nil {
			t.Fatalf("Children: %v", err)
		}
		if m.MediaType == MediaTypeDockerManifest {
			if _, _, err := ConvertManifest(data, Describe(ocispec.MediaTypeImageConfig, []byte("{}"))); err != nil {
				t.Fatalf("a valid Docker manifest does not convert: %v", err)
			}
		}
	})
}

func FuzzParseIndex(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		idx, err := ParseIndex(data)
		checkErr(t, err)
		if err != nil {
			return
		}
		_, err = SelectManifest(idx, Host())
		if err != nil && !errdefs.IsNotFound(err) {
			t.Fatalf("SelectManifest: %v", err)
		}
	})
}

func FuzzParseConfig(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data)
		checkErr(t, err)
		if err != nil {
			return
		}
		out, d, err := ConvertConfig(data)
		if err != nil {
			t.Fatalf("a valid config does not convert: %v", err)
		}
		if err := VerifyBlob(d, out); err != nil {
			t.Fatal(err)
		}
		c2, err := ParseConfig(out)
		if err != nil {
			t.Fatalf("converted config does not parse: %v", err)
		}
		if c.RootFS.Type != c2.RootFS.Type || len(c.RootFS.DiffIDs) != len(c2.RootFS.DiffIDs) {
			t.Fatal("conversion changed rootfs")
		}
	})
}

func FuzzDetect(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		mt, err := Detect(data)
		checkErr(t, err)
		if err != nil {
			return
		}
		if mt == "" {
			t.Fatal("Detect returned no media type and no error")
		}
		// Validate must judge or decline, never panic.
		err = Validate(mt, data)
		if err != nil && !errdefs.IsInvalidArgument(err) && !errdefs.IsNotImplemented(err) {
			t.Fatalf("Validate(%s): error of the wrong kind: %v", mt, err)
		}
	})
}

func FuzzParsePlatform(f *testing.F) {
	for _, s := range []string{"linux/amd64", "linux/arm64/v8", "linux/arm/v7", "arm64", "linux", "windows/amd64", "a/b/c/d", "", "/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePlatform(s)
		if err != nil {
			if !errdefs.IsInvalidArgument(err) {
				t.Fatalf("error of the wrong kind: %v", err)
			}
			return
		}
		again, err := ParsePlatform(FormatPlatform(p))
		if err != nil || FormatPlatform(again) != FormatPlatform(p) {
			t.Fatalf("%q: parsed as %s, which does not parse back: %v", s, FormatPlatform(p), err)
		}
		if !NewMatcher(p).Match(p) {
			t.Fatalf("%s does not match itself", FormatPlatform(p))
		}
	})
}
