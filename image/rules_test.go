package image

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/berth-oci/berth/errdefs"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

const (
	dEmpty  = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a" // "{}"
	dA      = "sha256:9834876dcfb05cb167a5c24953eba58c4ac89b1adf57f28f2f9d09af107ee8f0"
	dB      = "sha256:3c3a4604a545cdc127456d94e421cd355bca5b528f4a9c1905b15da2eb4a4c6b"
	dSHA512 = "sha512:401b09eab3c013d4ca54922bb802bec8fd5318192b0a75f201d8b3727429080fb337591abd3e44453b954555b7a0812e1081c39b740293f765eae731f5a65ed1"
)

type obj = map[string]any

func desc(mt, dgst string, size int) obj {
	return obj{"mediaType": mt, "digest": dgst, "size": size}
}

func baseManifest() obj {
	return obj{
		"schemaVersion": 2,
		"mediaType":     ocispec.MediaTypeImageManifest,
		"config":        desc(ocispec.MediaTypeImageConfig, dA, 7023),
		"layers": []any{
			desc(ocispec.MediaTypeImageLayerGzip, dA, 32654),
			desc(ocispec.MediaTypeImageLayerGzip, dB, 16724),
		},
	}
}

func baseIndex() obj {
	return obj{
		"schemaVersion": 2,
		"mediaType":     ocispec.MediaTypeImageIndex,
		"manifests": []any{
			obj{"mediaType": ocispec.MediaTypeImageManifest, "digest": dA, "size": 7143,
				"platform": obj{"architecture": "ppc64le", "os": "linux"}},
		},
	}
}

func baseConfig() obj {
	return obj{
		"created":      "2015-10-31T22:22:56.015925234Z",
		"architecture": "amd64",
		"os":           "linux",
		"config":       obj{"Env": []any{"PATH=/bin"}, "ExposedPorts": obj{"8080/tcp": obj{}}},
		"rootfs":       obj{"type": "layers", "diff_ids": []any{dA, dB}},
		"history":      []any{obj{"created": "2015-10-31T22:22:54.690851953Z", "created_by": "ADD"}},
	}
}

// layer returns the i-th layer of a manifest built by baseManifest.
func layer(m obj, i int) obj { return m["layers"].([]any)[i].(obj) }

func entry(idx obj, i int) obj { return idx["manifests"].([]any)[i].(obj) }

type ruleCase struct {
	name   string
	base   func() obj
	mutate func(obj)
	want   string // substring of the error naming the field; "" for valid
}

func runRuleCases(t *testing.T, parse func([]byte) error, cases []ruleCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc := c.base()
			c.mutate(doc)
			data, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			checkRule(t, parse(data), c.want)
		})
	}
}

func checkRule(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Fatalf("valid document refused: %v", err)
	case want == "":
	case err == nil:
		t.Fatalf("invalid document accepted, want an error naming %q", want)
	case !errdefs.IsInvalidArgument(err):
		t.Fatalf("error %q does not wrap ErrInvalidArgument", err)
	case !strings.Contains(err.Error(), want):
		t.Fatalf("error %q does not name %q", err, want)
	}
}

func parseManifestErr(b []byte) error { _, err := ParseManifest(b); return err }
func parseIndexErr(b []byte) error    { _, err := ParseIndex(b); return err }
func parseConfigErr(b []byte) error   { _, err := ParseConfig(b); return err }

func TestManifestRules(t *testing.T) {
	m := baseManifest
	runRuleCases(t, parseManifestErr, []ruleCase{
		{"base is valid", m, func(obj) {}, ""},
		{"size zero", m, func(d obj) { layer(d, 1)["size"] = 0 }, ""},
		{"size negative", m, func(d obj) { layer(d, 1)["size"] = -1 }, "manifest: layers[1].size: -1 is negative"},
		{"size fractional", m, func(d obj) { layer(d, 1)["size"] = 1.5 }, "layers[1].size"},
		{"digest sha512", m, func(d obj) { layer(d, 0)["digest"] = dSHA512 }, ""},
		{"digest bad encoding", m, func(d obj) { layer(d, 0)["digest"] = "sha256:xyz" }, `layers[0].digest "sha256:xyz": invalid encoding`},
		{"digest uppercase hex", m, func(d obj) { layer(d, 0)["digest"] = strings.ToUpper(dA[:7]) + strings.ToUpper(dA[7:]) }, "layers[0].digest"},
		{"digest sha256 hex uppercase", m, func(d obj) { layer(d, 0)["digest"] = "sha256:" + strings.ToUpper(dA[7:]) }, `invalid encoding`},
		{"digest sha512 too short", m, func(d obj) { layer(d, 0)["digest"] = "sha512:" + dA[7:] }, "layers[0].digest"},
		{"digest unregistered algorithm", m, func(d obj) {
			layer(d, 0)["digest"] = "multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8"
		}, ""},
		{"digest bad algorithm", m, func(d obj) { layer(d, 0)["digest"] = "sha256+:" + dA[7:] }, "layers[0].digest"},
		{"digest without algorithm", m, func(d obj) { d["config"].(obj)["digest"] = dA[7:] }, "config.digest"},
		{"digest missing", m, func(d obj) { delete(d["config"].(obj), "digest") }, "config.digest: missing"},
		{"data matches", m, func(d obj) {
			d["config"] = obj{"mediaType": ocispec.MediaTypeEmptyJSON, "digest": dEmpty, "size": 2, "data": "e30="}
			d["artifactType"] = "application/vnd.example+type"
		}, ""},
		{"data wrong size", m, func(d obj) { d["config"].(obj)["data"] = "e30=" }, "config.data: holds 2 bytes"},
		{"data wrong content", m, func(d obj) {
			d["config"] = obj{"mediaType": ocispec.MediaTypeImageConfig, "digest": dEmpty, "size": 2, "data": "W10="}
		}, "config.data: hashes to"},
		{"data not base64", m, func(d obj) { d["config"].(obj)["data"] = "!!!" }, "config.data"},
		{"mediaType absent", m, func(d obj) { delete(d, "mediaType") }, ""},
		{"mediaType docker", m, func(d obj) { d["mediaType"] = MediaTypeDockerManifest }, ""},
		{"mediaType index", m, func(d obj) { d["mediaType"] = ocispec.MediaTypeImageIndex }, `mediaType "application/vnd.oci.image.index.v1+json": want application/vnd.oci.image.manifest.v1+json`},
		{"schemaVersion 3", m, func(d obj) { d["schemaVersion"] = 3 }, "schemaVersion: 3, want 2"},
		{"schemaVersion missing", m, func(d obj) { delete(d, "schemaVersion") }, "schemaVersion: missing"},
		{"config missing", m, func(d obj) { delete(d, "config") }, "config"},
		{"config mediaType malformed", m, func(d obj) { d["config"].(obj)["mediaType"] = "config" }, `config.mediaType "config": invalid media type`},
		{"config mediaType unknown", m, func(d obj) { d["config"].(obj)["mediaType"] = "application/vnd.example.config.v1+json" }, ""},
		{"empty config with artifactType", m, func(d obj) {
			d["config"] = obj{"mediaType": ocispec.MediaTypeEmptyJSON, "digest": dEmpty, "size": 2}
			d["artifactType"] = "application/vnd.example+type"
		}, ""},
		{"empty config without artifactType", m, func(d obj) {
			d["config"] = obj{"mediaType": ocispec.MediaTypeEmptyJSON, "digest": dEmpty, "size": 2}
		}, "artifactType: required when config.mediaType is application/vnd.oci.empty.v1+json"},
		{"artifactType is the empty type", m, func(d obj) { d["artifactType"] = ocispec.MediaTypeEmptyJSON }, "artifactType"},
		{"artifactType malformed", m, func(d obj) { d["artifactType"] = "sbom" }, `artifactType "sbom": invalid media type`},
		{"layers empty (umoci new)", m, func(d obj) { d["layers"] = []any{} }, ""},
		{"layers missing", m, func(d obj) { delete(d, "layers") }, "layers: missing"},
		{"layer unknown type in an image", m, func(d obj) { layer(d, 0)["mediaType"] = "application/vnd.example.layer.v1+tar" }, ""},
		{"layer is a config in an image", m, func(d obj) { layer(d, 0)["mediaType"] = ocispec.MediaTypeImageConfig }, "layers[0].mediaType"},
		{"layer is a config in an artifact", m, func(d obj) {
			d["config"].(obj)["mediaType"] = "application/vnd.example.config.v1+json"
			layer(d, 0)["mediaType"] = ocispec.MediaTypeImageConfig
		}, ""},
		{"layer docker foreign with urls", m, func(d obj) {
			layer(d, 0)["mediaType"] = MediaTypeDockerForeignLayer
			layer(d, 0)["urls"] = []any{"https://mcr.microsoft.com/v2/windows/blobs/" + dA}
		}, ""},
		{"layer url relative", m, func(d obj) { layer(d, 0)["urls"] = []any{"/relative/path"} }, `layers[0].urls[0] "/relative/path"`},
		{"subject manifest", m, func(d obj) { d["subject"] = desc(ocispec.MediaTypeImageManifest, dB, 7682) }, ""},
		{"subject is a layer", m, func(d obj) { d["subject"] = desc(ocispec.MediaTypeImageLayerGzip, dB, 7682) }, "subject.mediaType"},
		{"subject bad size", m, func(d obj) { d["subject"] = desc(ocispec.MediaTypeImageManifest, dB, -5) }, "subject.size: -5 is negative"},
		{"manifests in a manifest", m, func(d obj) { d["manifests"] = []any{} }, "manifests: not allowed in a manifest"},
		{"annotations", m, func(d obj) {
			d["annotations"] = obj{"com.example.key": "v", "maintainer": "x", ocispec.AnnotationCreated: "2023-01-02T03:04:05Z",
				ocispec.AnnotationBaseImageDigest: dA, ocispec.AnnotationBaseImageName: ""}
		}, ""},
		{"annotation created not RFC 3339", m, func(d obj) { d["annotations"] = obj{ocispec.AnnotationCreated: "2023-01-02"} }, `annotations.org.opencontainers.image.created "2023-01-02": not an RFC 3339 date-time`},
		{"annotation created empty", m, func(d obj) { d["annotations"] = obj{ocispec.AnnotationCreated: ""} }, ""},
		{"annotation base.digest bad", m, func(d obj) { d["annotations"] = obj{ocispec.AnnotationBaseImageDigest: "latest"} }, "annotations.org.opencontainers.image.base.digest"},
		{"annotation empty key", m, func(d obj) { layer(d, 1)["annotations"] = obj{"": "x"} }, "layers[1].annotations: empty key"},
		{"annotation value not a string", m, func(d obj) { d["annotations"] = obj{"com.example.n": 5} }, "annotations.com.example.n"},
	})
}

func TestIndexRules(t *testing.T) {
	x := baseIndex
	runRuleCases(t, parseIndexErr, []ruleCase{
		{"base is valid", x, func(obj) {}, ""},
		{"no manifests entries", x, func(d obj) { d["manifests"] = []any{} }, ""},
		{"manifests missing", x, func(d obj) { delete(d, "manifests") }, "index: manifests: missing"},
		{"mediaType manifest", x, func(d obj) { d["mediaType"] = ocispec.MediaTypeImageManifest }, "mediaType"},
		{"docker list", x, func(d obj) { d["mediaType"] = MediaTypeDockerManifestList }, ""},
		{"layers in an index", x, func(d obj) { d["layers"] = []any{} }, "layers: not allowed in an index"},
		{"entry digest bad", x, func(d obj) { entry(d, 0)["digest"] = "sha256:xyz" }, `index: manifests[0].digest "sha256:xyz": invalid encoding`},
		{"entry of unknown type", x, func(d obj) { entry(d, 0)["mediaType"] = "application/vnd.example.manifest.v9+json" }, ""},
		{"entry nested index", x, func(d obj) { entry(d, 0)["mediaType"] = ocispec.MediaTypeImageIndex; delete(entry(d, 0), "platform") }, ""},
		{"platform without os", x, func(d obj) { delete(entry(d, 0)["platform"].(obj), "os") }, "manifests[0].platform.os: missing"},
		{"platform without architecture", x, func(d obj) { delete(entry(d, 0)["platform"].(obj), "architecture") }, "manifests[0].platform.architecture"},
		{"platform unknown values", x, func(d obj) { entry(d, 0)["platform"] = obj{"os": "unknown", "architecture": "unknown"} }, ""},
		{"platform arch with a slash", x, func(d obj) { entry(d, 0)["platform"] = obj{"os": "linux", "architecture": "arm/v7"} }, `manifests[0].platform.architecture "arm/v7"`},
		{"platform full", x, func(d obj) {
			entry(d, 0)["platform"] = obj{"os": "windows", "architecture": "amd64", "os.version": "10.0.17763.1879", "os.features": []any{"win32k"}}
		}, ""},
		{"platform empty feature", x, func(d obj) { entry(d, 0)["platform"].(obj)["os.features"] = []any{""} }, "manifests[0].platform.os.features[0]: empty"},
		{"ref.name", x, func(d obj) {
			entry(d, 0)["annotations"] = obj{ocispec.AnnotationRefName: "docker.io/library/busybox:1.36--musl"}
		}, ""},
		{"ref.name with an underscore", x, func(d obj) { entry(d, 0)["annotations"] = obj{ocispec.AnnotationRefName: "3.19_edge"} }, ""},
		{"ref.name bad", x, func(d obj) { entry(d, 0)["annotations"] = obj{ocispec.AnnotationRefName: "my tag"} }, `manifests[0].annotations.org.opencontainers.image.ref.name "my tag"`},
		{"artifactType", x, func(d obj) { d["artifactType"] = "application/vnd.example.sbom.v1" }, ""},
		{"artifactType malformed", x, func(d obj) { d["artifactType"] = "application/" }, "artifactType"},
		{"subject", x, func(d obj) { d["subject"] = desc(ocispec.MediaTypeImageIndex, dB, 12) }, ""},
		{"subject without digest", x, func(d obj) { d["subject"] = obj{"mediaType": ocispec.MediaTypeImageIndex, "size": 12} }, "subject.digest: missing"},
	})
}

func TestConfigRules(t *testing.T) {
	c := baseConfig
	runRuleCases(t, parseConfigErr, []ruleCase{
		{"base is valid", c, func(obj) {}, ""},
		{"nulls are absent fields", c, func(d obj) {
			d["config"] = obj{"Env": nil, "Volumes": nil, "Entrypoint": nil, "Labels": nil}
			d["author"] = nil
		}, ""},
		{"rootfs type tar", c, func(d obj) { d["rootfs"].(obj)["type"] = "tar" }, `config: rootfs.type "tar": must be "layers"`},
		{"rootfs missing", c, func(d obj) { delete(d, "rootfs") }, "rootfs"},
		{"rootfs null", c, func(d obj) { d["rootfs"] = nil }, "rootfs"},
		{"diff_ids missing", c, func(d obj) { delete(d["rootfs"].(obj), "diff_ids") }, "rootfs.diff_ids: missing"},
		{"diff_id bad", c, func(d obj) { d["rootfs"].(obj)["diff_ids"] = []any{dA, "sha256:abc"} }, `rootfs.diff_ids[1] "sha256:abc": invalid encoding`},
		{"architecture missing", c, func(d obj) { delete(d, "architecture") }, "architecture: missing"},
		{"os empty", c, func(d obj) { d["os"] = "" }, "os: missing"},
		{"variant", c, func(d obj) { d["architecture"] = "arm"; d["variant"] = "v7" }, ""},
		{"created bad", c, func(d obj) { d["created"] = "last tuesday" }, `created "last tuesday": not a valid date-time`},
		{"history created bad", c, func(d obj) { d["history"].([]any)[0].(obj)["created"] = "2015-10-31" }, "history[0].created"},
		{"Env without =", c, func(d obj) { d["config"].(obj)["Env"] = []any{"PATH=/bin", "DEBUG"} }, `config.Env[1] "DEBUG": want NAME=value`},
		{"Env empty value", c, func(d obj) { d["config"].(obj)["Env"] = []any{"EMPTY="} }, ""},
		{"ExposedPorts kinds", c, func(d obj) { d["config"].(obj)["ExposedPorts"] = obj{"80": obj{}, "53/udp": obj{}, "9/sctp": obj{}} }, ""},
		{"ExposedPorts bad", c, func(d obj) { d["config"].(obj)["ExposedPorts"] = obj{"http/tcp": obj{}} }, `config.ExposedPorts "http/tcp"`},
		{"ExposedPorts bad protocol", c, func(d obj) { d["config"].(obj)["ExposedPorts"] = obj{"80/icmp": obj{}} }, "config.ExposedPorts"},
		{"Labels", c, func(d obj) {
			d["config"].(obj)["Labels"] = obj{"maintainer": "x", ocispec.AnnotationCreated: "whenever"}
		}, ""},
		{"Labels empty key", c, func(d obj) { d["config"].(obj)["Labels"] = obj{"": "x"} }, "config.Labels: empty key"},
		{"Cmd not a list", c, func(d obj) { d["config"].(obj)["Cmd"] = "sh" }, "config.Cmd"},
		{"unknown fields", c, func(d obj) { d["container_config"] = obj{"Hostname": "x"}; d["docker_version"] = "20.10" }, ""},
	})
}

func TestDocumentEncodingRules(t *testing.T) {
	valid, _ := json.Marshal(baseManifest())
	cases := []struct {
		name, data, want string
	}{
		{"duplicate name", `{"schemaVersion":2,"schemaVersion":2}`, "schemaVersion: duplicate name"},
		{"names differing in case", strings.Replace(string(valid), `"mediaType"`, `"MediaType":"x","mediaType"`, 1), "differs only in case"},
		{"invalid UTF-8", strings.Replace(string(valid), "layers", "lay\xffers", 1), "UTF-8"},
		{"trailing data", string(valid) + "{}", "trailing data"},
		{"truncated", string(valid[:len(valid)-3]), "not valid JSON"},
		{"not an object", `[1,2]`, "not a JSON object"},
		{"deep nesting", `{"a":` + strings.Repeat("[", 300) + strings.Repeat("]", 300) + `}`, "nested more than"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checkRule(t, parseManifestErr([]byte(c.data)), c.want)
		})
	}
	// Keys that differ in case are legitimate where keys are data.
	m := baseManifest()
	m["annotations"] = obj{"com.example.A": "1", "com.example.a": "2"}
	data, _ := json.Marshal(m)
	checkRule(t, parseManifestErr(data), "")
}

func TestDescriptorRules(t *testing.T) {
	d := func() obj { return desc(ocispec.MediaTypeImageManifest, dA, 7682) }
	parse := func(b []byte) error { _, err := ParseDescriptor(b); return err }
	runRuleCases(t, parse, []ruleCase{
		{"valid", d, func(obj) {}, ""},
		{"artifactType", d, func(o obj) { o["artifactType"] = "application/vnd.example.sbom.v1" }, ""},
		{"platform", d, func(o obj) { o["platform"] = obj{"os": "linux", "architecture": "arm64", "variant": "v8"} }, ""},
		{"platform without os", d, func(o obj) { o["platform"] = obj{"architecture": "arm64"} }, "descriptor: platform.os: missing"},
		{"size missing", d, func(o obj) { delete(o, "size") }, "size: missing"},
		{"size negative", d, func(o obj) { o["size"] = -1 }, "size: -1 is negative"},
		{"mediaType with parameters", d, func(o obj) { o["mediaType"] = "text/plain; charset=utf-8" }, "mediaType"},
	})
	good := ocispec.DescriptorEmptyJSON
	if err := ValidateDescriptor(good); err != nil {
		t.Errorf("DescriptorEmptyJSON: %v", err)
	}
	bad := good
	bad.Size = -2
	checkRule(t, ValidateDescriptor(bad), "descriptor: size: -2 is negative")
	bad = good
	bad.Data = []byte("[]")
	checkRule(t, ValidateDescriptor(bad), "data: hashes to")
}

func TestValidateDispatch(t *testing.T) {
	oci, _ := json.Marshal(baseManifest())
	docker := strings.Replace(string(oci), ocispec.MediaTypeImageManifest, MediaTypeDockerManifest, 1)
	cases := []struct {
		mt, data string
		kind     error // nil for valid
		want     string
	}{
		{ocispec.MediaTypeImageManifest, string(oci), nil, ""},
		{MediaTypeDockerManifest, docker, nil, ""},
		{MediaTypeDockerManifest, string(oci), errdefs.ErrInvalidArgument, `mediaType "application/vnd.oci.image.manifest.v1+json": want application/vnd.docker`},
		{ocispec.MediaTypeImageManifest, docker, errdefs.ErrInvalidArgument, "mediaType"},
		{ocispec.MediaTypeImageIndex, string(oci), errdefs.ErrInvalidArgument, "index: "},
		{ocispec.MediaTypeEmptyJSON, `{}`, nil, ""},
		{ocispec.MediaTypeEmptyJSON, `{"a":1}`, errdefs.ErrInvalidArgument, "empty: want the empty JSON object"},
		{ocispec.MediaTypeLayoutHeader, `{"imageLayoutVersion":"1.0.0"}`, nil, ""},
		{ocispec.MediaTypeLayoutHeader, `{"imageLayoutVersion":"2.0.0"}`, errdefs.ErrInvalidArgument, "imageLayoutVersion"},
		{ocispec.MediaTypeImageLayerGzip, "\x1f\x8b", errdefs.ErrNotImplemented, "no validator"},
		{"application/vnd.example+json", `{}`, errdefs.ErrNotImplemented, `"application/vnd.example+json"`},
	}
	for _, c := range cases {
		err := Validate(c.mt, []byte(c.data))
		switch {
		case c.kind == nil && err != nil:
			t.Errorf("Validate(%s): %v", c.mt, err)
		case c.kind != nil && !errors.Is(err, c.kind):
			t.Errorf("Validate(%s) = %v, want %v", c.mt, err, c.kind)
		case c.kind != nil && !strings.Contains(err.Error(), c.want):
			t.Errorf("Validate(%s) = %q, want it to say %q", c.mt, err, c.want)
		}
	}
}

func TestInvalidErrorLists(t *testing.T) {
	m := baseManifest()
	layer(m, 0)["size"] = -1
	layer(m, 1)["digest"] = "sha256:xyz"
	data, _ := json.Marshal(m)
	_, err := ParseManifest(data)
	var ie *InvalidError
	if !errors.As(err, &ie) || len(ie.Problems) != 2 {
		t.Fatalf("want an InvalidError with 2 problems, got %#v", err)
	}
	if ie.Problems[0].Field != "layers[0].size" || ie.Problems[1].Field != "layers[1].digest" {
		t.Errorf("problems: %+v", ie.Problems)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error spans lines: %q", err)
	}
	// A document breaking a rule many times still gives a readable line.
	var layers []any
	for range 1000 {
		layers = append(layers, desc(ocispec.MediaTypeImageLayerGzip, dA, -1))
	}
	m["layers"] = layers
	data, _ = json.Marshal(m)
	_, err = ParseManifest(data)
	if !errors.As(err, &ie) || len(ie.Problems) < 1000 || len(err.Error()) > 1000 || !strings.Contains(err.Error(), "more") {
		t.Errorf("1000 problems: %d problems, message %d bytes", len(ie.Problems), len(err.Error()))
	}
}
