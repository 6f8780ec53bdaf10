// Package specjson decodes the runtime's JSON documents (a bundle's
// config.json, the state the runtime keeps) into Go values, with the
// results and the accepted inputs of encoding/json.Unmarshal.
//
// encoding/json prepares each type on its first use, and every process
// pays that again: for a specs.Spec it builds field tables and encoders
// for all 161 types the spec reaches (Windows, VM and the rest included),
// ~0.8 ms and half a megabyte of allocations on the path of every
// container start. This decoder looks at a type only when a document has
// a value for it, and builds no encoders. A value of a type it does not
// treat exactly as encoding/json does (a ",string" option, non-string or
// TextUnmarshaler map keys, encoding.TextUnmarshaler, json.Number, []byte
// as base64, non-empty interfaces, embedded pointers or clashing promoted
// names) it hands to encoding/json, that value alone.
package specjson

import (
	"encoding"
	"encoding/json"
	"reflect"
	"strings"
	"sync"
	"unicode"
)

// Unmarshal decodes data into v, a non-nil pointer, as json.Unmarshal
// does, and fails on the documents json.Unmarshal fails on: a *SyntaxError
// for what is not JSON, a *json.UnmarshalTypeError for a value of the
// wrong type (or what a value's UnmarshalJSON returns). On error v may be
// partly filled.
func Unmarshal(data []byte, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return json.Unmarshal(data, v) // its InvalidUnmarshalError
	}
	d := &decoder{data: data}
	d.skipSpace()
	if err := d.value(rv.Elem(), 0); err != nil {
		return err
	}
	d.skipSpace()
	if d.pos < len(d.data) {
		return d.syntaxError("invalid character " + quoteChar(d.data[d.pos]) + " after top-level value")
	}
	return nil
}

// field is a struct field as JSON names it.
type field struct {
	name  string
	index []int // through embedded structs
}

// typeInfo is what the decoder knows of a type, found on first use.
type typeInfo struct {
	unmarshaler bool // *T is a json.Unmarshaler: it decodes itself
	foreign     bool // encoding/json decodes it differently: hand it over
	fields      []field
	exact       map[string]int
}

var (
	mu    sync.Mutex
	infos = map[reflect.Type]*typeInfo{}
)

var (
	unmarshalerType     = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	numberType          = reflect.TypeFor[json.Number]()
)

// info returns what the decoder knows of t, looking at t alone (not at
// the types it holds: those are looked at when a value of theirs comes).
func info(t reflect.Type) *typeInfo {
	mu.Lock()
	defer mu.Unlock()
	if ti, ok := infos[t]; ok {
		return ti
	}
	ti := &typeInfo{}
	pt := reflect.PointerTo(t)
	switch {
	case t.Kind() == reflect.Pointer:
	case pt.Implements(unmarshalerType):
		ti.unmarshaler = true
	case pt.Implements(textUnmarshalerType), t == numberType:
		ti.foreign = true
	default:
		switch t.Kind() {
		case reflect.Interface:
			ti.foreign = t.NumMethod() != 0
		case reflect.Slice:
			ti.foreign = t.Elem().Kind() == reflect.Uint8
		case reflect.Map:
			k := t.Key()
			ti.foreign = k.Kind() != reflect.String || reflect.PointerTo(k).Implements(textUnmarshalerType)
		case reflect.Struct:
			ti.foreign = !structFields(t, ti)
		case reflect.Complex64, reflect.Complex128, reflect.Chan, reflect.Func, reflect.UnsafePointer:
			ti.foreign = true
		}
	}
	infos[t] = ti
	return ti
}

// structFields lists t's JSON fields in encoding/json's order (struct
// order, those of embedded structs in place), and reports false for what
// it leaves to encoding/json: a ",string" option, an embedded pointer or
// non-struct, two fields of one name.
func structFields(t reflect.Type, ti *typeInfo) bool {
	ti.exact = map[string]int{}
	var walk func(t reflect.Type, index []int, depth int) bool
	walk = func(t reflect.Type, index []int, depth int) bool {
		if depth > 16 {
			return false
		}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, opts := cutComma(tag)
			if hasOption(opts, "string") {
				return false
			}
			idx := append(append([]int(nil), index...), i)
			if f.Anonymous {
				if f.Type.Kind() == reflect.Struct && name == "" {
					if !walk(f.Type, idx, depth+1) {
						return false
					}
					continue
				}
				if f.Type.Kind() == reflect.Pointer || validName(name) || f.IsExported() {
					return false
				}
				continue
			}
			if !f.IsExported() {
				continue
			}
			if !validName(name) {
				name = f.Name
			}
			if _, dup := ti.exact[name]; dup {
				return false
			}
			ti.exact[name] = len(ti.fields)
			ti.fields = append(ti.fields, field{name, idx})
		}
		return true
	}
	return walk(t, nil, 0)
}

// find returns the field a member name selects: the one of that exact
// name, else the first whose name equals it without regard to case.
func (ti *typeInfo) find(key string) *field {
	if i, ok := ti.exact[key]; ok {
		return &ti.fields[i]
	}
	for i := range ti.fields {
		if strings.EqualFold(ti.fields[i].name, key) {
			return &ti.fields[i]
		}
	}
	return nil
}

func cutComma(tag string) (name, opts string) {
	name, opts, _ = strings.Cut(tag, ",")
	return name, opts
}

func hasOption(opts, want string) bool {
	for opts != "" {
		var o string
		o, opts, _ = strings.Cut(opts, ",")
		if o == want {
			return true
		}
	}
	return false
}

// validName is encoding/json's rule for a tag name it uses: letters,
// digits and punctuation other than quotes, backslash and comma.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c) {
			continue
		}
		if !unicode.IsLetter(c) && !unicode.IsDigit(c) {
			return false
		}
	}
	return true
}
