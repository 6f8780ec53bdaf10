package image

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// The validator of schemacheck.go must say what a complete draft-4
// validator says on the embedded schemas: the same violations (keyword,
// instance and message), and for each instance in the same order (the
// first one per field is the one reported). The reference is
// santhosh-tekuri/jsonschema, which berth used before; it stays a test
// dependency only.

var allSchemas = []string{schemaManifest, schemaIndex, schemaConfig, schemaDescriptor, schemaLayout}

func referenceSchemas(t testing.TB) map[string]*jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft4
	c.LoadURL = func(s string) (io.ReadCloser, error) {
		u, err := url.Parse(s)
		if err != nil {
			return nil, err
		}
		return schemaFS.Open("schema/" + path.Base(u.Path))
	}
	out := map[string]*jsonschema.Schema{}
	for _, n := range allSchemas {
		s, err := c.Compile("https://opencontainers.org/schema/embedded/" + n)
		if err != nil {
			t.Fatal(err)
		}
		out[n] = s
	}
	return out
}

func referenceLeaves(ve *jsonschema.ValidationError, out *[]schemaViolation) {
	if len(ve.Causes) == 0 {
		*out = append(*out, schemaViolation{ve.KeywordLocation, ve.InstanceLocation, ve.Message})
		return
	}
	for _, c := range ve.Causes {
		referenceLeaves(c, out)
	}
}

// byInstance groups violations by instance, in order within each.
func byInstance(vs []schemaViolation) map[string][]string {
	m := map[string][]string{}
	for _, v := range vs {
		m[v.InstanceLocation] = append(m[v.InstanceLocation], v.KeywordLocation+" | "+v.Message)
	}
	return m
}

// agree compares both validators on doc and returns the differences,
// leaving out "format" violations unless withFormats.
func agree(t testing.TB, ref map[string]*jsonschema.Schema, doc any, withFormats bool) string {
	t.Helper()
	var diffs []string
	for _, name := range allSchemas {
		var want []schemaViolation
		if err := ref[name].Validate(doc); err != nil {
			ve, ok := err.(*jsonschema.ValidationError)
			if !ok {
				t.Fatalf("reference validator: %v", err)
			}
			referenceLeaves(ve, &want)
		}
		s, err := compiled(name)
		if err != nil {
			t.Fatal(err)
		}
		got := s.validate(doc)
		if !withFormats {
			isFormat := func(v schemaViolation) bool { return path.Base(v.KeywordLocation) == "format" }
			want, got = slices.DeleteFunc(want, isFormat), slices.DeleteFunc(got, isFormat)
		}
		w, g := byInstance(want), byInstance(got)
		for _, inst := range sortedKeys(w) {
			if !slices.Equal(w[inst], g[inst]) {
				diffs = append(diffs, fmt.Sprintf("%s %q:\n  want %q\n   got %q", name, inst, w[inst], g[inst]))
			}
		}
		for _, inst := range sortedKeys(g) {
			if _, ok := w[inst]; !ok {
				diffs = append(diffs, fmt.Sprintf("%s %q: unexpected %q", name, inst, g[inst]))
			}
		}
	}
	return strings.Join(diffs, "\n")
}

func testdataDocs(t testing.TB) map[string]any {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	docs := map[string]any{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := decodeDoc(b)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		docs[filepath.Base(f)] = doc
	}
	for name, v := range map[string]any{"manifest": baseManifest(), "index": baseIndex(), "config": baseConfig()} {
		b, _ := json.Marshal(v)
		doc, err := decodeDoc(b)
		if err != nil {
			t.Fatal(err)
		}
		docs[name] = doc
	}
	return docs
}

// replacements are what each member in turn is replaced with.
var replacements = []string{`null`, `true`, `0`, `-1`, `1.5`, `2`, `3`, `1e3`, `99999999999999999999`, `-9223372036854775809`,
	`""`, `"x"`, `"a/b"`, `"sha256:abc"`, `"2006-01-02T15:04:05Z"`, `"2016-12-31T23:59:60Z"`, `"2006-01-02T15:04:05.5+01:00"`,
	`"2006-13-02T15:04:05Z"`, `"layers"`, `"1.0.0"`, `"https://example.com/x"`, `"http://[::1]:80/"`, `"http://[::1/"`, `"/relative"`,
	`[]`, `["x"]`, `[1]`, `[{}]`, `{}`, `{"a":"b"}`, `{"a":1}`, `{"":"x"}`, `{"k/~ %":"v"}`}

// mutations calls fn with doc changed at one place: each member deleted
// or replaced, each array element replaced.
func mutations(doc any, fn func(any)) {
	var walk func(v any, set func(any))
	walk = func(v any, set func(any)) {
		for _, r := range replacements {
			var nv any
			decodeInto(r, &nv)
			set(nv)
		}
		set(v)
		switch v := v.(type) {
		case map[string]any:
			for _, k := range sortedKeys(v) {
				old := v[k]
				delete(v, k)
				fn(doc)
				v[k] = old
				walk(old, func(nv any) { v[k] = nv; fn(doc) })
				v[k] = old
			}
		case []any:
			for i := range v {
				old := v[i]
				walk(old, func(nv any) { v[i] = nv; fn(doc) })
				v[i] = old
			}
		}
	}
	fn(doc)
	walk(doc, func(any) {})
}

func decodeInto(s string, v *any) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		panic(err)
	}
}

func TestSchemaCheckAgreesWithReference(t *testing.T) {
	ref := referenceSchemas(t)
	n := 0
	for name, doc := range testdataDocs(t) {
		mutations(doc, func(d any) {
			n++
			if diff := agree(t, ref, d, true); diff != "" {
				b, _ := json.Marshal(d)
				t.Fatalf("%s mutated to %s:\n%s", name, b, diff)
			}
		})
	}
	t.Logf("%d documents compared", n)
}

func TestSchemaCheckRefusesUnknownKeywords(t *testing.T) {
	for _, schema := range []string{
		`{"type":"object","additionalProperties":false}`,
		`{"items":[{"type":"string"}]}`,
		`{"format":"email"}`,
		`{"minimum":"1"}`,
		`{"$ref":"#/definitions/missing"}`,
		`{"properties":{"a":{"pattern":"("}}}`,
	} {
		set := newSchemaSet(func(string) ([]byte, error) { return []byte(schema), nil })
		if _, err := set.compileFile("s.json"); err == nil {
			t.Errorf("%s compiled", schema)
		}
	}
}

func TestDateTimeFormat(t *testing.T) {
	for s, want := range map[string]bool{
		"2006-01-02T15:04:05Z": true, "2006-01-02t15:04:05z": true, "2006-01-02T15:04:05.123456789+05:30": true,
		"2016-12-31T23:59:60Z": true, "2016-12-31T15:59:60-08:00": true, "2016-12-31T22:59:60Z": false,
		"2006-01-02 15:04:05Z": false, "2006-02-30T15:04:05Z": false, "2006-01-02T24:00:00Z": false,
		"2006-01-02T15:04:05": false, "2006-01-02T15:04:05.Z": false, "2006-01-02T15:04:05+0100": false,
		"2006-01-02T15:04:05+24:00": false, "2006-01-02T1+:04:05Z": false, "": false,
	} {
		if got := isDateTime(s); got != want {
			t.Errorf("isDateTime(%q) = %v", s, got)
		}
	}
}

// FuzzSchemaCheck compares on any document, formats aside: the reference
// reads the hours and minutes of a date-time with strconv.Atoi ("+1"
// passes for 01), where this validator follows RFC 3339. Formats are
// compared by the mutation test and tested by TestDateTimeFormat.
func FuzzSchemaCheck(f *testing.F) {
	addSeeds(f)
	ref := referenceSchemas(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := decodeDoc(data)
		if err != nil {
			return
		}
		if diff := agree(t, ref, doc, false); diff != "" {
			t.Fatalf("%s", diff)
		}
	})
}
