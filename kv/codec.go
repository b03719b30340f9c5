package kv

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"

	"github.com/vmihailenco/msgpack/v5"
)

// Codec turns the values a Cache stores into bytes and back. Integers do
// not go through it (see Cache).
type Codec interface {
	// Marshal encodes v.
	Marshal(v any) ([]byte, error)
	// Unmarshal decodes data into v, a non-nil pointer.
	Unmarshal(data []byte, v any) error
}

var (
	// Msgpack encodes values with github.com/vmihailenco/msgpack/v5:
	// compact, and times, byte slices and maps keep their types (a time
	// keeps its instant and comes back in time.Local). Struct fields are
	// named by their msgpack tag, else their Go name. It is the default
	// codec.
	Msgpack Codec = msgpackCodec{}
	// JSON encodes values with encoding/json: readable with redis-cli or
	// cat, and shared with programs in other languages. Byte slices become
	// base64 strings; numbers decoded into an interface become float64.
	JSON Codec = jsonCodec{}
)

type msgpackCodec struct{}

func (msgpackCodec) Marshal(v any) ([]byte, error) { return msgpack.Marshal(v) }

func (msgpackCodec) Unmarshal(data []byte, v any) error { return msgpack.Unmarshal(data, v) }

type jsonCodec struct{}

func (jsonCodec) Marshal(v any) ([]byte, error) { return json.Marshal(v) }

func (jsonCodec) Unmarshal(data []byte, v any) error { return json.Unmarshal(data, v) }

// codecByName returns the codec a DSN's kv.codec parameter names.
func codecByName(name string) (Codec, error) {
	switch name {
	case "msgpack", "":
		return Msgpack, nil
	case "json":
		return JSON, nil
	}
	return nil, fmt.Errorf("unknown codec %q (want msgpack or json)", name)
}

// encode returns the stored form of v: the decimal digits of an integer
// (so that Inc can add to it and every store's atomic counter can read
// it, as flask-caching's Redis cache does), else v encoded by codec.
func encode(codec Codec, v any) ([]byte, error) {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer && !rv.IsNil() {
		rv = rv.Elem()
	}
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.AppendInt(nil, rv.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.AppendUint(nil, rv.Uint(), 10), nil
	}
	return codec.Marshal(v)
}

// decimal reports whether data is an integer as encode and the counters
// write it: an optional minus sign and 1 to 20 digits. Values that reach a
// codec are not integers, and no codec encodes one of those so (msgpack
// writes a lone ASCII digit only for the integers 48 to 57; JSON writes a
// float with an integral value so, which decodes right either way).
func decimal(data []byte) bool {
	d := data
	if len(d) > 0 && d[0] == '-' {
		d = d[1:]
	}
	if len(d) == 0 || len(d) > 20 {
		return false
	}
	for _, c := range d {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// decode stores data, as encode wrote it, into dst, a non-nil pointer.
// Decimal data goes into an integer, float, string or empty interface
// directly (an interface gets an int64, or a uint64 above MaxInt64); any
// other data or destination goes through codec.
func decode(codec Codec, data []byte, dst any) error {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("destination %T is not a non-nil pointer: %w", dst, ErrDecode)
	}
	if decimal(data) {
		ok, err := decodeDecimal(data, rv.Elem())
		if ok || err != nil {
			return err
		}
	}
	if err := codec.Unmarshal(data, dst); err != nil {
		return fmt.Errorf("%w: %w", ErrDecode, err)
	}
	return nil
}

// decodeDecimal sets v from decimal data when v's kind takes a number, and
// reports whether it did.
func decodeDecimal(data []byte, v reflect.Value) (bool, error) {
	s := string(data)
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, v.Type().Bits())
		if err != nil {
			return true, fmt.Errorf("%s into %s: %w", s, v.Type(), ErrDecode)
		}
		v.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		n, err := strconv.ParseUint(s, 10, v.Type().Bits())
		if err != nil {
			return true, fmt.Errorf("%s into %s: %w", s, v.Type(), ErrDecode)
		}
		v.SetUint(n)
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(s, v.Type().Bits())
		if err != nil {
			return true, fmt.Errorf("%s into %s: %w", s, v.Type(), ErrDecode)
		}
		v.SetFloat(f)
	case reflect.String:
		v.SetString(s)
	case reflect.Interface:
		if v.NumMethod() != 0 {
			return false, nil
		}
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			v.Set(reflect.ValueOf(n))
		} else if u, err := strconv.ParseUint(s, 10, 64); err == nil {
			v.Set(reflect.ValueOf(u))
		} else {
			return true, fmt.Errorf("%s does not fit 64 bits: %w", s, ErrDecode)
		}
	default:
		return false, nil
	}
	return true, nil
}

// keyEncoding returns a stable encoding of v for a memo key: msgpack with
// map keys sorted, so that equal maps give equal keys.
func keyEncoding(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := msgpack.NewEncoder(&buf)
	enc.SetSortMapKeys(true)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
