package specjson

import (
	"encoding/json"
	"reflect"
	"strconv"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth is encoding/json's nesting limit.
const maxDepth = 10000

type decoder struct {
	data []byte
	pos  int
}

// SyntaxError is a document that is not JSON.
type SyntaxError struct {
	Msg    string
	Offset int64 // bytes read before the error
}

func (e *SyntaxError) Error() string { return e.Msg + " at offset " + strconv.FormatInt(e.Offset, 10) }

func (d *decoder) syntaxError(msg string) error {
	return &SyntaxError{Msg: msg, Offset: int64(d.pos)}
}

func (d *decoder) typeError(what string, t reflect.Type, start int) error {
	return &json.UnmarshalTypeError{Value: what, Type: t, Offset: int64(start)}
}

func quoteChar(c byte) string {
	if c == '\'' {
		return `'\''`
	}
	if c == '"' {
		return `'"'`
	}
	s := strconv.Quote(string(rune(c)))
	return "'" + s[1:len(s)-1] + "'"
}

func (d *decoder) skipSpace() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// value decodes the value at d.pos into v (settable), or skips it when v
// is not valid.
func (d *decoder) value(v reflect.Value, depth int) error {
	if d.pos >= len(d.data) {
		return d.syntaxError("unexpected end of JSON input")
	}
	if v.IsValid() {
		if done, err := d.special(v, depth); done {
			return err
		}
	}
	switch c := d.data[d.pos]; c {
	case '{':
		return d.object(v, depth)
	case '[':
		return d.array(v, depth)
	case '"':
		return d.stringValue(v)
	case 't', 'f', 'n':
		return d.literal(v)
	default:
		if c == '-' || c >= '0' && c <= '9' {
			return d.number(v)
		}
		return d.syntaxError("invalid character " + quoteChar(c) + " looking for beginning of value")
	}
}

// special decodes a value whose type (through pointers) decodes itself
// (json.Unmarshaler) or is encoding/json's to decode, and reports whether
// it did. A null for a pointer is left to literal, which makes it nil, as
// encoding/json does without asking the type.
func (d *decoder) special(v reflect.Value, depth int) (bool, error) {
	et := v.Type()
	for et.Kind() == reflect.Pointer {
		et = et.Elem()
	}
	ti := info(et)
	if !ti.unmarshaler && !ti.foreign || !v.CanAddr() {
		return false, nil
	}
	if v.Kind() == reflect.Pointer && d.data[d.pos] == 'n' {
		return false, nil
	}
	start := d.pos
	if err := d.skipValue(depth); err != nil {
		return true, err
	}
	raw := d.data[start:d.pos]
	if ti.foreign {
		return true, json.Unmarshal(raw, v.Addr().Interface())
	}
	v = deref(v)
	return true, v.Addr().Interface().(json.Unmarshaler).UnmarshalJSON(raw)
}

// deref follows pointers down to a non-pointer value, allocating nil ones.
func deref(v reflect.Value) reflect.Value {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		v = v.Elem()
	}
	return v
}

func (d *decoder) object(v reflect.Value, depth int) error {
	if depth >= maxDepth {
		return d.syntaxError("exceeded max depth")
	}
	start := d.pos
	if v.IsValid() {
		v = deref(v)
	}
	var fs *typeInfo
	var mapElem reflect.Type
	switch {
	case !v.IsValid():
	case v.Kind() == reflect.Interface && v.NumMethod() == 0:
		m, err := d.generic(depth)
		if err != nil {
			return err
		}
		v.Set(reflect.ValueOf(m))
		return nil
	case v.Kind() == reflect.Struct:
		fs = info(v.Type())
	case v.Kind() == reflect.Map:
		if v.IsNil() {
			v.Set(reflect.MakeMap(v.Type()))
		}
		mapElem = v.Type().Elem()
	default:
		if err := d.skipValue(depth); err != nil {
			return err
		}
		return d.typeError("object", v.Type(), start)
	}
	d.pos++ // '{'
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		return nil
	}
	for {
		if d.pos >= len(d.data) {
			return d.syntaxError("unexpected end of JSON input")
		}
		if d.data[d.pos] != '"' {
			return d.syntaxError("invalid character " + quoteChar(d.data[d.pos]) + " looking for beginning of object key string")
		}
		key, err := d.str()
		if err != nil {
			return err
		}
		d.skipSpace()
		if d.pos >= len(d.data) {
			return d.syntaxError("unexpected end of JSON input")
		}
		if d.data[d.pos] != ':' {
			return d.syntaxError("invalid character " + quoteChar(d.data[d.pos]) + " after object key")
		}
		d.pos++
		d.skipSpace()
		var target reflect.Value
		switch {
		case fs != nil:
			if f := fs.find(key); f != nil {
				target = fieldByIndex(v, f.index)
			}
		case mapElem != nil:
			target = reflect.New(mapElem).Elem()
		}
		if err := d.value(target, depth+1); err != nil {
			return err
		}
		if mapElem != nil {
			v.SetMapIndex(reflect.ValueOf(key).Convert(v.Type().Key()), target)
		}
		d.skipSpace()
		if d.pos >= len(d.data) {
			return d.syntaxError("unexpected end of JSON input")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
			d.skipSpace()
		case '}':
			d.pos++
			return nil
		default:
			return d.syntaxError("invalid character " + quoteChar(d.data[d.pos]) + " after object key:value pair")
		}
	}
}

// fieldByIndex is v.FieldByIndex; embedded fields are never pointers here.
func fieldByIndex(v reflect.Value, index []int) reflect.Value {
	for _, i := range index {
		v = v.Field(i)
	}
	return v
}

func (d *decoder) array(v reflect.Value, depth int) error {
	if depth >= maxDepth {
		return d.syntaxError("exceeded max depth")
	}
	start := d.pos
	if v.IsValid() {
		v = deref(v)
	}
	switch {
	case !v.IsValid():
	case v.Kind() == reflect.Interface && v.NumMethod() == 0:
		a, err := d.generic(depth)
		if err != nil {
			return err
		}
		v.Set(reflect.ValueOf(a))
		return nil
	case v.Kind() == reflect.Slice, v.Kind() == reflect.Array:
	default:
		if err := d.skipValue(depth); err != nil {
			return err
		}
		return d.typeError("array", v.Type(), start)
	}
	d.pos++ // '['
	d.skipSpace()
	i := 0
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
	} else {
		for {
			var elem reflect.Value
			if v.IsValid() {
				// As encoding/json: grow a slice in place, decoding into
				// whatever its backing array holds there.
				if v.Kind() == reflect.Slice {
					if i >= v.Cap() {
						v.Grow(1)
					}
					if i >= v.Len() {
						v.SetLen(i + 1)
					}
				}
				if i < v.Len() {
					elem = v.Index(i)
				}
			}
			if err := d.value(elem, depth+1); err != nil {
				return err
			}
			i++
			d.skipSpace()
			if d.pos >= len(d.data) {
				return d.syntaxError("unexpected end of JSON input")
			}
			if d.data[d.pos] == ',' {
				d.pos++
				d.skipSpace()
				continue
			}
			if d.data[d.pos] == ']' {
				d.pos++
				break
			}
			return d.syntaxError("invalid character " + quoteChar(d.data[d.pos]) + " after array element")
		}
	}
	if !v.IsValid() {
		return nil
	}
	if i < v.Len() {
		if v.Kind() == reflect.Array {
			for ; i < v.Len(); i++ {
				v.Index(i).SetZero()
			}
		} else {
			v.SetLen(i)
		}
	}
	if i == 0 && v.Kind() == reflect.Slice {
		v.Set(reflect.MakeSlice(v.Type(), 0, 0))
	}
	return nil
}

func (d *decoder) stringValue(v reflect.Value) error {
	start := d.pos
	s, err := d.str()
	if err != nil || !v.IsValid() {
		return err
	}
	v = deref(v)
	switch {
	case v.Kind() == reflect.String:
		v.SetString(s)
	case v.Kind() == reflect.Interface && v.NumMethod() == 0:
		v.Set(reflect.ValueOf(s))
	default:
		return d.typeError("string", v.Type(), start)
	}
	return nil
}

func (d *decoder) literal(v reflect.Value) error {
	start := d.pos
	var word string
	switch d.data[d.pos] {
	case 't':
		word = "true"
	case 'f':
		word = "false"
	default:
		word = "null"
	}
	for i := 0; i < len(word); i++ {
		if d.pos >= len(d.data) {
			return d.syntaxError("unexpected end of JSON input")
		}
		if d.data[d.pos] != word[i] {
			return d.syntaxError("invalid character " + quoteChar(d.data[d.pos]) + " in literal " + word)
		}
		d.pos++
	}
	if !v.IsValid() {
		return nil
	}
	if word == "null" {
		// A pointer, map, slice or interface becomes nil; anything
		// else is left as it is (an Unmarshaler hears the null).
		switch v.Kind() {
		case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface:
			v.SetZero()
			return nil
		}
		return nil
	}
	v = deref(v)
	b := word == "true"
	switch {
	case v.Kind() == reflect.Bool:
		v.SetBool(b)
	case v.Kind() == reflect.Interface && v.NumMethod() == 0:
		v.Set(reflect.ValueOf(b))
	default:
		return d.typeError("bool", v.Type(), start)
	}
	return nil
}

func (d *decoder) number(v reflect.Value) error {
	start := d.pos
	if err := d.scanNumber(); err != nil {
		return err
	}
	if !v.IsValid() {
		return nil
	}
	v = deref(v)
	s := string(d.data[start:d.pos])
	switch v.Kind() {
	case reflect.Interface:
		if v.NumMethod() != 0 {
			break
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return d.typeError("number "+s, reflect.TypeFor[float64](), start)
		}
		v.Set(reflect.ValueOf(f))
		return nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || v.OverflowInt(n) {
			return d.typeError("number "+s, v.Type(), start)
		}
		v.SetInt(n)
		return nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil || v.OverflowUint(n) {
			return d.typeError("number "+s, v.Type(), start)
		}
		v.SetUint(n)
		return nil
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(s, v.Type().Bits())
		if err != nil || v.OverflowFloat(f) {
			return d.typeError("number "+s, v.Type(), start)
		}
		v.SetFloat(f)
		return nil
	}
	return d.typeError("number", v.Type(), start)
}

// scanNumber moves past a number of the JSON grammar.
func (d *decoder) scanNumber() error {
	digits := func() int {
		n := 0
		for d.pos < len(d.data) && d.data[d.pos] >= '0' && d.data[d.pos] <= '9' {
			d.pos++
			n++
		}
		return n
	}
	bad := func(ctx string) error {
		if d.pos >= len(d.data) {
			return d.syntaxError("unexpected end of JSON input")
		}
		return d.syntaxError("invalid character " + quoteChar(d.data[d.pos]) + " " + ctx)
	}
	if d.data[d.pos] == '-' {
		d.pos++
	}
	switch {
	case d.pos < len(d.data) && d.data[d.pos] == '0':
		d.pos++
	case digits() == 0:
		return bad("in numeric literal")
	}
	if d.pos < len(d.data) && d.data[d.pos] == '.' {
		d.pos++
		if digits() == 0 {
			return bad("after decimal point in numeric literal")
		}
	}
	if d.pos < len(d.data) && (d.data[d.pos] == 'e' || d.data[d.pos] == 'E') {
		d.pos++
		if d.pos < len(d.data) && (d.data[d.pos] == '+' || d.data[d.pos] == '-') {
			d.pos++
		}
		if digits() == 0 {
			return bad("in exponent of numeric literal")
		}
	}
	return nil
}

// str reads a string literal and returns its value: escapes resolved,
// invalid UTF-8 and lone surrogates replaced by U+FFFD.
func (d *decoder) str() (string, error) {
	d.pos++ // '"'
	start := d.pos
	// Fast path: no escapes, all ASCII or valid UTF-8.
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		if c == '"' {
			s := d.data[start:d.pos]
			d.pos++
			if utf8.Valid(s) {
				return string(s), nil
			}
			return string([]rune(string(s))), nil // each bad byte becomes U+FFFD
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			return "", d.syntaxError("invalid character " + quoteChar(c) + " in string literal")
		}
		d.pos++
	}
	buf := append([]byte(nil), d.data[start:d.pos]...)
	for {
		if d.pos >= len(d.data) {
			return "", d.syntaxError("unexpected end of JSON input")
		}
		c := d.data[d.pos]
		switch {
		case c == '"':
			d.pos++
			if !utf8.Valid(buf) {
				buf = []byte(string([]rune(string(buf))))
			}
			return string(buf), nil
		case c < 0x20:
			return "", d.syntaxError("invalid character " + quoteChar(c) + " in string literal")
		case c != '\\':
			buf = append(buf, c)
			d.pos++
			continue
		}
		d.pos++
		if d.pos >= len(d.data) {
			return "", d.syntaxError("unexpected end of JSON input")
		}
		e := d.data[d.pos]
		d.pos++
		switch e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := d.hex4()
			if !ok {
				return "", d.syntaxError("invalid character in \\u hexadecimal character escape")
			}
			if utf16.IsSurrogate(r) {
				// A high surrogate followed by a low one makes a pair;
				// anything else is a lone surrogate.
				save := d.pos
				if d.pos+1 < len(d.data) && d.data[d.pos] == '\\' && d.data[d.pos+1] == 'u' {
					d.pos += 2
					if r2, ok := d.hex4(); ok {
						if dec := utf16.DecodeRune(r, r2); dec != unicode.ReplacementChar {
							buf = utf8.AppendRune(buf, dec)
							continue
						}
					}
				}
				d.pos = save
				r = unicode.ReplacementChar
			}
			buf = utf8.AppendRune(buf, r)
		default:
			d.pos--
			return "", d.syntaxError("invalid character " + quoteChar(e) + " in string escape code")
		}
	}
}

func (d *decoder) hex4() (rune, bool) {
	if d.pos+4 > len(d.data) {
		return 0, false
	}
	var r rune
	for _, c := range d.data[d.pos : d.pos+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r*16 + rune(c)
	}
	d.pos += 4
	return r, true
}

// skipValue moves past one value, checking its syntax.
func (d *decoder) skipValue(depth int) error {
	return d.value(reflect.Value{}, depth)
}

// generic decodes a value into what encoding/json gives an interface{}:
// map[string]any, []any, float64, string, bool or nil.
func (d *decoder) generic(depth int) (any, error) {
	var out any
	v := reflect.ValueOf(&out).Elem()
	switch d.data[d.pos] {
	case '{':
		m := map[string]any{}
		if err := d.object(reflect.ValueOf(&m).Elem(), depth); err != nil {
			return nil, err
		}
		return m, nil
	case '[':
		a := []any{}
		if err := d.array(reflect.ValueOf(&a).Elem(), depth); err != nil {
			return nil, err
		}
		return a, nil
	}
	if err := d.value(v, depth); err != nil {
		return nil, err
	}
	return out, nil
}
