package image

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/berth-oci/berth/errdefs"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Every parser below checks a document against its image-spec JSON schema
// and the semantic rules of the spec text, and returns either the decoded
// document or an *InvalidError (errdefs.ErrInvalidArgument) naming each
// offending field. Documents in Docker's schema 2 media types are accepted
// and returned as decoded, with their Docker media types: ConvertManifest and
// friends turn them into OCI. Unknown fields are ignored, as the spec asks.

// ParseManifest decodes and validates an image manifest (OCI, or Docker
// schema 2 when its mediaType says so).
func ParseManifest(data []byte) (*ocispec.Manifest, error) {
	return parseManifest(data, "")
}

// ParseIndex decodes and validates an image index (OCI, or a Docker manifest
// list when its mediaType says so).
func ParseIndex(data []byte) (*ocispec.Index, error) {
	return parseIndex(data, "")
}

// ParseConfig decodes and validates an image configuration, OCI or Docker
// (the Docker container config is a superset; its extra fields are dropped).
func ParseConfig(data []byte) (*ocispec.Image, error) {
	p := &problems{doc: "config"}
	doc, ok := decode(p, data)
	if !ok {
		return nil, p.err()
	}
	doc = stripNulls(doc)
	var c ocispec.Image
	if decodeTyped(p, data, &c, doc, schemaConfig) {
		checkConfig(p, &c)
		checkSchema(p, schemaConfig, doc)
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return &c, nil
}

// ParseDescriptor decodes and validates a content descriptor
// (application/vnd.oci.descriptor.v1+json).
func ParseDescriptor(data []byte) (*ocispec.Descriptor, error) {
	p := &problems{doc: "descriptor"}
	doc, ok := decode(p, data)
	if !ok {
		return nil, p.err()
	}
	var d ocispec.Descriptor
	if decodeTyped(p, data, &d, doc, schemaDescriptor) {
		checkDescriptor(p, "", d)
		checkSchema(p, schemaDescriptor, doc)
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return &d, nil
}

// ValidateDescriptor applies the rules of descriptor.md to a descriptor
// already in memory: media type syntax, digest grammar and encoding,
// non-negative size, absolute urls, annotations, embedded data matching
// size and digest, and its platform when set.
func ValidateDescriptor(d ocispec.Descriptor) error {
	p := &problems{doc: "descriptor"}
	checkDescriptor(p, "", d)
	return p.err()
}

// Validate checks data as a document of media type mt, which must be one
// of the JSON types berth reads: OCI and Docker manifests, indexes and
// manifest lists, image configs, descriptors, the layout header and the empty
// descriptor's blob. A document whose own mediaType field disagrees with mt
// is invalid. Schema 1 gives ErrSchema1; any other media type (layers
// included) gives errdefs.ErrNotImplemented, as berth cannot judge it.
func Validate(mt string, data []byte) error {
	var err error
	switch {
	case IsSchema1(mt):
		return schema1("media type " + mt)
	case IsManifest(mt):
		_, err = parseManifest(data, mt)
	case IsIndex(mt):
		_, err = parseIndex(data, mt)
	case IsConfig(mt):
		_, err = ParseConfig(data)
	case mt == ocispec.MediaTypeDescriptor:
		_, err = ParseDescriptor(data)
	case mt == ocispec.MediaTypeLayoutHeader:
		err = validateLayoutHeader(data)
	case mt == ocispec.MediaTypeEmptyJSON:
		err = validateEmpty(data)
	default:
		return fmt.Errorf("validate %q: no validator for this media type: %w", mt, errdefs.ErrNotImplemented)
	}
	return err
}

func parseManifest(data []byte, expected string) (*ocispec.Manifest, error) {
	p := &problems{doc: "manifest"}
	doc, ok := decode(p, data)
	if !ok {
		return nil, p.err()
	}
	if err := refuseSchema1(doc); err != nil {
		return nil, err
	}
	var m ocispec.Manifest
	if decodeTyped(p, data, &m, doc, schemaManifest) {
		checkManifest(p, &m, doc, flavor(expected, m.MediaType, ocispec.MediaTypeImageManifest, MediaTypeDockerManifest))
		checkSchema(p, schemaManifest, doc)
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return &m, nil
}

func parseIndex(data []byte, expected string) (*ocispec.Index, error) {
	p := &problems{doc: "index"}
	doc, ok := decode(p, data)
	if !ok {
		return nil, p.err()
	}
	if err := refuseSchema1(doc); err != nil {
		return nil, err
	}
	var idx ocispec.Index
	if decodeTyped(p, data, &idx, doc, schemaIndex) {
		checkIndex(p, &idx, doc, flavor(expected, idx.MediaType, ocispec.MediaTypeImageIndex, MediaTypeDockerManifestList))
		checkSchema(p, schemaIndex, doc)
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return &idx, nil
}

// flavor says which media type a manifest or index is judged as: the one
// the caller expects, else Docker's when the document declares it, else OCI.
func flavor(expected, declared, oci, docker string) string {
	switch {
	case expected != "":
		return expected
	case declared == docker:
		return docker
	default:
		return oci
	}
}

func validateLayoutHeader(data []byte) error {
	p := &problems{doc: "oci-layout"}
	if doc, ok := decode(p, data); ok {
		checkSchema(p, schemaLayout, doc)
	}
	return p.err()
}

// validateEmpty checks the blob of the empty descriptor: a JSON object with
// no members, "{}" (manifest.md, guidance for an empty descriptor).
func validateEmpty(data []byte) error {
	p := &problems{doc: "empty"}
	if doc, ok := decode(p, data); ok {
		if obj, isObj := doc.(map[string]any); !isObj || len(obj) != 0 {
			p.add("", "want the empty JSON object {}")
		}
	}
	return p.err()
}

func decode(p *problems, data []byte) (any, bool) {
	doc, err := decodeDoc(data)
	if err != nil {
		p.add("", "%v", err)
		return nil, false
	}
	if _, ok := doc.(map[string]any); !ok {
		p.add("", "not a JSON object")
		return nil, false
	}
	return doc, true
}

// decodeTyped unmarshals data into v. When that fails, the schema usually
// says where and why better than encoding/json does, so it speaks first.
func decodeTyped(p *problems, data []byte, v any, doc any, schema string) bool {
	err := json.Unmarshal(data, v)
	if err == nil {
		return true
	}
	checkSchema(p, schema, doc)
	if len(p.list) > 0 {
		return false
	}
	var te *json.UnmarshalTypeError
	var be base64.CorruptInputError
	if errors.As(err, &be) {
		p.add(badBase64(doc, ""), "not valid base64: %v", be)
		return false
	}
	if errors.As(err, &te) {
		p.add(te.Field, "a JSON %s cannot be a %s", te.Value, te.Type)
		return false
	}
	p.add("", "%s", strings.TrimPrefix(err.Error(), "json: "))
	return false
}

// badBase64 finds the path of the "data" member that is not base64, which
// encoding/json does not report.
func badBase64(doc any, path string) string {
	switch v := doc.(type) {
	case map[string]any:
		if s, ok := v["data"].(string); ok {
			if _, err := base64.StdEncoding.DecodeString(s); err != nil {
				return join(path, "data")
			}
		}
		for _, k := range slices.Sorted(maps.Keys(v)) {
			if found := badBase64(v[k], join(path, k)); found != "" {
				return found
			}
		}
	case []any:
		for i, e := range v {
			if found := badBase64(e, index(path, i)); found != "" {
				return found
			}
		}
	}
	return ""
}

// refuseSchema1 recognises Docker's schema 1 by its mediaType or its
// schemaVersion, so that it gets a useful refusal rather than a list of
// missing fields.
func refuseSchema1(doc any) error {
	if mt, ok := member(doc, "mediaType"); ok {
		if s, _ := mt.(string); IsSchema1(s) {
			return schema1("media type " + s)
		}
	}
	if n, ok := hasNumber(doc, "schemaVersion"); ok && n.String() == "1" {
		return schema1("schemaVersion 1")
	}
	return nil
}
