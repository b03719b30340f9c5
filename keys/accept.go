package keys

import (
	"net/http"
	"slices"
	"strings"
)

// acceptKind is a request field whose list grammar Variant knows, so that
// values with the same meaning select the same variant (RFC 9111 §4.1
// allows normalising "in a way that is known to have identical semantics,
// according to the header field's specification").
type acceptKind uint8

const (
	acceptNone     acceptKind = iota
	acceptMedia               // Accept (RFC 9110 §12.5.1)
	acceptCharset             // Accept-Charset (§12.5.2)
	acceptEncoding            // Accept-Encoding (§12.5.3)
	acceptLanguage            // Accept-Language (§12.5.4)
)

func acceptKindOf(canon string) acceptKind {
	switch canon {
	case "Accept":
		return acceptMedia
	case "Accept-Charset":
		return acceptCharset
	case "Accept-Encoding":
		return acceptEncoding
	case "Accept-Language":
		return acceptLanguage
	}
	return acceptNone
}

// amember is one list member in canonical form without its weight, as
// offsets into state.abuf, and its weight in thousandths.
type amember struct {
	s, e int32
	q    int16
}

// parseAccept parses the list v of a field of kind k into s.acc and s.abuf,
// members in canonical form, in the order written. It reports false when v
// does not follow the field's grammar; the caller then keys v as written.
//
// The canonical form of a member is what RFC 9110 defines as equivalent:
// no whitespace; media types, content codings, charsets and language
// ranges in lower case (§8.3.1, §8.3.2, §8.4.1, RFC 4647 §2); parameter
// names in lower case (§5.6.6); a quoted parameter value unquoted when it
// is a token (§5.6.6: "the quoted and unquoted values are equivalent");
// empty list elements and parameters dropped (§5.6.1); the weight "q"
// parsed (§12.4.2), so "q=1", "Q=1.000" and none are the same. Parameter
// values keep their case and parameters their order.
func (s *state) parseAccept(k acceptKind, v string) bool {
	s.acc, s.abuf = s.acc[:0], s.abuf[:0]
	return s.parseMembers(k, v)
}

// parseAcceptField parses every field line of h named canon, in the order
// appendValue combines them: a list member never spans field lines, so
// this is parsing the combined value without building it.
func (s *state) parseAcceptField(k acceptKind, h http.Header, canon string) bool {
	s.acc, s.abuf = s.acc[:0], s.abuf[:0]
	for _, v := range h[canon] {
		if !s.parseMembers(k, v) {
			return false
		}
	}
	for _, key := range s.extra {
		if strings.EqualFold(key, canon) {
			for _, v := range h[key] {
				if !s.parseMembers(k, v) {
					return false
				}
			}
		}
	}
	return true
}

// parseMembers appends the members of the list v to s.acc and s.abuf.
func (s *state) parseMembers(k acceptKind, v string) bool {
	i, n := 0, len(v)
	for {
		for i < n && (v[i] == ',' || isOWS(v[i])) {
			i++
		}
		if i >= n {
			return true
		}
		m := amember{s: int32(len(s.abuf)), q: 1000}
		var ok bool
		if i, ok = s.acceptValue(k, v, i); !ok {
			return false
		}
		weighted := false
		for {
			j := i
			for j < n && isOWS(v[j]) {
				j++
			}
			if j >= n || v[j] == ',' {
				i = j
				break
			}
			if v[j] != ';' {
				return false
			}
			j++
			for j < n && isOWS(v[j]) {
				j++
			}
			if j >= n || v[j] == ';' || v[j] == ',' {
				i = j // an empty parameter (RFC 9110 §5.6.6)
				continue
			}
			ns := j
			for j < n && tcharSet[v[j]] {
				j++
			}
			name := v[ns:j]
			if name == "" || j >= n || v[j] != '=' {
				return false
			}
			j++
			if (name == "q" || name == "Q") && !weighted {
				q, end, ok := parseQ(v, j)
				if !ok {
					return false
				}
				m.q, weighted, i = q, true, end
				continue
			}
			// Only Accept has parameters besides the weight, and only
			// before it (RFC 9110 §12.5.1: media-range [ weight ]).
			if k != acceptMedia || weighted {
				return false
			}
			s.abuf = append(s.abuf, ';')
			s.abuf = appendLower(s.abuf, name)
			s.abuf = append(s.abuf, '=')
			if i, ok = s.appendParamValue(v, j); !ok {
				return false
			}
		}
		m.e = int32(len(s.abuf))
		s.acc = append(s.acc, m)
	}
}

// acceptValue appends the lower-case value of the member at v[i:] (before
// its parameters) to s.abuf, checking it against the field's grammar.
func (s *state) acceptValue(k acceptKind, v string, i int) (int, bool) {
	start := i
	switch k {
	case acceptLanguage:
		end, ok := languageRange(v, i, true)
		if !ok {
			return i, false
		}
		i = end
	case acceptMedia:
		for i < len(v) && tcharSet[v[i]] {
			i++
		}
		typ := v[start:i]
		if typ == "" || i >= len(v) || v[i] != '/' {
			return i, false
		}
		i++
		ss := i
		for i < len(v) && tcharSet[v[i]] {
			i++
		}
		sub := v[ss:i]
		if sub == "" || (typ == "*" && sub != "*") {
			return i, false // "*/html" is no media range
		}
	default: // charset or content coding: a token, or "*"
		for i < len(v) && tcharSet[v[i]] {
			i++
		}
		if i == start {
			return i, false
		}
	}
	s.abuf = appendLower(s.abuf, v[start:i])
	return i, true
}

// languageRange returns the end of the RFC 4647 §2.1 basic language range
// (or, without star, language tag prefix) at v[i:]: 1*8ALPHA *("-"
// 1*8alphanum), or "*".
func languageRange(v string, i int, star bool) (int, bool) {
	if star && i < len(v) && v[i] == '*' {
		return i + 1, true
	}
	for first := true; ; first = false {
		j := i
		for j < len(v) && j-i < 9 && (isAlpha(v[j]) || !first && isDigit(v[j])) {
			j++
		}
		if j == i || j-i > 8 {
			return i, false
		}
		i = j
		if i+1 >= len(v) || v[i] != '-' {
			return i, true
		}
		i++
	}
}

func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// parseQ parses the qvalue at v[i:] (RFC 9110 §12.4.2: "0" [ "." 0*3DIGIT ]
// / "1" [ "." 0*3("0") ]) in thousandths.
func parseQ(v string, i int) (q int16, end int, ok bool) {
	if i >= len(v) || (v[i] != '0' && v[i] != '1') {
		return 0, i, false
	}
	one := v[i] == '1'
	i++
	if i < len(v) && v[i] == '.' {
		i++
		for d := int16(100); d > 0 && i < len(v) && isDigit(v[i]); d /= 10 {
			if one && v[i] != '0' {
				return 0, i, false
			}
			q += d * int16(v[i]-'0')
			i++
		}
	}
	if i < len(v) && isDigit(v[i]) {
		return 0, i, false // more than three decimals, or "01"
	}
	if one {
		q = 1000
	}
	return q, i, true
}

// appendParamValue appends the canonical form of the parameter value at
// v[i:] (a token or a quoted string) to s.abuf.
func (s *state) appendParamValue(v string, i int) (int, bool) {
	if i < len(v) && v[i] != '"' {
		start := i
		for i < len(v) && tcharSet[v[i]] {
			i++
		}
		if i == start {
			return i, false
		}
		s.abuf = append(s.abuf, v[start:i]...)
		return i, true
	}
	// Quoted string (RFC 9110 §5.6.4): decode it, then write it bare if it
	// is a token, else quoted with only '"' and '\' escaped.
	if i >= len(v) {
		return i, false
	}
	i++
	vs := len(s.abuf)
	s.abuf = append(s.abuf, '"')
	token := true
	for {
		if i >= len(v) {
			return i, false
		}
		c := v[i]
		switch {
		case c == '"':
			i++
			if token && len(s.abuf) > vs+1 {
				s.abuf = append(s.abuf[:vs], s.abuf[vs+1:]...)
				return i, true
			}
			s.abuf = append(s.abuf, '"')
			return i, true
		case c == '\\':
			if i+1 >= len(v) || !qpairSet[v[i+1]] {
				return i, false
			}
			c = v[i+1]
			i += 2
		case qdtextSet[c]:
			i++
		default:
			return i, false
		}
		token = token && tcharSet[c]
		if c == '"' || c == '\\' {
			s.abuf = append(s.abuf, '\\')
		}
		s.abuf = append(s.abuf, c)
	}
}

// Character classes of RFC 9110 §5.6.2 and §5.6.4.
var tcharSet, qdtextSet, qpairSet [256]bool

func init() {
	for c := 0; c < 256; c++ {
		b := byte(c)
		tcharSet[c] = isAlpha(b) || isDigit(b) || strings.IndexByte("!#$%&'*+-.^_`|~", b) >= 0
		qdtextSet[c] = b == '\t' || b == ' ' || b == 0x21 || 0x23 <= b && b <= 0x5b || 0x5d <= b && b <= 0x7e || b >= 0x80
		qpairSet[c] = b == '\t' || b == ' ' || 0x21 <= b && b <= 0x7e || b >= 0x80
	}
}

// appendAccept appends the canonical form of the members parsed into s.acc:
// ordered by weight, highest first, members of equal weight in the order
// they were written, joined with ", ". RFC 9110 §12.4.2 makes weights the
// ranking, so that order is the one a negotiating server computes; the
// order among equal weights is kept because servers use it to break ties
// (§12.5.4 notes that some treat it as a priority), and a cache must not
// hand one client the variant a server would have chosen for another.
func (s *state) appendAccept(dst []byte) []byte {
	byWeight := func(a, b amember) int { return int(b.q) - int(a.q) }
	if len(s.acc) > 16 {
		slices.SortStableFunc(s.acc, byWeight)
	} else {
		for i := 1; i < len(s.acc); i++ {
			for j := i; j > 0 && byWeight(s.acc[j-1], s.acc[j]) > 0; j-- {
				s.acc[j-1], s.acc[j] = s.acc[j], s.acc[j-1]
			}
		}
	}
	for i, m := range s.acc {
		if i > 0 {
			dst = append(dst, ',', ' ')
		}
		dst = append(dst, s.abuf[m.s:m.e]...)
		if m.q != 1000 {
			dst = appendQ(dst, m.q)
		}
	}
	return dst
}

// appendQ appends ";q=" and q (thousandths) without trailing zeros.
func appendQ(dst []byte, q int16) []byte {
	dst = append(dst, ";q=0"...)
	if q == 0 {
		return dst
	}
	d := [3]byte{byte('0' + q/100), byte('0' + q/10%10), byte('0' + q%10)}
	n := 3
	for d[n-1] == '0' {
		n--
	}
	dst = append(dst, '.')
	return append(dst, d[:n]...)
}
