package kv

import (
	"encoding"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// Template is a key template such as "user:{ID}" or "page:{Site}/{Path}"
// (Core-Lib's key="user_{user_id}"), parsed once for an argument type K.
// A placeholder names an exported field of K (through embedded or nested
// structs and pointers: "{Owner.ID}"), or is "{}", which stands for the
// whole argument. "{{" and "}}" stand for literal braces. A field must be
// a string, bool, integer or float, or implement encoding.TextMarshaler or
// fmt.Stringer (tried in that order).
//
// Values are written as they are, not escaped: with "{A}:{B}", A="x:y",
// B="z" and A="x", B="y:z" give the same key. Choose separators the values
// cannot contain, or use MemoOptions.Key.
type Template[K any] struct {
	src  string
	segs []segment
}

// segment is a literal or a placeholder of a parsed template.
type segment struct {
	lit  string // literal text, when path is nil
	name string // the placeholder as written, "" for {}
	path []step // fields to walk from the argument; empty for {}
	ph   bool   // a placeholder
}

// step is one field access: the field's index in its struct, after
// dereferencing as many pointers as derefs says.
type step struct {
	derefs int
	index  int
}

var (
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
	stringer      = reflect.TypeFor[fmt.Stringer]()
)

// ParseTemplate parses tmpl for arguments of type K. It fails with an
// error matching ErrBadTemplate on unbalanced braces, a field K lacks (or
// has unexported), or a field that cannot be formatted.
func ParseTemplate[K any](tmpl string) (*Template[K], error) {
	t := &Template[K]{src: tmpl}
	typ := reflect.TypeFor[K]()
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			t.segs = append(t.segs, segment{lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(tmpl); i++ {
		switch c := tmpl[i]; {
		case c == '{' && i+1 < len(tmpl) && tmpl[i+1] == '{':
			lit.WriteByte('{')
			i++
		case c == '}' && i+1 < len(tmpl) && tmpl[i+1] == '}':
			lit.WriteByte('}')
			i++
		case c == '}':
			return nil, fmt.Errorf("%w %q: '}' at byte %d closes nothing (write }} for a brace)", ErrBadTemplate, tmpl, i)
		case c == '{':
			end := strings.IndexByte(tmpl[i+1:], '}')
			if end < 0 {
				return nil, fmt.Errorf("%w %q: '{' at byte %d is not closed (write {{ for a brace)", ErrBadTemplate, tmpl, i)
			}
			name := tmpl[i+1 : i+1+end]
			seg, err := resolve(typ, name)
			if err != nil {
				return nil, fmt.Errorf("%w %q: %w", ErrBadTemplate, tmpl, err)
			}
			flush()
			t.segs = append(t.segs, seg)
			i += 1 + end
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	return t, nil
}

// resolve finds the field path name ("", "ID", "Owner.ID") in typ.
func resolve(typ reflect.Type, name string) (segment, error) {
	seg := segment{name: name, ph: true}
	cur := typ
	if name != "" {
		for _, part := range strings.Split(name, ".") {
			if part == "" || strings.ContainsAny(part, "{ \t") {
				return seg, fmt.Errorf("placeholder {%s} is not a field path like {ID} or {Owner.ID}", name)
			}
			derefs := 0
			for cur.Kind() == reflect.Pointer {
				cur = cur.Elem()
				derefs++
			}
			if cur.Kind() != reflect.Struct {
				return seg, fmt.Errorf("placeholder {%s}: %s is not a struct, it has no field %s", name, cur, part)
			}
			f, ok := cur.FieldByName(part)
			if !ok || !f.IsExported() {
				return seg, fmt.Errorf("placeholder {%s}: %s has no exported field %s", name, cur, part)
			}
			// FieldByName resolves promoted fields to an index path through
			// embedded structs; walk it so pointers on the way are checked.
			for j, idx := range f.Index {
				seg.path = append(seg.path, step{derefs: derefs, index: idx})
				derefs = 0
				if j < len(f.Index)-1 {
					cur = cur.Field(idx).Type
					for cur.Kind() == reflect.Pointer {
						cur = cur.Elem()
						derefs++
					}
				}
			}
			cur = f.Type
		}
	}
	if !formattable(cur) {
		what := "the argument"
		if name != "" {
			what = "field " + name
		}
		return seg, fmt.Errorf("%s is a %s, which a key cannot hold (use MemoOptions.Key)", what, cur)
	}
	return seg, nil
}

// formattable reports whether format can write a value of type t.
func formattable(t reflect.Type) bool {
	if t.Implements(textMarshaler) || t.Implements(stringer) ||
		reflect.PointerTo(t).Implements(textMarshaler) || reflect.PointerTo(t).Implements(stringer) {
		return true
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String, reflect.Bool,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// String returns the template as given to ParseTemplate.
func (t *Template[K]) String() string { return t.src }

// Key fills the template from k. It fails with an error matching
// ErrBadTemplate when a pointer on the way to a field is nil.
func (t *Template[K]) Key(k K) (string, error) {
	var sb strings.Builder
	root := reflect.ValueOf(&k).Elem()
	for _, seg := range t.segs {
		if !seg.ph {
			sb.WriteString(seg.lit)
			continue
		}
		v := root
		for _, st := range seg.path {
			for range st.derefs {
				if v.IsNil() {
					return "", fmt.Errorf("%w %q: nil pointer on the way to {%s}", ErrBadTemplate, t.src, seg.name)
				}
				v = v.Elem()
			}
			v = v.Field(st.index)
		}
		s, err := format(v)
		if err != nil {
			return "", fmt.Errorf("%w %q: {%s}: %w", ErrBadTemplate, t.src, seg.name, err)
		}
		sb.WriteString(s)
	}
	return sb.String(), nil
}

// format writes v as a key part (see Template).
func format(v reflect.Value) (string, error) {
	if v.Kind() == reflect.Interface || v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return "", fmt.Errorf("nil %s", v.Type())
		}
	}
	if v.CanInterface() {
		switch x := v.Interface().(type) {
		case encoding.TextMarshaler:
			b, err := x.MarshalText()
			return string(b), err
		case fmt.Stringer:
			return x.String(), nil
		}
	}
	if v.CanAddr() && v.Addr().CanInterface() {
		switch x := v.Addr().Interface().(type) {
		case encoding.TextMarshaler:
			b, err := x.MarshalText()
			return string(b), err
		case fmt.Stringer:
			return x.String(), nil
		}
	}
	if v.Kind() == reflect.Pointer {
		return format(v.Elem())
	}
	switch v.Kind() {
	case reflect.String:
		return v.String(), nil
	case reflect.Bool:
		return strconv.FormatBool(v.Bool()), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.FormatUint(v.Uint(), 10), nil
	case reflect.Float32, reflect.Float64:
		return strconv.FormatFloat(v.Float(), 'g', -1, v.Type().Bits()), nil
	}
	return "", fmt.Errorf("cannot format a %s", v.Type())
}
