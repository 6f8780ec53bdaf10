package image

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-oci/berth/errdefs"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// realDocs are the documents of testdata/ (see its README) with the media
// type each is.
var realDocs = map[string]string{
	"umoci-index.json":             ocispec.MediaTypeImageIndex,
	"umoci-manifest.json":          ocispec.MediaTypeImageManifest,
	"umoci-manifest-nolayers.json": ocispec.MediaTypeImageManifest,
	"umoci-config.json":            ocispec.MediaTypeImageConfig,
	"umoci-oci-layout":             ocispec.MediaTypeLayoutHeader,
	"podman-oci-index.json":        ocispec.MediaTypeImageIndex,
	"podman-oci-manifest.json":     ocispec.MediaTypeImageManifest,
	"podman-oci-config.json":       ocispec.MediaTypeImageConfig,
	"podman-docker-manifest.json":  MediaTypeDockerManifest,
	"podman-docker-config.json":    MediaTypeDockerConfig,
	"podman-docker-list.json":      MediaTypeDockerManifestList,
	"skopeo-docker-manifest.json":  MediaTypeDockerManifest,
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestRealDocumentsValidate(t *testing.T) {
	for name, mt := range realDocs {
		t.Run(name, func(t *testing.T) {
			data := readTestdata(t, name)
			if err := Validate(mt, data); err != nil {
				t.Fatalf("Validate(%s): %v", mt, err)
			}
			got, err := Detect(data)
			if err != nil {
				t.Fatalf("Detect: %v", err)
			}
			want := mt
			if mt == MediaTypeDockerConfig {
				want = ocispec.MediaTypeImageConfig // configs carry no media type
			}
			if got != want {
				t.Errorf("Detect = %s, want %s", got, want)
			}
		})
	}
}

func TestRealDocumentsParse(t *testing.T) {
	m, err := ParseManifest(readTestdata(t, "podman-docker-manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if m.MediaType != MediaTypeDockerManifest || m.Layers[0].MediaType != MediaTypeDockerLayer {
		t.Errorf("docker manifest came back converted: %+v", m)
	}
	c, err := ParseConfig(readTestdata(t, "podman-docker-config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Config.WorkingDir != "/data" || len(c.Config.Entrypoint) != 1 || c.RootFS.Type != "layers" {
		t.Errorf("docker config decoded wrong: %+v", c.Config)
	}
	if err := CheckConfigMatches(m, c); err != nil {
		t.Errorf("CheckConfigMatches: %v", err)
	}
	idx, err := ParseIndex(readTestdata(t, "podman-docker-list.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(idx.Manifests) != 3 || idx.Manifests[2].Platform.Variant != "v7" {
		t.Errorf("manifest list decoded wrong: %+v", idx.Manifests)
	}
}

func TestSchema1Refused(t *testing.T) {
	data := readTestdata(t, "skopeo-schema1.json")
	checks := map[string]error{}
	_, checks["Detect"] = Detect(data)
	_, checks["ParseManifest"] = ParseManifest(data)
	checks["Validate schema2"] = Validate(MediaTypeDockerManifest, data)
	checks["Validate schema1"] = Validate(MediaTypeDockerSchema1Signed, data)
	checks["Validate by media type"] = Validate(MediaTypeDockerSchema1, []byte(`{}`))
	for what, err := range checks {
		if !errors.Is(err, ErrSchema1) || !errdefs.IsNotImplemented(err) {
			t.Errorf("%s: %v, want ErrSchema1", what, err)
			continue
		}
		if want := "push the image again as schema2 or OCI"; !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %q does not say %q", what, err, want)
		}
	}
}

func TestDetectShapes(t *testing.T) {
	cases := []struct {
		data string
		want string // media type, or the error kind's text
		kind error
	}{
		{`{"schemaVersion":2,"manifests":[]}`, ocispec.MediaTypeImageIndex, nil},
		{`{"schemaVersion":2,"config":{},"layers":[]}`, ocispec.MediaTypeImageManifest, nil},
		{`{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","manifests":[]}`, MediaTypeDockerManifestList, nil},
		{`{"schemaVersion":2,"mediaType":"application/vnd.example.future+json"}`, "application/vnd.example.future+json", nil},
		{`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}`, ocispec.MediaTypeImageConfig, nil},
		{`{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:x","size":1}`, ocispec.MediaTypeDescriptor, nil},
		{`{"imageLayoutVersion":"1.0.0"}`, ocispec.MediaTypeLayoutHeader, nil},
		{`{"schemaVersion":2,"manifests":[],"layers":[]}`, "ambiguous", errdefs.ErrInvalidArgument},
		{`{"schemaVersion":2}`, "fits no known document", errdefs.ErrInvalidArgument},
		{`{"name":"x","fsLayers":[]}`, "schema1", ErrSchema1},
		{`{"schemaVersion":1,"fsLayers":[]}`, "schemaVersion 1", ErrSchema1},
		{`{"mediaType":"application/vnd.docker.distribution.manifest.v1+prettyjws"}`, "prettyjws", ErrSchema1},
		{"PK\x03\x04", "not valid JSON", errdefs.ErrInvalidArgument},
		{"\x1f\x8b\xff", "not valid UTF-8", errdefs.ErrInvalidArgument},
		{`"a string"`, "not a JSON object", errdefs.ErrInvalidArgument},
	}
	for _, c := range cases {
		got, err := Detect([]byte(c.data))
		switch {
		case c.kind == nil && (err != nil || got != c.want):
			t.Errorf("Detect(%s) = %q, %v; want %s", c.data, got, err, c.want)
		case c.kind != nil && (!errors.Is(err, c.kind) || !strings.Contains(err.Error(), c.want)):
			t.Errorf("Detect(%s) = %v; want %v saying %q", c.data, err, c.kind, c.want)
		}
	}
}
