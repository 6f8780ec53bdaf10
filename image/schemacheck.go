package image

import (
	"encoding/json"
	"fmt"
	"math/big"
	"net/netip"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// A validator for the part of JSON Schema draft 4 that the image-spec
// schemas use. A general validator library costs every process that links
// this package milliseconds at start (it compiles the meta-schemas of five
// drafts in its init), and berth's processes start often: run, the
// monitor, --init. This one compiles the embedded schemas on first use
// and knows only these keywords: type, $ref, properties,
// patternProperties, required, items (one schema), minItems, pattern,
// format (date-time, uri), enum, oneOf, minimum, maximum. A schema with
// any other validation keyword fails to compile, so a schema update that
// needs more says so in the tests.
//
// Violations come out in the order and shape of the established
// validators' output: each names the keyword by its path through the
// schemas ($ref steps included), the instance by a JSON pointer whose
// tokens are escaped as URL path segments, and a message.

// schemaViolation is one failed keyword.
type schemaViolation struct {
	KeywordLocation  string // "/properties/config/$ref/properties/digest/$ref/pattern"
	InstanceLocation string // "/config/digest"
	Message          string
}

// schemaNode is one compiled schema object.
type schemaNode struct {
	file string // the schema file it comes from, for "#..." references

	ref       string // "$ref" as written; the other keywords are then ignored (draft 4)
	refTarget *schemaNode

	types      []string
	enum       []any
	enumError  string
	format     string
	required   []string
	properties map[string]*schemaNode
	patterns   []patternSchema
	items      *schemaNode
	minItems   int // -1: none
	pattern    *regexp.Regexp
	minimum    *big.Rat
	maximum    *big.Rat
	oneOf      []*schemaNode
}

type patternSchema struct {
	re     *regexp.Regexp
	source string
	node   *schemaNode
}

// ignoredKeywords annotate or hold definitions; they validate nothing.
var ignoredKeywords = map[string]bool{"id": true, "$schema": true, "description": true, "title": true,
	"definitions": true, "default": true, "media": true}

// schemaSet compiles schema files (read by load) on demand.
type schemaSet struct {
	load  func(file string) ([]byte, error)
	docs  map[string]any         // file → parsed JSON
	nodes map[string]*schemaNode // "file#pointer" → node
}

func newSchemaSet(load func(string) ([]byte, error)) *schemaSet {
	return &schemaSet{load: load, docs: map[string]any{}, nodes: map[string]*schemaNode{}}
}

// compileFile compiles the root schema of file and all it refers to.
func (c *schemaSet) compileFile(file string) (*schemaNode, error) {
	return c.compileRef(file, "")
}

// compileRef compiles the schema at the JSON pointer ptr of file.
func (c *schemaSet) compileRef(file, ptr string) (*schemaNode, error) {
	key := file + "#" + ptr
	if n, ok := c.nodes[key]; ok {
		return n, nil
	}
	doc, ok := c.docs[file]
	if !ok {
		b, err := c.load(file)
		if err != nil {
			return nil, err
		}
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.UseNumber()
		if err := dec.Decode(&doc); err != nil {
			return nil, fmt.Errorf("schema %s: %w", file, err)
		}
		c.docs[file] = doc
	}
	v, err := lookupPointer(doc, ptr)
	if err != nil {
		return nil, fmt.Errorf("schema %s#%s: %w", file, ptr, err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("schema %s#%s: not an object", file, ptr)
	}
	n := &schemaNode{file: file, minItems: -1}
	c.nodes[key] = n // before the keywords: references may loop back
	if err := c.fill(n, m); err != nil {
		return nil, fmt.Errorf("schema %s#%s: %w", file, ptr, err)
	}
	return n, nil
}

// lookupPointer follows a JSON pointer ("/definitions/digest") into doc.
func lookupPointer(doc any, ptr string) (any, error) {
	if ptr == "" {
		return doc, nil
	}
	if !strings.HasPrefix(ptr, "/") {
		return nil, fmt.Errorf("fragment %q is not a JSON pointer", ptr)
	}
	for _, tok := range strings.Split(ptr[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, ok := doc.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: no such member", ptr)
		}
		if doc, ok = m[tok]; !ok {
			return nil, fmt.Errorf("%s: no such member", ptr)
		}
	}
	return doc, nil
}

func (c *schemaSet) fill(n *schemaNode, m map[string]any) error {
	if ref, ok := m["$ref"].(string); ok {
		// Draft 4: a reference replaces the object; its other members,
		// "id" included, do not count. Every schema file is found by its
		// base name, wherever an "id" would place it.
		n.ref = ref
		file, frag, _ := strings.Cut(ref, "#")
		if file == "" {
			file = n.file
		} else {
			file = path.Base(file)
		}
		t, err := c.compileRef(file, frag)
		if err != nil {
			return fmt.Errorf("$ref %s: %w", ref, err)
		}
		n.refTarget = t
		return nil
	}
	for k, v := range m {
		if err := c.keyword(n, k, v); err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
	}
	return nil
}

func (c *schemaSet) sub(n *schemaNode, v any) (*schemaNode, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("want a schema object")
	}
	s := &schemaNode{file: n.file, minItems: -1}
	return s, c.fill(s, m)
}

func (c *schemaSet) keyword(n *schemaNode, k string, v any) error {
	var err error
	switch k {
	case "type":
		switch t := v.(type) {
		case string:
			n.types = []string{t}
		case []any:
			for _, e := range t {
				s, ok := e.(string)
				if !ok {
					return fmt.Errorf("want type names")
				}
				n.types = append(n.types, s)
			}
		default:
			return fmt.Errorf("want a type name or a list of them")
		}
	case "properties", "patternProperties":
		props, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("want an object")
		}
		if k == "properties" {
			n.properties = map[string]*schemaNode{}
		}
		for name, p := range props {
			s, err := c.sub(n, p)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			if k == "properties" {
				n.properties[name] = s
				continue
			}
			re, err := regexp.Compile(name)
			if err != nil {
				return err
			}
			n.patterns = append(n.patterns, patternSchema{re: re, source: name, node: s})
		}
		slices.SortFunc(n.patterns, func(a, b patternSchema) int { return strings.Compare(a.source, b.source) })
	case "required":
		list, ok := v.([]any)
		if !ok {
			return fmt.Errorf("want a list of names")
		}
		for _, e := range list {
			s, ok := e.(string)
			if !ok {
				return fmt.Errorf("want a list of names")
			}
			n.required = append(n.required, s)
		}
	case "items":
		if n.items, err = c.sub(n, v); err != nil {
			return fmt.Errorf("only one schema for all items is supported: %w", err)
		}
	case "minItems":
		i, err := strconv.Atoi(fmt.Sprint(v))
		if err != nil || i < 0 {
			return fmt.Errorf("want a count")
		}
		n.minItems = i
	case "pattern":
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("want a regular expression")
		}
		if n.pattern, err = regexp.Compile(s); err != nil {
			return err
		}
	case "format":
		s, ok := v.(string)
		if !ok || formats[s] == nil {
			return fmt.Errorf("unsupported format %v", v)
		}
		n.format = s
	case "enum":
		list, ok := v.([]any)
		if !ok || len(list) == 0 {
			return fmt.Errorf("want a list of values")
		}
		n.enum = list
		n.enumError = enumError(list)
	case "oneOf":
		list, ok := v.([]any)
		if !ok || len(list) == 0 {
			return fmt.Errorf("want a list of schemas")
		}
		for i, e := range list {
			s, err := c.sub(n, e)
			if err != nil {
				return fmt.Errorf("%d: %w", i, err)
			}
			n.oneOf = append(n.oneOf, s)
		}
	case "minimum", "maximum":
		r, ok := new(big.Rat).SetString(fmt.Sprint(v))
		if _, isNum := v.(json.Number); !ok || !isNum {
			return fmt.Errorf("want a number")
		}
		if k == "minimum" {
			n.minimum = r
		} else {
			n.maximum = r
		}
	default:
		if !ignoredKeywords[k] {
			return fmt.Errorf("keyword not supported by this validator")
		}
	}
	return nil
}

func enumError(list []any) string {
	if len(list) == 1 {
		return "value must be " + goSyntax(list[0])
	}
	s := make([]string, len(list))
	for i, v := range list {
		s[i] = goSyntax(v)
	}
	return "value must be one of " + strings.Join(s, ", ")
}

// goSyntax writes a schema value the way the messages always showed it.
func goSyntax(v any) string {
	if n, ok := v.(json.Number); ok {
		return strconv.Quote(string(n))
	}
	return fmt.Sprintf("%#v", v)
}

// validate checks doc against n and returns the violations, each failed
// keyword once, depth first.
func (n *schemaNode) validate(doc any) []schemaViolation {
	var out []schemaViolation
	n.check(doc, "", "", &out)
	return out
}

func (n *schemaNode) check(v any, kw, inst string, out *[]schemaViolation) {
	fail := func(keyword, format string, args ...any) {
		*out = append(*out, schemaViolation{KeywordLocation: kw + "/" + keyword, InstanceLocation: inst, Message: fmt.Sprintf(format, args...)})
	}
	if n.refTarget != nil {
		n.refTarget.check(v, kw+"/$ref", inst, out)
		return
	}
	if len(n.types) > 0 {
		vt := jsonTypeOf(v)
		if !slices.ContainsFunc(n.types, func(t string) bool { return t == vt || t == "integer" && vt == "number" && isIntegral(v) }) {
			fail("type", "expected %s, but got %s", strings.Join(n.types, " or "), vt)
			return
		}
	}
	if n.enum != nil && !slices.ContainsFunc(n.enum, func(e any) bool { return jsonEqual(v, e) }) {
		fail("enum", "%s", n.enumError)
	}
	if s, ok := v.(string); ok && n.format != "" && !formats[n.format](s) {
		fail("format", "%s is not valid %s", quote(s), quote(n.format))
	}
	switch v := v.(type) {
	case map[string]any:
		var missing []string
		for _, name := range n.required {
			if _, ok := v[name]; !ok {
				missing = append(missing, quote(name))
			}
		}
		if missing != nil {
			fail("required", "missing properties: %s", strings.Join(missing, ", "))
		}
		for _, name := range sortedKeys(n.properties) {
			if pv, ok := v[name]; ok {
				n.properties[name].check(pv, kw+"/properties/"+pointerToken(name), inst+"/"+pointerToken(name), out)
			}
		}
		for _, p := range n.patterns {
			for _, name := range sortedKeys(v) {
				if p.re.MatchString(name) {
					p.node.check(v[name], kw+"/patternProperties/"+pointerToken(p.source), inst+"/"+pointerToken(name), out)
				}
			}
		}
	case []any:
		if n.minItems >= 0 && len(v) < n.minItems {
			fail("minItems", "minimum %d items required, but found %d items", n.minItems, len(v))
		}
		if n.items != nil {
			for i, e := range v {
				n.items.check(e, kw+"/items", inst+"/"+strconv.Itoa(i), out)
			}
		}
	case string:
		if n.pattern != nil && !n.pattern.MatchString(v) {
			fail("pattern", "does not match pattern %s", quote(n.pattern.String()))
		}
	case json.Number:
		r, ok := new(big.Rat).SetString(string(v))
		if !ok {
			break // decodeDoc lets no such number through
		}
		if n.minimum != nil && r.Cmp(n.minimum) < 0 {
			fail("minimum", "must be >= %v but found %v", ratFloat(n.minimum), v)
		}
		if n.maximum != nil && r.Cmp(n.maximum) > 0 {
			fail("maximum", "must be <= %v but found %v", ratFloat(n.maximum), v)
		}
	}
	if n.oneOf != nil {
		n.checkOneOf(v, kw, inst, out)
	}
}

// checkOneOf wants exactly one alternative to hold: with none, every
// alternative's violations are reported; with two, the first two valid.
func (n *schemaNode) checkOneOf(v any, kw, inst string, out *[]schemaViolation) {
	matched := -1
	var causes []schemaViolation
	for i, alt := range n.oneOf {
		var errs []schemaViolation
		alt.check(v, kw+"/oneOf/"+strconv.Itoa(i), inst, &errs)
		if len(errs) > 0 {
			causes = append(causes, errs...)
			continue
		}
		if matched >= 0 {
			*out = append(*out, schemaViolation{KeywordLocation: kw + "/oneOf", InstanceLocation: inst,
				Message: fmt.Sprintf("valid against schemas at indexes %d and %d", matched, i)})
			return
		}
		matched = i
	}
	if matched < 0 {
		*out = append(*out, causes...)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// pointerToken escapes a member name as a JSON pointer token ("~0", "~1"),
// then as a URL path segment, as validators report instance locations.
func pointerToken(s string) string {
	return url.PathEscape(strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1"))
}

func jsonTypeOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

func isIntegral(v any) bool {
	n, ok := v.(json.Number)
	if !ok {
		return false
	}
	r, ok := new(big.Rat).SetString(string(n))
	return ok && r.IsInt()
}

func ratFloat(r *big.Rat) float64 {
	f, _ := r.Float64()
	return f
}

// jsonEqual compares two JSON values, numbers by value.
func jsonEqual(a, b any) bool {
	switch a := a.(type) {
	case json.Number:
		bn, ok := b.(json.Number)
		if !ok {
			return false
		}
		ra, oka := new(big.Rat).SetString(string(a))
		rb, okb := new(big.Rat).SetString(string(bn))
		return oka && okb && ra.Cmp(rb) == 0
	case []any:
		bl, ok := b.([]any)
		return ok && slices.EqualFunc(a, bl, jsonEqual)
	case map[string]any:
		bm, ok := b.(map[string]any)
		if !ok || len(a) != len(bm) {
			return false
		}
		for k, av := range a {
			bv, ok := bm[k]
			if !ok || !jsonEqual(av, bv) {
				return false
			}
		}
		return true
	}
	return a == b
}

// quote is the single-quoted form the messages use: Go quoting, with
// double quotes left alone and single quotes escaped.
func quote(s string) string {
	q := strings.ReplaceAll(strconv.Quote(s), `\"`, `"`)
	q = strings.ReplaceAll(q, `'`, `\'`)
	return "'" + q[1:len(q)-1] + "'"
}

// formats are the "format" values the image-spec schemas use.
var formats = map[string]func(string) bool{
	"date-time": isDateTime,
	"uri":       isAbsoluteURI,
}

// isDateTime checks RFC 3339's date-time: full-date "T" full-time, "T"
// and "Z" in either case, a leap second only at the end of a UTC day.
func isDateTime(s string) bool {
	if len(s) < len("2006-01-02T15:04:05Z") || (s[10] != 'T' && s[10] != 't') {
		return false
	}
	if _, err := time.Parse("2006-01-02", s[:10]); err != nil {
		return false
	}
	t := s[11:]
	if len(t) < 9 || t[2] != ':' || t[5] != ':' {
		return false
	}
	h, okH := twoDigits(t[0:2], 23)
	m, okM := twoDigits(t[3:5], 59)
	sec, okS := twoDigits(t[6:8], 60)
	if !okH || !okM || !okS {
		return false
	}
	t = t[8:]
	if t[0] == '.' {
		i := 1
		for i < len(t) && t[i] >= '0' && t[i] <= '9' {
			i++
		}
		if i == 1 {
			return false
		}
		t = t[i:]
	}
	offset := 0
	switch {
	case t == "Z" || t == "z":
	case len(t) == 6 && (t[0] == '+' || t[0] == '-') && t[3] == ':':
		oh, okOH := twoDigits(t[1:3], 23)
		om, okOM := twoDigits(t[4:6], 59)
		if !okOH || !okOM {
			return false
		}
		offset = oh*60 + om
		if t[0] == '+' {
			offset = -offset
		}
	default:
		return false
	}
	if sec == 60 {
		utc := ((h*60+m+offset)%(24*60) + 24*60) % (24 * 60)
		return utc == 23*60+59
	}
	return true
}

func twoDigits(s string, max int) (int, bool) {
	if len(s) != 2 || s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' {
		return 0, false
	}
	n := int(s[0]-'0')*10 + int(s[1]-'0')
	return n, n <= max
}

// isAbsoluteURI checks an absolute URI (a scheme, then what url.Parse
// accepts); a host with colons must be a bracketed IPv6 address.
func isAbsoluteURI(s string) bool {
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() {
		return false
	}
	if h := u.Hostname(); strings.Contains(h, ":") {
		if !strings.Contains(u.Host, "[") || !strings.Contains(u.Host, "]") {
			return false
		}
		a, err := netip.ParseAddr(h)
		return err == nil && a.Is6() && a.Zone() == ""
	}
	return true
}
