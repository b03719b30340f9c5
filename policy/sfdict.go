package policy

import "encoding/base64"

// This file parses a Structured Fields Dictionary (RFC 8941 §4.2.2), the
// syntax of targeted cache-control fields (RFC 9213 §2.1). Only what a
// directive needs is kept: each member's key and its value as an sfItem;
// parameters are parsed (to find errors) and dropped ("Parameters received
// on cache directives are to be ignored", RFC 9213 §2.1). Date and Display
// String items (RFC 9651) are not part of RFC 8941 and fail the parse.

// sfKind is the type of a bare item (RFC 8941 §3.3), or an inner list.
type sfKind uint8

const (
	sfInteger sfKind = iota + 1
	sfDecimal
	sfString
	sfToken
	sfBytes
	sfBoolean
	sfInnerList
)

// sfItem is a dictionary member's value. For sfInteger, num; for
// sfBoolean, b; for sfString and sfToken, str.
type sfItem struct {
	kind sfKind
	num  int64
	b    bool
	str  string
}

// sfMember is one dictionary member.
type sfMember struct {
	key string
	val sfItem
}

// sfParser holds the input and the position of RFC 8941 §4.2's algorithms.
type sfParser struct {
	s string
	i int
}

// parseSFDictionary parses s as a Dictionary (RFC 8941 §4.2 with
// field_type "dictionary"). A key that occurs again overwrites the earlier
// value, keeping its place (§4.2.2: "overwrite its value"). It reports
// false on any parse error.
func parseSFDictionary(s string) ([]sfMember, bool) {
	p := sfParser{s: s}
	p.skipSP()
	var out []sfMember
	for p.i < len(p.s) {
		key, ok := p.key()
		if !ok {
			return nil, false
		}
		var val sfItem
		if p.peek() == '=' {
			p.i++
			if val, ok = p.itemOrInnerList(); !ok {
				return nil, false
			}
		} else {
			val = sfItem{kind: sfBoolean, b: true}
			if !p.parameters() {
				return nil, false
			}
		}
		out = setMember(out, key, val)
		p.skipOWS()
		if p.i == len(p.s) {
			return out, true
		}
		if p.s[p.i] != ',' {
			return nil, false
		}
		p.i++
		p.skipOWS()
		if p.i == len(p.s) {
			return nil, false // trailing comma
		}
	}
	return out, true
}

func setMember(ms []sfMember, key string, val sfItem) []sfMember {
	for i := range ms {
		if ms[i].key == key {
			ms[i].val = val
			return ms
		}
	}
	return append(ms, sfMember{key: key, val: val})
}

func (p *sfParser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *sfParser) skipSP() {
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
}

func (p *sfParser) skipOWS() {
	for p.i < len(p.s) && isOWS(p.s[p.i]) {
		p.i++
	}
}

func isLCAlpha(c byte) bool { return 'a' <= c && c <= 'z' }

// key parses a key (§4.2.3.3): ( lcalpha / "*" ) *( lcalpha / DIGIT / "_"
// / "-" / "." / "*" ).
func (p *sfParser) key() (string, bool) {
	start := p.i
	if c := p.peek(); !isLCAlpha(c) && c != '*' {
		return "", false
	}
	p.i++
	for p.i < len(p.s) {
		c := p.s[p.i]
		if !isLCAlpha(c) && !isDigit(c) && c != '_' && c != '-' && c != '.' && c != '*' {
			break
		}
		p.i++
	}
	return p.s[start:p.i], true
}

// parameters parses and drops parameters (§4.2.3.2).
func (p *sfParser) parameters() bool {
	for p.peek() == ';' {
		p.i++
		p.skipSP()
		if _, ok := p.key(); !ok {
			return false
		}
		if p.peek() == '=' {
			p.i++
			if _, ok := p.bareItem(); !ok {
				return false
			}
		}
	}
	return true
}

// itemOrInnerList parses §4.2.1.1.
func (p *sfParser) itemOrInnerList() (sfItem, bool) {
	if p.peek() == '(' {
		return p.innerList()
	}
	it, ok := p.bareItem()
	return it, ok && p.parameters()
}

// innerList parses §4.2.1.2; its items are dropped: no cache directive
// takes a list.
func (p *sfParser) innerList() (sfItem, bool) {
	p.i++ // (
	for p.i < len(p.s) {
		p.skipSP()
		if p.peek() == ')' {
			p.i++
			return sfItem{kind: sfInnerList}, p.parameters()
		}
		if _, ok := p.bareItem(); !ok || !p.parameters() {
			return sfItem{}, false
		}
		if c := p.peek(); c != ' ' && c != ')' {
			return sfItem{}, false
		}
	}
	return sfItem{}, false
}

// bareItem parses §4.2.3.1.
func (p *sfParser) bareItem() (sfItem, bool) {
	switch c := p.peek(); {
	case c == '-' || isDigit(c):
		return p.number()
	case c == '"':
		return p.str()
	case c == '*' || isAlpha(c):
		return p.token(), true
	case c == ':':
		return p.byteSeq()
	case c == '?':
		return p.boolean()
	}
	return sfItem{}, false
}

// number parses an Integer or Decimal (§4.2.4): at most 15 digits, or at
// most 12 before the point and 1 to 3 after it.
func (p *sfParser) number() (sfItem, bool) {
	neg := p.peek() == '-'
	if neg {
		p.i++
	}
	if !isDigit(p.peek()) {
		return sfItem{}, false
	}
	var n int64
	digits, frac, dot := 0, 0, false
scan:
	for ; p.i < len(p.s); p.i++ {
		switch c := p.s[p.i]; {
		case isDigit(c) && dot:
			frac++
		case isDigit(c):
			n = n*10 + int64(c-'0')
		case c == '.' && !dot && digits <= 12:
			dot = true
			continue
		case c == '.' && !dot:
			return sfItem{}, false
		default:
			break scan
		}
		if digits++; digits > 15 {
			return sfItem{}, false
		}
	}
	switch {
	case dot && (frac == 0 || frac > 3):
		return sfItem{}, false
	case dot:
		return sfItem{kind: sfDecimal}, true
	case neg:
		n = -n
	}
	return sfItem{kind: sfInteger, num: n}, true
}

// str parses a String (§4.2.5): printable ASCII, with only \" and \\
// escapes.
func (p *sfParser) str() (sfItem, bool) {
	p.i++ // "
	var buf []byte
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '\\':
			if p.i+1 >= len(p.s) || p.s[p.i+1] != '"' && p.s[p.i+1] != '\\' {
				return sfItem{}, false
			}
			buf = append(buf, p.s[start:p.i]...)
			p.i++
			start = p.i
		case c == '"':
			v := p.s[start:p.i]
			if buf != nil {
				v = string(append(buf, v...))
			}
			p.i++
			return sfItem{kind: sfString, str: v}, true
		case c < 0x20 || c > 0x7e:
			return sfItem{}, false
		}
		p.i++
	}
	return sfItem{}, false
}

// token parses a Token (§4.2.6): ( ALPHA / "*" ) *( tchar / ":" / "/" ).
func (p *sfParser) token() sfItem {
	start := p.i
	p.i++
	for p.i < len(p.s) && (isTchar(p.s[p.i]) || p.s[p.i] == ':' || p.s[p.i] == '/') {
		p.i++
	}
	return sfItem{kind: sfToken, str: p.s[start:p.i]}
}

// byteSeq parses a Byte Sequence (§4.2.7): base64 between colons.
func (p *sfParser) byteSeq() (sfItem, bool) {
	p.i++ // :
	start := p.i
	for p.i < len(p.s) && p.s[p.i] != ':' {
		c := p.s[p.i]
		if !isAlpha(c) && !isDigit(c) && c != '+' && c != '/' && c != '=' {
			return sfItem{}, false
		}
		p.i++
	}
	if p.i == len(p.s) {
		return sfItem{}, false
	}
	b64 := p.s[start:p.i]
	p.i++
	// §4.2.7 lets a parser accept missing padding; it must refuse other
	// invalid base64.
	if _, err := base64.RawStdEncoding.DecodeString(trimPad(b64)); err != nil {
		return sfItem{}, false
	}
	return sfItem{kind: sfBytes}, true
}

func trimPad(s string) string {
	for len(s) > 0 && s[len(s)-1] == '=' {
		s = s[:len(s)-1]
	}
	return s
}

// boolean parses a Boolean (§4.2.8): ?0 or ?1.
func (p *sfParser) boolean() (sfItem, bool) {
	p.i++ // ?
	switch p.peek() {
	case '0':
		p.i++
		return sfItem{kind: sfBoolean, b: false}, true
	case '1':
		p.i++
		return sfItem{kind: sfBoolean, b: true}, true
	}
	return sfItem{}, false
}
