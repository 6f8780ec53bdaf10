package image

import (
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// The semantic rules of the spec text, beyond what the JSON schemas say.
// Each check records problems under the path of the field it judges.

// mediaTypeGrammar is RFC 6838 section 4.2 as the image-spec schemas encode it.
var mediaTypeGrammar = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$`)
})

func checkMediaType(p *problems, field, mt string) {
	switch {
	case mt == "":
		p.add(field, "missing")
	case !mediaTypeGrammar().MatchString(mt):
		p.addValue(field, mt, "invalid media type: want type/subtype as in RFC 6838")
	}
}

// checkDescriptor applies descriptor.md to d, found at field.
func checkDescriptor(p *problems, field string, d ocispec.Descriptor) {
	checkMediaType(p, join(field, "mediaType"), d.MediaType)
	if why := digestProblem(d.Digest); why != "" {
		p.addValue(join(field, "digest"), string(d.Digest), "%s", why)
	}
	if d.Size < 0 {
		p.add(join(field, "size"), "%d is negative", d.Size)
	}
	for i, u := range d.URLs {
		if parsed, err := url.Parse(u); err != nil || !parsed.IsAbs() {
			p.addValue(index(join(field, "urls"), i), u, "not an absolute URI (RFC 3986)")
		}
	}
	checkAnnotations(p, join(field, "annotations"), d.Annotations)
	if d.Data != nil {
		checkData(p, join(field, "data"), d)
	}
	if d.ArtifactType != "" {
		checkMediaType(p, join(field, "artifactType"), d.ArtifactType)
	}
	if d.Platform != nil {
		checkPlatform(p, join(field, "platform"), *d.Platform)
	}
}

// checkData verifies embedded content against the size and digest beside
// it: descriptor.md requires it to be identical to the referenced content.
func checkData(p *problems, field string, d ocispec.Descriptor) {
	if int64(len(d.Data)) != d.Size {
		p.add(field, "holds %d bytes, size says %d", len(d.Data), d.Size)
		return
	}
	if digestProblem(d.Digest) != "" || !d.Digest.Algorithm().Available() {
		return
	}
	if got := d.Digest.Algorithm().FromBytes(d.Data); got != d.Digest {
		p.add(field, "hashes to %s, not to the digest %s", got, d.Digest)
	}
}

// checkPlatform applies the platform rules of image-index.md and config.md.
// Unknown os and architecture values are accepted (the spec says SHOULD use
// GOOS/GOARCH values, and buildkit writes "unknown" for attestations), but
// they must be single tokens so that os/arch/variant stays unambiguous.
func checkPlatform(p *problems, prefix string, pl ocispec.Platform) {
	checkToken(p, join(prefix, "os"), pl.OS, true)
	checkToken(p, join(prefix, "architecture"), pl.Architecture, true)
	checkToken(p, join(prefix, "variant"), pl.Variant, false)
	for i, f := range pl.OSFeatures {
		if f == "" {
			p.add(index(join(prefix, "os.features"), i), "empty")
		}
	}
}

func checkToken(p *problems, field, v string, required bool) {
	switch {
	case v == "" && required:
		p.add(field, "missing")
	case strings.ContainsAny(v, "/ \t\r\n"):
		p.addValue(field, v, "must not contain a slash or white space")
	}
}

// checkManifest applies manifest.md to m. flavor is the manifest media type
// the document is judged as (OCI or Docker); doc is the generic decode, for
// the fields the typed one does not keep.
func checkManifest(p *problems, m *ocispec.Manifest, doc any, flavor string) {
	checkSchemaVersion(p, m.SchemaVersion, doc)
	if m.MediaType != "" && m.MediaType != flavor {
		p.addValue("mediaType", m.MediaType, "want %s", flavor)
	}
	if _, ok := member(doc, "manifests"); ok {
		p.add("manifests", "not allowed in a manifest: the document would be ambiguous with an index")
	}
	checkArtifactType(p, m.ArtifactType)
	checkDescriptor(p, "config", m.Config)
	if m.Config.MediaType == ocispec.MediaTypeEmptyJSON && m.ArtifactType == "" && flavor == ocispec.MediaTypeImageManifest {
		p.add("artifactType", "required when config.mediaType is %s", ocispec.MediaTypeEmptyJSON)
	}
	image := IsConfig(m.Config.MediaType)
	for i, l := range m.Layers {
		field := index("layers", i)
		checkDescriptor(p, field, l)
		// Unknown layer types must pass (artifacts use their own), but a
		// known document type cannot be a layer of a runnable image.
		if image && isDocument(l.MediaType) {
			p.addValue(join(field, "mediaType"), l.MediaType, "not a layer media type")
		}
	}
	checkSubject(p, m.Subject)
	checkAnnotations(p, "annotations", m.Annotations)
}

// checkIndex applies image-index.md to idx; see checkManifest.
func checkIndex(p *problems, idx *ocispec.Index, doc any, flavor string) {
	checkSchemaVersion(p, idx.SchemaVersion, doc)
	if idx.MediaType != "" && idx.MediaType != flavor {
		p.addValue("mediaType", idx.MediaType, "want %s", flavor)
	}
	for _, f := range []string{"config", "layers"} {
		if _, ok := member(doc, f); ok {
			p.add(f, "not allowed in an index: the document would be ambiguous with a manifest")
		}
	}
	if _, ok := member(doc, "manifests"); !ok {
		p.add("manifests", "missing")
	}
	checkArtifactType(p, idx.ArtifactType)
	for i, d := range idx.Manifests {
		checkDescriptor(p, index("manifests", i), d)
	}
	checkSubject(p, idx.Subject)
	checkAnnotations(p, "annotations", idx.Annotations)
}

func checkSchemaVersion(p *problems, v int, doc any) {
	if _, ok := member(doc, "schemaVersion"); !ok {
		p.add("schemaVersion", "missing")
	} else if v != 2 {
		p.add("schemaVersion", "%d, want 2", v)
	}
}

func checkArtifactType(p *problems, at string) {
	if at == "" {
		return
	}
	checkMediaType(p, "artifactType", at)
	if at == ocispec.MediaTypeEmptyJSON {
		p.addValue("artifactType", at, "the empty media type names no artifact")
	}
}

// checkSubject: the subject is "a descriptor of another manifest"; an
// unknown media type may be a future manifest format, a known blob type
// cannot be.
func checkSubject(p *problems, s *ocispec.Descriptor) {
	if s == nil {
		return
	}
	checkDescriptor(p, "subject", *s)
	if IsLayer(s.MediaType) || IsConfig(s.MediaType) || s.MediaType == ocispec.MediaTypeEmptyJSON {
		p.addValue("subject.mediaType", s.MediaType, "the subject must be a manifest")
	}
}

// checkConfig applies config.md to c.
func checkConfig(p *problems, c *ocispec.Image) {
	checkPlatform(p, "", c.Platform)
	if c.RootFS.Type != "layers" {
		p.addValue("rootfs.type", c.RootFS.Type, `must be "layers"`)
	}
	for i, d := range c.RootFS.DiffIDs {
		if why := digestProblem(d); why != "" {
			p.addValue(index("rootfs.diff_ids", i), string(d), "%s", why)
		}
	}
	checkLabels(p, "config.Labels", c.Config.Labels)
	for i, e := range c.Config.Env {
		if name, _, ok := strings.Cut(e, "="); !ok || name == "" {
			p.addValue(index("config.Env", i), e, "want NAME=value")
		}
	}
	for _, k := range slices.Sorted(maps.Keys(c.Config.ExposedPorts)) {
		if !validPort(k) {
			p.addValue("config.ExposedPorts", k, "want port, port/tcp, port/udp or port/sctp")
		}
	}
}

// validPort accepts the keys of ExposedPorts: "port/tcp", "port/udp",
// "port" (tcp), and Docker's "port/sctp".
func validPort(k string) bool {
	port, proto, ok := strings.Cut(k, "/")
	if ok && proto != "tcp" && proto != "udp" && proto != "sctp" {
		return false
	}
	n, err := strconv.ParseUint(port, 10, 16)
	return err == nil && n > 0
}

// isDocument reports whether mt is one of the JSON document types that
// describe images rather than hold their content.
func isDocument(mt string) bool {
	return IsManifest(mt) || IsIndex(mt) || IsConfig(mt) || IsSchema1(mt) ||
		mt == ocispec.MediaTypeDescriptor || mt == ocispec.MediaTypeLayoutHeader
}
