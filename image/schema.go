package image

import (
	"embed"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// The JSON schemas of the image-spec, copied verbatim from the spec so that
// validation needs neither the network nor the spec module's loader.
//
//go:embed schema/*.json
var schemaFS embed.FS

const (
	schemaManifest   = "image-manifest-schema.json"
	schemaIndex      = "image-index-schema.json"
	schemaConfig     = "config-schema.json"
	schemaDescriptor = "content-descriptor.json"
	schemaLayout     = "image-layout-schema.json"
)

var (
	schemaOnce sync.Once
	schemas    map[string]*schemaNode
	schemaErr  error
)

// compiled returns the compiled schema of one file, compiling them all on
// first use. The schemas refer to each other by URLs under
// opencontainers.org; every such URL resolves to the embedded file of the
// same base name.
func compiled(name string) (*schemaNode, error) {
	schemaOnce.Do(func() {
		set := newSchemaSet(func(file string) ([]byte, error) { return schemaFS.ReadFile("schema/" + file) })
		schemas = map[string]*schemaNode{}
		for _, n := range []string{schemaManifest, schemaIndex, schemaConfig, schemaDescriptor, schemaLayout} {
			s, err := set.compileFile(n)
			if err != nil {
				schemaErr = fmt.Errorf("compile embedded schema %s: %w", n, err)
				return
			}
			schemas[n] = s
		}
	})
	if schemaErr != nil {
		return nil, schemaErr
	}
	return schemas[name], nil
}

// relaxed lists schema rules that are stricter than the spec text, keyed by
// the keyword's location in the schema. manifest.md says layers SHOULD have
// at least one entry, and umoci and buildah write images with none; a reader
// that refused them could not open what those tools make.
var relaxed = map[string]bool{"/properties/layers/minItems": true}

// checkSchema validates doc against the named schema and records each
// violation under the path of the offending field.
func checkSchema(p *problems, name string, doc any) {
	s, err := compiled(name)
	if err != nil {
		p.add("", "%v", err)
		return
	}
	seen := p.covered()
	var found []Problem
	for _, v := range s.validate(doc) {
		if relaxed[v.KeywordLocation] {
			continue
		}
		for _, pr := range translate(v, doc) {
			if seen[pr.Field] {
				continue
			}
			seen[pr.Field] = true
			found = append(found, pr)
		}
	}
	sort.SliceStable(found, func(i, j int) bool { return found[i].Field < found[j].Field })
	p.list = append(p.list, found...)
}

var quotedName = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`'([^']*)'`)
})

// translate turns one schema violation into problems worded for a person
// who wrote the document rather than the schema.
func translate(ve schemaViolation, doc any) []Problem {
	field, value := resolve(doc, ve.InstanceLocation)
	keyword := path.Base(ve.KeywordLocation)
	switch keyword {
	case "required":
		var out []Problem
		for _, m := range quotedName().FindAllStringSubmatch(ve.Message, -1) {
			out = append(out, Problem{Field: join(field, m[1]), Msg: "missing"})
		}
		if out != nil {
			return out
		}
	case "minimum":
		if n, ok := value.(fmt.Stringer); ok && strings.HasPrefix(n.String(), "-") && strings.Contains(ve.Message, ">= 0 ") {
			return []Problem{{Field: field, Msg: n.String() + " is negative"}}
		}
	case "pattern":
		s, _ := value.(string)
		return []Problem{{Field: field, Value: s, Msg: "invalid " + patternName(field)}}
	case "format":
		s, _ := value.(string)
		format := "format"
		if m := quotedName().FindAllStringSubmatch(ve.Message, -1); m != nil {
			format = m[len(m)-1][1] // the message quotes the value, then the format
		}
		return []Problem{{Field: field, Value: s, Msg: "not a valid " + format}}
	case "enum":
		s, _ := value.(string)
		return []Problem{{Field: field, Value: s, Msg: ve.Message}}
	}
	return []Problem{{Field: field, Msg: ve.Message}}
}

// patternName names what a pattern rule in the schemas checks, by the
// field it applies to.
func patternName(field string) string {
	switch last := field[strings.LastIndexAny(field, ".]")+1:]; last {
	case "digest":
		return "digest: want algorithm:encoded"
	case "mediaType", "artifactType":
		return "media type: want type/subtype as in RFC 6838"
	default:
		return "format"
	}
}

// resolve follows a JSON pointer through doc and returns the field path it
// designates, "/layers/2/size" becoming "layers[2].size", and the value there
// (nil when absent).
func resolve(doc any, ptr string) (string, any) {
	var field string
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		if tok == "" {
			continue
		}
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		switch v := doc.(type) {
		case []any:
			i, err := strconv.Atoi(tok)
			field = index(field, i)
			doc = nil
			if err == nil && i >= 0 && i < len(v) {
				doc = v[i]
			}
		case map[string]any:
			field, doc = join(field, tok), v[tok]
		default:
			field, doc = join(field, tok), nil
		}
	}
	return field, doc
}
