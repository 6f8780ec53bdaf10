// Package specjson decodes the runtime's JSON documents (a bundle's
// config.json, the state the runtime keeps) into Go values, with the
// results and the accepted inputs of encoding/json.Unmarshal.
//
// encoding/json prepares each type on its first use, and every process
// pays that again: for a specs.Spec it builds field tables and encoders
// for all 161 types the spec reaches (Windows, VM and the rest included),
// ~0.8 ms and half a megabyte of allocations on the path of every
// container start. This decoder looks at a struct's fields only when a
// document has an object for it, and builds no encoders. Types it does
// not treat exactly as encoding/json does (a ",string" option, non-string
// map keys, encoding.TextUnmarshaler, non-empty interfaces, []byte as
// base64, embedded pointers or clashing promoted names) go to
// encoding/json, for the whole document.
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
// wrong type (or what the value's UnmarshalJSON returns). On error v may
// be partly filled.
func Unmarshal(data []byte, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || !supported(rv.Type().Elem()) {
		return json.Unmarshal(data, v)
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

// fields are a struct type's JSON fields in encoding/json's order.
type fields struct {
	list  []field
	exact map[string]int
}

var (
	mu       sync.Mutex
	byType   = map[reflect.Type]*fields{}
	supports = map[reflect.Type]bool{}
)

var (
	unmarshalerType     = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	numberType          = reflect.TypeFor[json.Number]()
)

// supported reports whether every type reachable from t decodes here as
// encoding/json would. It walks the type graph once per root type, which
// is cheap: no field tables are built.
func supported(t reflect.Type) bool {
	mu.Lock()
	defer mu.Unlock()
	ok, seen := supports[t]
	if !seen {
		ok = walkSupported(t, map[reflect.Type]bool{})
		supports[t] = ok
	}
	return ok
}

func walkSupported(t reflect.Type, seen map[reflect.Type]bool) bool {
	if seen[t] {
		return true
	}
	seen[t] = true
	if t.Kind() == reflect.Pointer {
		return walkSupported(t.Elem(), seen)
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		return true // it decodes itself
	}
	if reflect.PointerTo(t).Implements(textUnmarshalerType) || t == numberType {
		return false
	}
	switch t.Kind() {
	case reflect.Bool, reflect.String, reflect.Float32, reflect.Float64,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return true
	case reflect.Interface:
		return t.NumMethod() == 0
	case reflect.Array:
		return walkSupported(t.Elem(), seen)
	case reflect.Slice:
		return t.Elem().Kind() != reflect.Uint8 && walkSupported(t.Elem(), seen)
	case reflect.Map:
		return t.Key().Kind() == reflect.String && walkSupported(t.Key(), seen) && walkSupported(t.Elem(), seen)
	case reflect.Struct:
		names := map[string]bool{}
		return walkStruct(t, seen, names, map[reflect.Type]bool{})
	}
	return false
}

// walkStruct checks a struct's fields, those promoted from embedded
// structs included, and that no two share a JSON name.
func walkStruct(t reflect.Type, seen map[reflect.Type]bool, names map[string]bool, embedding map[reflect.Type]bool) bool {
	if embedding[t] {
		return false
	}
	embedding[t] = true
	defer delete(embedding, t)
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
		if f.Anonymous {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				return false
			}
			if ft.Kind() == reflect.Struct && name == "" {
				if !walkStruct(ft, seen, names, embedding) {
					return false
				}
				continue
			}
			if validName(name) || f.IsExported() {
				return false // an embedded field named by its type: rare, left to encoding/json
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		if !validName(name) {
			name = f.Name
		}
		if names[name] {
			return false
		}
		names[name] = true
		if !walkSupported(f.Type, seen) {
			return false
		}
	}
	return true
}

// fieldsOf returns the JSON fields of struct type t (supported checked
// it): in struct order, those of embedded structs in place.
func fieldsOf(t reflect.Type) *fields {
	mu.Lock()
	defer mu.Unlock()
	if fs, ok := byType[t]; ok {
		return fs
	}
	fs := &fields{exact: map[string]int{}}
	var walk func(t reflect.Type, index []int)
	walk = func(t reflect.Type, index []int) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, _ := cutComma(tag)
			idx := append(append([]int(nil), index...), i)
			if f.Anonymous && f.Type.Kind() == reflect.Struct && name == "" {
				walk(f.Type, idx)
				continue
			}
			if f.Anonymous || !f.IsExported() {
				continue
			}
			if !validName(name) {
				name = f.Name
			}
			fs.exact[name] = len(fs.list)
			fs.list = append(fs.list, field{name, idx})
		}
	}
	walk(t, nil)
	byType[t] = fs
	return fs
}

// find returns the field a member name selects: the one of that exact
// name, else the first whose name equals it without regard to case.
func (fs *fields) find(key string) *field {
	if i, ok := fs.exact[key]; ok {
		return &fs.list[i]
	}
	for i := range fs.list {
		if strings.EqualFold(fs.list[i].name, key) {
			return &fs.list[i]
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
