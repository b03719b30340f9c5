package keys

import (
	"bytes"
	"errors"
	"slices"
	"unicode/utf16"
	"unicode/utf8"
)

// Reasons a JSON body is keyed as raw bytes instead of canonical JSON.
var (
	errJSONSyntax    = errors.New("keys: invalid JSON")
	errJSONUTF8      = errors.New("keys: JSON text is not valid UTF-8")
	errJSONSurrogate = errors.New("keys: JSON string has a lone surrogate escape")
	errJSONDuplicate = errors.New("keys: JSON object has a duplicate member name")
	errJSONDepth     = errors.New("keys: JSON nested too deeply")
)

// maxJSONDepth bounds nesting so hostile bodies cannot exhaust the stack;
// deeper bodies are keyed raw.
const maxJSONDepth = 256

// jspan is one object member in the output, as offsets relative to the
// start of the object's members: the key (quoted) and the member's end.
// ignored marks a top-level member to drop unless the body has a content
// root (see Config.ContentRootKey).
type jspan struct {
	ks, ke, end int32
	ignored     bool
}

// jsonCanon writes the canonical form of a JSON text (RFC 8259): no
// insignificant whitespace, object members sorted by name at every level,
// strings with one escaping (only '"', '\' and control characters
// escaped; "\u0041" and "A" are the same string), numbers exactly as written
// (1.0 and 1 stay distinct, nothing is lost to float64). Texts whose meaning
// is not certain are refused so they are keyed raw rather than conflated
// with another body: invalid UTF-8, lone surrogate escapes (which decoders
// replace with U+FFFD) and duplicate member names (which decoders resolve
// differently).
type jsonCanon struct {
	c     *Config
	s     *state
	in    []byte
	i     int
	out   []byte
	depth int
	root  bool // the next value is the ContentRootKey member's
}

// canonicalJSON returns the canonical form of in with the ignored members
// of a top-level object removed and the secret ones moved to s.sec. The
// result aliases s.body.
func (c *Config) canonicalJSON(s *state, in []byte) ([]byte, error) {
	p := jsonCanon{c: c, s: s, in: in, out: s.body[:0]}
	s.spans = s.spans[:0]
	err := p.value()
	if err == nil {
		p.ws()
		if p.i != len(in) {
			err = errJSONSyntax
		}
	}
	s.body = p.out
	if err != nil {
		return nil, err
	}
	return p.out, nil
}

func (p *jsonCanon) ws() {
	for p.i < len(p.in) {
		switch p.in[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *jsonCanon) literal(lit string) error {
	if !bytes.HasPrefix(p.in[p.i:], []byte(lit)) {
		return errJSONSyntax
	}
	p.out = append(p.out, lit...)
	p.i += len(lit)
	return nil
}

func (p *jsonCanon) value() error {
	p.ws()
	if p.i >= len(p.in) {
		return errJSONSyntax
	}
	root := p.root
	p.root = false
	switch c := p.in[p.i]; {
	case c == '{':
		return p.object(root)
	case c == '[':
		return p.array()
	case c == '"':
		return p.str()
	case c == 't':
		return p.literal("true")
	case c == 'f':
		return p.literal("false")
	case c == 'n':
		return p.literal("null")
	case c == '-' || ('0' <= c && c <= '9'):
		return p.number()
	}
	return errJSONSyntax
}

func (p *jsonCanon) digits() int {
	n := 0
	for p.i < len(p.in) && '0' <= p.in[p.i] && p.in[p.i] <= '9' {
		p.i++
		n++
	}
	return n
}

// number copies a number exactly as written after checking its grammar.
func (p *jsonCanon) number() error {
	start := p.i
	if p.in[p.i] == '-' {
		p.i++
	}
	if p.i >= len(p.in) {
		return errJSONSyntax
	}
	if p.in[p.i] == '0' {
		p.i++
	} else if p.digits() == 0 {
		return errJSONSyntax
	}
	if p.i < len(p.in) && p.in[p.i] == '.' {
		p.i++
		if p.digits() == 0 {
			return errJSONSyntax
		}
	}
	if p.i < len(p.in) && (p.in[p.i] == 'e' || p.in[p.i] == 'E') {
		p.i++
		if p.i < len(p.in) && (p.in[p.i] == '+' || p.in[p.i] == '-') {
			p.i++
		}
		if p.digits() == 0 {
			return errJSONSyntax
		}
	}
	p.out = append(p.out, p.in[start:p.i]...)
	return nil
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		v, ok := unhex(c)
		if !ok {
			return 0, false
		}
		r = r<<4 | rune(v)
	}
	return r, true
}

// appendJSONRune appends r with the canonical escaping.
func appendJSONRune(dst []byte, r rune) []byte {
	switch {
	case r == '"' || r == '\\':
		return append(dst, '\\', byte(r))
	case r == '\b':
		return append(dst, '\\', 'b')
	case r == '\f':
		return append(dst, '\\', 'f')
	case r == '\n':
		return append(dst, '\\', 'n')
	case r == '\r':
		return append(dst, '\\', 'r')
	case r == '\t':
		return append(dst, '\\', 't')
	case r < 0x20:
		return append(dst, '\\', 'u', '0', '0', upperHex[r>>4], upperHex[r&15])
	case r < utf8.RuneSelf:
		return append(dst, byte(r))
	}
	return utf8.AppendRune(dst, r)
}

// str decodes a string and writes it with the canonical escaping.
func (p *jsonCanon) str() error {
	p.i++ // opening quote
	p.out = append(p.out, '"')
	for p.i < len(p.in) {
		c := p.in[p.i]
		switch {
		case c == '"':
			p.i++
			p.out = append(p.out, '"')
			return nil
		case c < 0x20:
			return errJSONSyntax
		case c < utf8.RuneSelf && c != '\\':
			// Copy the run of characters that need no escaping at once.
			j := p.i + 1
			for j < len(p.in) {
				if d := p.in[j]; d < 0x20 || d == '"' || d == '\\' || d >= utf8.RuneSelf {
					break
				}
				j++
			}
			p.out = append(p.out, p.in[p.i:j]...)
			p.i = j
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRune(p.in[p.i:])
			if r == utf8.RuneError && n == 1 {
				return errJSONUTF8
			}
			p.out = append(p.out, p.in[p.i:p.i+n]...)
			p.i += n
		default: // backslash
			if p.i+1 >= len(p.in) {
				return errJSONSyntax
			}
			e := p.in[p.i+1]
			p.i += 2
			var r rune
			switch e {
			case '"', '\\', '/':
				r = rune(e)
			case 'b':
				r = '\b'
			case 'f':
				r = '\f'
			case 'n':
				r = '\n'
			case 'r':
				r = '\r'
			case 't':
				r = '\t'
			case 'u':
				var ok bool
				if r, ok = hex4(p.in[p.i:]); !ok {
					return errJSONSyntax
				}
				p.i += 4
				if utf16.IsSurrogate(r) {
					lo, ok := rune(0), false
					if p.i+1 < len(p.in) && p.in[p.i] == '\\' && p.in[p.i+1] == 'u' {
						lo, ok = hex4(p.in[p.i+2:])
					}
					if !ok {
						return errJSONSurrogate
					}
					if r = utf16.DecodeRune(r, lo); r == utf8.RuneError {
						return errJSONSurrogate
					}
					p.i += 6
				}
			default:
				return errJSONSyntax
			}
			p.out = appendJSONRune(p.out, r)
		}
	}
	return errJSONSyntax
}

func (p *jsonCanon) array() error {
	if p.depth++; p.depth > maxJSONDepth {
		return errJSONDepth
	}
	p.i++
	p.out = append(p.out, '[')
	p.ws()
	if p.i < len(p.in) && p.in[p.i] == ']' {
		p.i++
		p.out = append(p.out, ']')
		p.depth--
		return nil
	}
	for {
		if err := p.value(); err != nil {
			return err
		}
		p.ws()
		if p.i >= len(p.in) {
			return errJSONSyntax
		}
		switch p.in[p.i] {
		case ',':
			p.i++
			p.out = append(p.out, ',')
		case ']':
			p.i++
			p.out = append(p.out, ']')
			p.depth--
			return nil
		default:
			return errJSONSyntax
		}
	}
}

// object writes the members in canonical form one after the other, then
// reorders them by name. Parameters are the members of a top-level object,
// or of the object that is the value of its ContentRootKey member (root):
// ignored ones are dropped, secret ones moved to the credentials.
func (p *jsonCanon) object(root bool) error {
	if p.depth++; p.depth > maxJSONDepth {
		return errJSONDepth
	}
	top := p.depth == 1
	rootKey := ""
	if top && p.c != nil {
		rootKey = p.c.ContentRootKey
	}
	hasRoot := false
	p.i++
	start := len(p.out)
	base := len(p.s.spans)
	p.ws()
	if p.i < len(p.in) && p.in[p.i] == '}' {
		p.i++
		p.out = append(p.out, '{', '}')
		p.depth--
		return nil
	}
	for {
		p.ws()
		if p.i >= len(p.in) || p.in[p.i] != '"' {
			return errJSONSyntax
		}
		ks := len(p.out)
		if err := p.str(); err != nil {
			return err
		}
		ke := len(p.out)
		p.ws()
		if p.i >= len(p.in) || p.in[p.i] != ':' {
			return errJSONSyntax
		}
		p.i++
		p.out = append(p.out, ':')
		vs := len(p.out)
		// The quoted key is compared without its quotes; names that need
		// JSON escaping never match.
		name := p.out[ks+1 : ke-1]
		if rootKey != "" && string(name) == rootKey {
			hasRoot = true
			p.root = true
		}
		if err := p.value(); err != nil {
			return err
		}
		class := paramKept
		if top || root {
			class = classify(p.c, p.out[ks+1:ke-1])
		}
		switch {
		case class == paramIgnored && top && rootKey != "":
			// Dropped at the end unless the object has the root member.
			p.s.spans = append(p.s.spans, jspan{int32(ks - start), int32(ke - start), int32(len(p.out) - start), true})
		case class == paramIgnored:
			p.out = p.out[:ks]
		case class == paramSecret:
			s := p.s
			// Root members are tagged apart, so a secret cannot move
			// between the top level and the root without changing the key.
			sp := param{tag: 'B', eq: true}
			if root {
				sp.tag = 'R'
			}
			sp.ns = int32(len(s.sbuf))
			s.sbuf = append(s.sbuf, p.out[ks:ke]...)
			sp.ne = int32(len(s.sbuf))
			s.sbuf = append(s.sbuf, p.out[vs:]...)
			sp.vs, sp.ve = sp.ne, int32(len(s.sbuf))
			s.sec = append(s.sec, sp)
			p.out = p.out[:ks]
		default:
			p.s.spans = append(p.s.spans, jspan{int32(ks - start), int32(ke - start), int32(len(p.out) - start), false})
		}
		p.ws()
		if p.i >= len(p.in) {
			return errJSONSyntax
		}
		if p.in[p.i] == ',' {
			p.i++
			continue
		}
		if p.in[p.i] != '}' {
			return errJSONSyntax
		}
		p.i++
		break
	}
	members := p.s.spans[base:]
	if rootKey != "" && !hasRoot {
		// No content root: the top-level ignored members go, as they
		// would without ContentRootKey.
		members = slices.DeleteFunc(members, func(m jspan) bool { return m.ignored })
	}
	// Reorder the members by their (canonically escaped) names.
	region := p.out[start:]
	cmp := func(a, b jspan) int { return bytes.Compare(region[a.ks:a.ke], region[b.ks:b.ke]) }
	slices.SortFunc(members, cmp)
	for j := 1; j < len(members); j++ {
		if cmp(members[j-1], members[j]) == 0 {
			return errJSONDuplicate
		}
	}
	p.s.jtmp = append(p.s.jtmp[:0], region...)
	p.out = append(p.out[:start], '{')
	for j, m := range members {
		if j > 0 {
			p.out = append(p.out, ',')
		}
		p.out = append(p.out, p.s.jtmp[m.ks:m.end]...)
	}
	p.out = append(p.out, '}')
	p.s.spans = p.s.spans[:base]
	p.depth--
	return nil
}
