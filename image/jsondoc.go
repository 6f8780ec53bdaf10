package image

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxDepth bounds nesting; no OCI document comes near it, and a hostile
// one must not exhaust the stack.
const maxDepth = 256

// stringMaps are the objects whose keys are data, not field names: two keys
// differing only in case ("com.example.A", "com.example.a") are legitimate there.
var stringMaps = map[string]bool{"annotations": true, "Labels": true, "ExposedPorts": true, "Volumes": true}

// decodeDoc reads one JSON document into generic values (json.Number for
// numbers) for the schema validator, enforcing the I-JSON rules of
// considerations.md: valid UTF-8 and no duplicate names in an object.
//
// It also refuses two field names that differ only in case: encoding/json
// matches struct fields case-insensitively, so {"mediaType":a,"MediaType":b}
// would show the schema one value and the typed decode another.
func decodeDoc(data []byte) (any, error) {
	if !utf8.Valid(data) {
		return nil, errors.New("not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeValue(dec, "", "", 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after the JSON document")
	}
	return v, nil
}

func decodeValue(dec *json.Decoder, path, key string, depth int) (any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("%s: nested more than %d levels deep", orRoot(path), maxDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, syntaxError(path, err)
	}
	switch tok {
	case json.Delim('{'):
		return decodeObject(dec, path, key, depth)
	case json.Delim('['):
		return decodeArray(dec, path, depth)
	}
	if n, ok := tok.(json.Number); ok && !saneNumber(n) {
		return nil, fmt.Errorf("%s: number %.20s out of range", orRoot(path), n)
	}
	return tok, nil
}

func decodeArray(dec *json.Decoder, path string, depth int) (any, error) {
	var arr []any
	for dec.More() {
		v, err := decodeValue(dec, index(path, len(arr)), "", depth+1)
		if err != nil {
			return nil, err
		}
		arr = append(arr, v)
	}
	if _, err := dec.Token(); err != nil {
		return nil, syntaxError(path, err)
	}
	if arr == nil {
		arr = []any{}
	}
	return arr, nil
}

// saneNumber keeps numbers within what I-JSON says receivers can use,
// IEEE 754 doubles. It matters beyond pedantry: the schema validator turns
// numbers into exact rationals, and 1e999999999 would take it forever.
func saneNumber(n json.Number) bool {
	s := string(n)
	if len(s) > 40 {
		return false
	}
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		exp, err := strconv.Atoi(s[i+1:])
		if err != nil || exp > 308 || exp < -324 {
			return false
		}
	}
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

func decodeObject(dec *json.Decoder, path, key string, depth int) (any, error) {
	obj := map[string]any{}
	folded := map[string]string{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, syntaxError(path, err)
		}
		name, _ := tok.(string)
		field := join(path, name)
		if _, dup := obj[name]; dup {
			return nil, fmt.Errorf("%s: duplicate name in object", field)
		}
		if !stringMaps[key] {
			lower := strings.ToLower(name)
			if other, ok := folded[lower]; ok {
				return nil, fmt.Errorf("%s: name differs only in case from %q", field, other)
			}
			folded[lower] = name
		}
		v, err := decodeValue(dec, field, name, depth+1)
		if err != nil {
			return nil, err
		}
		obj[name] = v
	}
	if _, err := dec.Token(); err != nil {
		return nil, syntaxError(path, err)
	}
	return obj, nil
}

func syntaxError(path string, err error) error {
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("%s: not valid JSON: %v", orRoot(path), err)
}

func orRoot(path string) string {
	if path == "" {
		return "document"
	}
	return path
}

// stripNulls removes null members from objects, recursively: config.md says
// an optional field set to null is the same as an absent one, and Docker
// writes "Env": null, "Volumes": null and the like.
func stripNulls(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if e == nil {
				delete(v, k)
				continue
			}
			v[k] = stripNulls(e)
		}
	case []any:
		for i, e := range v {
			v[i] = stripNulls(e)
		}
	}
	return v
}

// member returns obj[name] when doc is an object holding it.
func member(doc any, name string) (any, bool) {
	obj, ok := doc.(map[string]any)
	if !ok {
		return nil, false
	}
	v, ok := obj[name]
	return v, ok
}

// hasNumber reports whether doc holds a number at name, and which.
func hasNumber(doc any, name string) (json.Number, bool) {
	v, ok := member(doc, name)
	n, isNum := v.(json.Number)
	return n, ok && isNum
}
