package initproc

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
)

// The bootstrap travels in a binary form of its own, not JSON: the init is
// the same binary as the parent (the sealed copy of it), so both walk the
// same Go types in the same field order and no names need to travel. A
// first JSON decode of a specs.Spec costs the init ~0.8 ms of reflection
// (encoding/json builds its field tables and encoders for the whole type
// graph, Windows included); this walk costs tens of microseconds.
//
// The encoding, by kind: bool one byte; signed integers zigzag varints,
// unsigned ones uvarints; floats their 8 bits; strings a uvarint length
// and the bytes; slices and maps a uvarint of length+1 (0: nil) and the
// elements (maps key then value); arrays their elements; pointers one byte
// (0 nil, 1 set) then the element; structs their exported fields in order;
// interfaces only nil (one 0 byte). A frame is wireMagic, the payload's
// length (uint32, little endian) and the payload.

var wireMagic = [4]byte{'B', 'R', 'T', 1}

// maxBootstrap bounds a frame: a config is kilobytes, a large one with a
// seccomp program and many mounts well under a megabyte.
const maxBootstrap = 64 << 20

// WriteBootstrap sends b as one frame.
func WriteBootstrap(w io.Writer, b *Bootstrap) error {
	buf := make([]byte, 8, 4096)
	buf, err := appendValue(buf, reflect.ValueOf(b).Elem())
	if err != nil {
		return fmt.Errorf("encode bootstrap: %w", err)
	}
	if len(buf)-8 > maxBootstrap {
		return fmt.Errorf("encode bootstrap: %d bytes is too large", len(buf)-8)
	}
	copy(buf, wireMagic[:])
	binary.LittleEndian.PutUint32(buf[4:], uint32(len(buf)-8))
	_, err = w.Write(buf)
	return err
}

// ReadBootstrap reads one frame, and nothing past it.
func ReadBootstrap(r io.Reader) (*Bootstrap, error) {
	var head [8]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return nil, err
	}
	if [4]byte(head[:4]) != wireMagic {
		return nil, fmt.Errorf("bootstrap: bad magic %q", head[:4])
	}
	n := binary.LittleEndian.Uint32(head[4:])
	if n > maxBootstrap {
		return nil, fmt.Errorf("bootstrap: %d bytes is too large", n)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, fmt.Errorf("bootstrap: %w", err)
	}
	var b Bootstrap
	if err := decodeBootstrap(buf, &b); err != nil {
		return nil, err
	}
	return &b, nil
}

// decodeBootstrap decodes a payload (without its frame) into b.
func decodeBootstrap(buf []byte, b *Bootstrap) error {
	d := &decoder{buf: buf}
	if err := d.value(reflect.ValueOf(b).Elem()); err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	if len(d.buf) != 0 {
		return fmt.Errorf("bootstrap: %d bytes left over", len(d.buf))
	}
	return nil
}

func appendValue(buf []byte, v reflect.Value) ([]byte, error) {
	switch v.Kind() {
	case reflect.Bool:
		if v.Bool() {
			return append(buf, 1), nil
		}
		return append(buf, 0), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return binary.AppendVarint(buf, v.Int()), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return binary.AppendUvarint(buf, v.Uint()), nil
	case reflect.Float32, reflect.Float64:
		return binary.LittleEndian.AppendUint64(buf, math.Float64bits(v.Float())), nil
	case reflect.String:
		buf = binary.AppendUvarint(buf, uint64(v.Len()))
		return append(buf, v.String()...), nil
	case reflect.Slice:
		if v.IsNil() {
			return append(buf, 0), nil
		}
		buf = binary.AppendUvarint(buf, uint64(v.Len())+1)
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return append(buf, v.Bytes()...), nil
		}
		return appendElems(buf, v)
	case reflect.Array:
		return appendElems(buf, v)
	case reflect.Map:
		if v.IsNil() {
			return append(buf, 0), nil
		}
		buf = binary.AppendUvarint(buf, uint64(v.Len())+1)
		var err error
		for it := v.MapRange(); it.Next(); {
			if buf, err = appendValue(buf, it.Key()); err != nil {
				return nil, err
			}
			if buf, err = appendValue(buf, it.Value()); err != nil {
				return nil, err
			}
		}
		return buf, nil
	case reflect.Pointer:
		if v.IsNil() {
			return append(buf, 0), nil
		}
		return appendValue(append(buf, 1), v.Elem())
	case reflect.Struct:
		var err error
		for i := 0; i < v.NumField(); i++ {
			if !v.Type().Field(i).IsExported() {
				continue
			}
			if buf, err = appendValue(buf, v.Field(i)); err != nil {
				return nil, fmt.Errorf("%s.%s: %w", v.Type().Name(), v.Type().Field(i).Name, err)
			}
		}
		return buf, nil
	case reflect.Interface:
		if v.IsNil() {
			return append(buf, 0), nil
		}
	}
	return nil, fmt.Errorf("cannot encode a %s", v.Type())
}

func appendElems(buf []byte, v reflect.Value) ([]byte, error) {
	var err error
	for i := 0; i < v.Len(); i++ {
		if buf, err = appendValue(buf, v.Index(i)); err != nil {
			return nil, err
		}
	}
	return buf, nil
}

var errShort = errors.New("truncated")

type decoder struct{ buf []byte }

func (d *decoder) uvarint() (uint64, error) {
	x, n := binary.Uvarint(d.buf)
	if n <= 0 {
		return 0, errShort
	}
	d.buf = d.buf[n:]
	return x, nil
}

func (d *decoder) byte() (byte, error) {
	if len(d.buf) == 0 {
		return 0, errShort
	}
	c := d.buf[0]
	d.buf = d.buf[1:]
	return c, nil
}

// count reads a length; with nilable, 0 means nil and n+1 means n. Every
// element takes at least a byte, so a count beyond what is left is wrong.
func (d *decoder) count(nilable bool) (n int, isNil bool, err error) {
	x, err := d.uvarint()
	if err != nil {
		return 0, false, err
	}
	if nilable {
		if x == 0 {
			return 0, true, nil
		}
		x--
	}
	if x > uint64(len(d.buf)) {
		return 0, false, errShort
	}
	return int(x), false, nil
}

func (d *decoder) value(v reflect.Value) error {
	switch v.Kind() {
	case reflect.Bool:
		c, err := d.byte()
		if err != nil {
			return err
		}
		if c > 1 {
			return fmt.Errorf("bad bool %d", c)
		}
		v.SetBool(c == 1)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		x, n := binary.Varint(d.buf)
		if n <= 0 {
			return errShort
		}
		d.buf = d.buf[n:]
		if v.OverflowInt(x) {
			return fmt.Errorf("%d overflows %s", x, v.Type())
		}
		v.SetInt(x)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		x, err := d.uvarint()
		if err != nil {
			return err
		}
		if v.OverflowUint(x) {
			return fmt.Errorf("%d overflows %s", x, v.Type())
		}
		v.SetUint(x)
	case reflect.Float32, reflect.Float64:
		if len(d.buf) < 8 {
			return errShort
		}
		v.SetFloat(math.Float64frombits(binary.LittleEndian.Uint64(d.buf)))
		d.buf = d.buf[8:]
	case reflect.String:
		n, _, err := d.count(false)
		if err != nil {
			return err
		}
		v.SetString(string(d.buf[:n]))
		d.buf = d.buf[n:]
	case reflect.Slice:
		n, isNil, err := d.count(true)
		if err != nil || isNil {
			return err
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			v.SetBytes(append([]byte{}, d.buf[:n]...))
			d.buf = d.buf[n:]
			return nil
		}
		v.Set(reflect.MakeSlice(v.Type(), n, n))
		return d.elems(v)
	case reflect.Array:
		return d.elems(v)
	case reflect.Map:
		n, isNil, err := d.count(true)
		if err != nil || isNil {
			return err
		}
		m := reflect.MakeMapWithSize(v.Type(), n)
		for i := 0; i < n; i++ {
			k := reflect.New(v.Type().Key()).Elem()
			e := reflect.New(v.Type().Elem()).Elem()
			if err := d.value(k); err != nil {
				return err
			}
			if err := d.value(e); err != nil {
				return err
			}
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.Pointer:
		c, err := d.byte()
		if err != nil {
			return err
		}
		switch c {
		case 0:
			v.SetZero()
			return nil
		case 1:
		default:
			return fmt.Errorf("bad pointer flag %d", c)
		}
		p := reflect.New(v.Type().Elem())
		if err := d.value(p.Elem()); err != nil {
			return err
		}
		v.Set(p)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if !v.Type().Field(i).IsExported() {
				continue
			}
			if err := d.value(v.Field(i)); err != nil {
				return err
			}
		}
	case reflect.Interface:
		c, err := d.byte()
		if err != nil {
			return err
		}
		if c != 0 {
			return fmt.Errorf("cannot decode a %s", v.Type())
		}
		v.SetZero()
	default:
		return fmt.Errorf("cannot decode a %s", v.Type())
	}
	return nil
}

func (d *decoder) elems(v reflect.Value) error {
	for i := 0; i < v.Len(); i++ {
		if err := d.value(v.Index(i)); err != nil {
			return err
		}
	}
	return nil
}
