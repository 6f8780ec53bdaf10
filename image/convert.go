package image

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/berth-oci/berth/errdefs"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Converting a Docker schema 2 image to OCI goes bottom up, since each
// document names its children by digest:
//
//	cfg, cfgDesc, _ := ConvertConfig(dockerConfig)        // write cfg
//	man, _, _ := ConvertManifest(dockerManifest, cfgDesc) // write man
//	ConvertIndex(dockerList, map[old digest]Describe(MediaTypeImageManifest, man))
//
// Layers keep their bytes (OCI and Docker layers are the same tar streams);
// only their media types change, so diff_ids and layer digests stay valid.

// OCIMediaType returns the OCI media type equivalent to a Docker schema 2
// media type: manifest, manifest list, config, and the layer types (foreign
// layers become OCI's non-distributable gzip layers: deprecated, but the
// only OCI type that says "fetch me from urls"). Other types are returned as
// they are.
func OCIMediaType(mt string) string {
	switch mt {
	case MediaTypeDockerManifest:
		return ocispec.MediaTypeImageManifest
	case MediaTypeDockerManifestList:
		return ocispec.MediaTypeImageIndex
	case MediaTypeDockerConfig:
		return ocispec.MediaTypeImageConfig
	case MediaTypeDockerLayer:
		return ocispec.MediaTypeImageLayer
	case MediaTypeDockerLayerGzip:
		return ocispec.MediaTypeImageLayerGzip
	case MediaTypeDockerLayerZstd:
		return ocispec.MediaTypeImageLayerZstd
	case MediaTypeDockerForeignLayer:
		return ocispec.MediaTypeImageLayerNonDistributableGzip //nolint:staticcheck // the mapping the spec's matrix implies
	}
	return mt
}

// ociConfigKeys are the fields an OCI image config keeps, by object: the
// fields of config.md, including those it reserves for compatibility with
// Docker (Memory, MemorySwap, CpuShares, Healthcheck); nil keeps the value
// whole. Docker's others (container_config, docker_version, ...) go.
var ociConfigKeys = map[string][]string{
	"created": nil, "author": nil, "architecture": nil, "os": nil, "os.version": nil,
	"os.features": nil, "variant": nil,
	"config": {"User", "ExposedPorts", "Env", "Entrypoint", "Cmd", "Volumes", "WorkingDir",
		"Labels", "StopSignal", "ArgsEscaped", "Memory", "MemorySwap", "CpuShares", "Healthcheck"},
	"rootfs":  {"type", "diff_ids"},
	"history": {"created", "author", "created_by", "comment", "empty_layer"},
}

// ConvertConfig turns an image config (Docker's, or OCI's with extra
// fields) into an OCI image config holding only the fields config.md
// defines, values untouched and nulls dropped. The bytes change, so does the
// digest: it returns the new bytes and their descriptor.
func ConvertConfig(data []byte) ([]byte, ocispec.Descriptor, error) {
	if _, err := ParseConfig(data); err != nil {
		return nil, ocispec.Descriptor{}, fmt.Errorf("convert config: %w", err)
	}
	doc, err := decodeDoc(data)
	if err != nil { // cannot happen: ParseConfig decoded it
		return nil, ocispec.Descriptor{}, fmt.Errorf("convert config: %v: %w", err, errdefs.ErrInvalidArgument)
	}
	obj := stripNulls(doc).(map[string]any)
	out := map[string]any{}
	for k, keep := range ociConfigKeys {
		if v, ok := obj[k]; ok {
			out[k] = keepOnly(v, keep)
		}
	}
	b, err := marshal(out)
	if err != nil {
		return nil, ocispec.Descriptor{}, fmt.Errorf("convert config: %w", err)
	}
	return b, Describe(ocispec.MediaTypeImageConfig, b), nil
}

// keepOnly drops the members of an object (or of each object of an array)
// not named in keys; nil keys keep everything.
func keepOnly(v any, keys []string) any {
	if keys == nil {
		return v
	}
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for _, k := range keys {
			if e, ok := v[k]; ok {
				out[k] = e
			}
		}
		return out
	case []any:
		for i, e := range v {
			v[i] = keepOnly(e, keys)
		}
	}
	return v
}

// ConvertManifest turns a Docker schema 2 manifest into an OCI manifest
// referencing config, the descriptor ConvertConfig returned for its config,
// with each layer's media type mapped by OCIMediaType. It returns the new
// bytes and the manifest they hold, which validates as OCI.
func ConvertManifest(data []byte, config ocispec.Descriptor) ([]byte, *ocispec.Manifest, error) {
	m, err := ParseManifest(data)
	if err != nil {
		return nil, nil, fmt.Errorf("convert manifest: %w", err)
	}
	if m.MediaType != MediaTypeDockerManifest {
		return nil, nil, fmt.Errorf("convert manifest: media type %q is not %s: %w", m.MediaType, MediaTypeDockerManifest, errdefs.ErrInvalidArgument)
	}
	if err := ValidateDescriptor(config); err != nil {
		return nil, nil, fmt.Errorf("convert manifest: new config: %w", err)
	}
	config.MediaType = OCIMediaType(config.MediaType)
	out := &ocispec.Manifest{
		Versioned:   m.Versioned,
		MediaType:   ocispec.MediaTypeImageManifest,
		Config:      config,
		Layers:      make([]ocispec.Descriptor, len(m.Layers)),
		Annotations: m.Annotations,
	}
	for i, l := range m.Layers {
		l.MediaType = OCIMediaType(l.MediaType)
		out.Layers[i] = l
	}
	return finish(out, ocispec.MediaTypeImageManifest, "convert manifest")
}

// ConvertIndex turns a Docker manifest list into an OCI index. converted
// maps the digest of each Docker manifest it lists to the descriptor of its
// OCI conversion; each entry keeps its platform (and annotations, unless the
// new descriptor has its own). An entry that is already OCI or of unknown
// type is kept; a Docker one missing from converted is an
// errdefs.ErrFailedPrecondition, as the index would point at Docker content.
func ConvertIndex(data []byte, converted map[digest.Digest]ocispec.Descriptor) ([]byte, *ocispec.Index, error) {
	idx, err := ParseIndex(data)
	if err != nil {
		return nil, nil, fmt.Errorf("convert index: %w", err)
	}
	if idx.MediaType != MediaTypeDockerManifestList {
		return nil, nil, fmt.Errorf("convert index: media type %q is not %s: %w", idx.MediaType, MediaTypeDockerManifestList, errdefs.ErrInvalidArgument)
	}
	out := &ocispec.Index{
		Versioned:   idx.Versioned,
		MediaType:   ocispec.MediaTypeImageIndex,
		Manifests:   make([]ocispec.Descriptor, len(idx.Manifests)),
		Annotations: idx.Annotations,
	}
	for i, d := range idx.Manifests {
		nd, ok := converted[d.Digest]
		switch {
		case ok:
			nd.Platform = d.Platform
			if nd.Annotations == nil {
				nd.Annotations = d.Annotations
			}
		case OCIMediaType(d.MediaType) != d.MediaType:
			return nil, nil, fmt.Errorf("convert index: manifests[%d] %s: no OCI conversion of this %s given: %w", i, d.Digest, d.MediaType, errdefs.ErrFailedPrecondition)
		default:
			nd = d
		}
		out.Manifests[i] = nd
	}
	return finish(out, ocispec.MediaTypeImageIndex, "convert index")
}

// finish serializes a converted document and validates the result as mt,
// so that a conversion never hands out what berth itself would refuse.
func finish[T any](doc *T, mt, what string) ([]byte, *T, error) {
	b, err := marshal(doc)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", what, err)
	}
	if err := Validate(mt, b); err != nil {
		return nil, nil, fmt.Errorf("%s: result: %w", what, err)
	}
	return b, doc, nil
}

// marshal writes compact JSON without HTML escaping: "<" in an author's
// address stays "<".
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
