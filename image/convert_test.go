package image

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/berth-oci/berth/errdefs"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestOCIMediaType(t *testing.T) {
	cases := map[string]string{
		MediaTypeDockerManifest:     ocispec.MediaTypeImageManifest,
		MediaTypeDockerManifestList: ocispec.MediaTypeImageIndex,
		MediaTypeDockerConfig:       ocispec.MediaTypeImageConfig,
		MediaTypeDockerLayer:        ocispec.MediaTypeImageLayer,
		MediaTypeDockerLayerGzip:    ocispec.MediaTypeImageLayerGzip,
		MediaTypeDockerLayerZstd:    ocispec.MediaTypeImageLayerZstd,
		MediaTypeDockerForeignLayer: "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
		ocispec.MediaTypeImageLayer: ocispec.MediaTypeImageLayer,
		"application/x-unknown":     "application/x-unknown",
	}
	for in, want := range cases {
		if got := OCIMediaType(in); got != want {
			t.Errorf("OCIMediaType(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestConvertConfig(t *testing.T) {
	in := readTestdata(t, "podman-docker-config.json")
	out, d, err := ConvertConfig(in)
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate(ocispec.MediaTypeImageConfig, out); err != nil {
		t.Fatalf("converted config does not validate: %v", err)
	}
	if d.MediaType != ocispec.MediaTypeImageConfig || d.Size != int64(len(out)) || d.Digest != digest.FromBytes(out) {
		t.Errorf("descriptor %+v does not describe the new bytes", d)
	}
	if err := VerifyBlob(d, out); err != nil {
		t.Error(err)
	}
	// Every OCI field survives, decoded the same.
	before, _ := ParseConfig(in)
	after, _ := ParseConfig(out)
	if !reflect.DeepEqual(before, after) {
		t.Errorf("OCI fields changed:\n%+v\n%+v", before, after)
	}
	var raw map[string]any
	if err := json.Unmarshal(out, &raw); err != nil {
		t.Fatal(err)
	}
	for _, gone := range []string{"container", "container_config", "parent"} {
		if _, ok := raw[gone]; ok {
			t.Errorf("Docker-only field %s kept", gone)
		}
	}
	cfg := raw["config"].(map[string]any)
	if _, ok := cfg["Healthcheck"]; !ok {
		t.Error("Healthcheck, reserved by OCI for compatibility, was dropped")
	}
	for _, gone := range []string{"Hostname", "OnBuild", "Image", "AttachStdin"} {
		if _, ok := cfg[gone]; ok {
			t.Errorf("Docker-only config.%s kept", gone)
		}
	}
	if strings.Contains(string(out), `\u003c`) || strings.Contains(string(out), "null") {
		t.Errorf("output escapes HTML or keeps nulls: %s", out)
	}
	if _, _, err := ConvertConfig([]byte(`{"os":"linux"}`)); !errdefs.IsInvalidArgument(err) {
		t.Errorf("invalid config converted: %v", err)
	}
}

func TestConvertManifest(t *testing.T) {
	cfg, cfgDesc, err := ConvertConfig(readTestdata(t, "podman-docker-config.json"))
	if err != nil {
		t.Fatal(err)
	}
	in := readTestdata(t, "podman-docker-manifest.json")
	out, m, err := ConvertManifest(in, cfgDesc)
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate(ocispec.MediaTypeImageManifest, out); err != nil {
		t.Fatalf("converted manifest does not validate as OCI: %v", err)
	}
	if mt, _ := Detect(out); mt != ocispec.MediaTypeImageManifest {
		t.Errorf("Detect(converted) = %s", mt)
	}
	old, _ := ParseManifest(in)
	if m.Config.Digest != cfgDesc.Digest || m.Layers[0].MediaType != ocispec.MediaTypeImageLayer ||
		m.Layers[0].Digest != old.Layers[0].Digest || m.Layers[0].Size != old.Layers[0].Size {
		t.Errorf("converted manifest: %+v", m)
	}
	c, err := ParseConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckConfigMatches(m, c); err != nil {
		t.Errorf("converted image is inconsistent: %v", err)
	}
	var back ocispec.Manifest
	if err := json.Unmarshal(out, &back); err != nil || !reflect.DeepEqual(&back, m) {
		t.Errorf("returned manifest differs from its bytes: %v", err)
	}

	_, _, err = ConvertManifest(readTestdata(t, "umoci-manifest.json"), cfgDesc)
	if !errdefs.IsInvalidArgument(err) {
		t.Errorf("converting an OCI manifest: %v", err)
	}
	_, _, err = ConvertManifest(in, ocispec.Descriptor{})
	if !errdefs.IsInvalidArgument(err) || !strings.Contains(err.Error(), "new config") {
		t.Errorf("converting without a config descriptor: %v", err)
	}
}

func TestConvertManifestLayerTypes(t *testing.T) {
	doc := obj{
		"schemaVersion": 2,
		"mediaType":     MediaTypeDockerManifest,
		"config":        desc(MediaTypeDockerConfig, dA, 10),
		"layers": []any{
			obj{"mediaType": MediaTypeDockerForeignLayer, "digest": dA, "size": 5, "urls": []any{"https://example.com/base.tar.gz"}},
			desc(MediaTypeDockerLayerGzip, dB, 6),
			desc(MediaTypeDockerLayerZstd, dB, 7),
		},
	}
	data, _ := json.Marshal(doc)
	_, m, err := ConvertManifest(data, Describe(ocispec.MediaTypeImageConfig, []byte(`{}`)))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
		ocispec.MediaTypeImageLayerGzip,
		ocispec.MediaTypeImageLayerZstd,
	}
	for i, l := range m.Layers {
		if l.MediaType != want[i] {
			t.Errorf("layers[%d] = %s, want %s", i, l.MediaType, want[i])
		}
	}
	if len(m.Layers[0].URLs) != 1 {
		t.Error("foreign layer lost its urls")
	}
}

func TestConvertIndex(t *testing.T) {
	in := readTestdata(t, "podman-docker-list.json")
	list, err := ParseIndex(in)
	if err != nil {
		t.Fatal(err)
	}
	converted := map[digest.Digest]ocispec.Descriptor{}
	for i, d := range list.Manifests {
		converted[d.Digest] = Describe(ocispec.MediaTypeImageManifest, []byte(strings.Repeat("x", i+1)))
	}
	out, idx, err := ConvertIndex(in, converted)
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate(ocispec.MediaTypeImageIndex, out); err != nil {
		t.Fatalf("converted index does not validate: %v", err)
	}
	for i, d := range idx.Manifests {
		old := list.Manifests[i]
		if d.Digest != converted[old.Digest].Digest || d.MediaType != ocispec.MediaTypeImageManifest ||
			!reflect.DeepEqual(d.Platform, old.Platform) {
			t.Errorf("manifests[%d] = %+v", i, d)
		}
	}
	if sel, err := SelectManifest(idx, plat("linux/arm/v7")); err != nil || sel.Digest != converted[list.Manifests[2].Digest].Digest {
		t.Errorf("selecting from the converted index: %v", err)
	}

	delete(converted, list.Manifests[1].Digest)
	_, _, err = ConvertIndex(in, converted)
	if !errors.Is(err, errdefs.ErrFailedPrecondition) || !strings.Contains(err.Error(), "manifests[1]") {
		t.Errorf("missing conversion: %v", err)
	}
	if _, _, err := ConvertIndex(readTestdata(t, "podman-oci-index.json"), nil); !errdefs.IsInvalidArgument(err) {
		t.Errorf("converting an OCI index: %v", err)
	}
}

func TestVerifyBlob(t *testing.T) {
	data := []byte("hello, world\n")
	good := Describe("text/plain", data)
	if err := VerifyBlob(good, data); err != nil {
		t.Fatal(err)
	}
	sha512 := good
	sha512.Digest = digest.SHA512.FromBytes(data)
	if err := VerifyBlob(sha512, data); err != nil {
		t.Errorf("sha512: %v", err)
	}
	cases := []struct {
		name string
		d    ocispec.Descriptor
		data []byte
		kind error
		want string
	}{
		{"size larger", good, append(data, '!'), errdefs.ErrDigestMismatch, "size is 14, descriptor says 13"},
		{"size smaller", good, data[:5], errdefs.ErrDigestMismatch, "size is 5"},
		{"content differs", good, []byte("hello, World\n"), errdefs.ErrDigestMismatch, "content hashes to sha256:"},
		{"bad digest", ocispec.Descriptor{Digest: "sha256:xyz", Size: 13}, data, errdefs.ErrInvalidArgument, "invalid encoding"},
		{"unsupported algorithm", ocispec.Descriptor{Digest: digest.Digest("blake3:" + good.Digest.Encoded()), Size: 13}, data, errdefs.ErrNotImplemented, "blake3"},
	}
	for _, c := range cases {
		err := VerifyBlob(c.d, c.data)
		if !errors.Is(err, c.kind) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %v saying %q", c.name, err, c.kind, c.want)
		}
	}
}

func TestCheckConfigMatches(t *testing.T) {
	m, _ := ParseManifest(readTestdata(t, "umoci-manifest.json"))
	c, _ := ParseConfig(readTestdata(t, "umoci-config.json"))
	if err := CheckConfigMatches(m, c); err != nil {
		t.Fatal(err)
	}
	extra := *m
	extra.Layers = append(append([]ocispec.Descriptor(nil), m.Layers...), m.Layers[0])
	checkRule(t, CheckConfigMatches(&extra, c), "config.rootfs.diff_ids: 1 entries, but the manifest has 2 layers")
	artifact := *m
	artifact.Config.MediaType = ocispec.MediaTypeEmptyJSON
	checkRule(t, CheckConfigMatches(&artifact, c), "manifest.config.mediaType")
	bad := *c
	bad.RootFS.Type = "tar"
	checkRule(t, CheckConfigMatches(m, &bad), `config.rootfs.type "tar"`)

	if err := CheckConfigPlatform(plat("linux/amd64"), c); err != nil {
		t.Error(err)
	}
	checkRule(t, CheckConfigPlatform(plat("linux/arm64/v8"), c), "built for another platform than the index entry's linux/arm64/v8")
}
