package keys

import (
	"net/http"
	"slices"
	"strings"
)

// defaultCredentialHeaders are always treated as credentials (sorted).
var defaultCredentialHeaders = [...]string{"Authorization", "Cookie", "Proxy-Authorization"}

// scanHeader records the keys of h that are not in canonical form (set by
// assigning to the map directly). net/http sends such keys as they are, so
// a credential under "authorization" must count like one under
// "Authorization". The common case, all keys canonical, allocates nothing.
func (s *state) scanHeader(h http.Header) {
	s.extra = s.extra[:0]
	for k := range h {
		if http.CanonicalHeaderKey(k) != k {
			s.extra = append(s.extra, k)
		}
	}
	slices.Sort(s.extra) // map order is random; keys must not be
}

// present reports whether the request has at least one field line named
// canon (canonical form) under any spelling.
func (s *state) present(h http.Header, canon string) bool {
	if len(h[canon]) > 0 {
		return true
	}
	for _, k := range s.extra {
		if strings.EqualFold(k, canon) && len(h[k]) > 0 {
			return true
		}
	}
	return false
}

// first returns the first field line named canon under any spelling.
func (s *state) first(h http.Header, canon string) string {
	if vs := h[canon]; len(vs) > 0 {
		return vs[0]
	}
	for _, k := range s.extra {
		if vs := h[k]; strings.EqualFold(k, canon) && len(vs) > 0 {
			return vs[0]
		}
	}
	return ""
}

// appendValue appends the field value of canon: the field lines combined in
// order with ", " (RFC 9110 §5.3), each whitespace-normalised.
func (s *state) appendValue(dst []byte, h http.Header, canon string) []byte {
	n := 0
	for _, v := range h[canon] {
		dst = appendLine(dst, v, n > 0)
		n++
	}
	for _, k := range s.extra {
		if strings.EqualFold(k, canon) {
			for _, v := range h[k] {
				dst = appendLine(dst, v, n > 0)
				n++
			}
		}
	}
	return dst
}

func isOWS(c byte) bool { return c == ' ' || c == '\t' }

// appendLine appends one field line, preceded by ", " when sep is set, with
// leading and trailing whitespace removed and the whitespace around commas
// outside quoted strings (RFC 9110 §5.6.4) made ", ", so "gzip,br" and
// "gzip , br" are the same value. Nothing else is changed: values are
// case-sensitive unless a field says otherwise.
func appendLine(dst []byte, v string, sep bool) []byte {
	if sep {
		dst = append(dst, ',', ' ')
	}
	v = strings.TrimLeft(v, " \t")
	v = strings.TrimRight(v, " \t")
	start := len(dst)
	quoted, escaped := false, false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if quoted {
			dst = append(dst, c)
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				quoted = false
			}
			continue
		}
		switch c {
		case '"':
			quoted = true
			dst = append(dst, c)
		case ',':
			for len(dst) > start && isOWS(dst[len(dst)-1]) {
				dst = dst[:len(dst)-1]
			}
			dst = append(dst, ',', ' ')
			for i+1 < len(v) && isOWS(v[i+1]) {
				i++
			}
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// isCredential reports whether the canonical name canon is a credential
// header for c.
func (c *Config) isCredential(canon string) bool {
	for _, n := range defaultCredentialHeaders {
		if n == canon {
			return true
		}
	}
	if c != nil {
		for _, n := range c.CredentialHeaders {
			if strings.EqualFold(n, canon) {
				return true
			}
		}
	}
	return false
}

// credentialNames puts the sorted canonical credential header names into
// s.names.
func (c *Config) credentialNames(s *state) []string {
	s.names = append(s.names[:0], defaultCredentialHeaders[:]...)
	if c != nil {
		for _, n := range c.CredentialHeaders {
			s.names = append(s.names, http.CanonicalHeaderKey(n))
		}
	}
	slices.Sort(s.names)
	s.names = slices.Compact(s.names)
	return s.names
}

// matchNames puts the sorted canonical MatchHeaders names into s.names,
// leaving out credential headers: those take part through the HMAC only.
func (c *Config) matchNames(s *state) []string {
	s.names = s.names[:0]
	if c == nil {
		return s.names
	}
	for _, n := range c.MatchHeaders {
		cn := http.CanonicalHeaderKey(n)
		if !c.isCredential(cn) {
			s.names = append(s.names, cn)
		}
	}
	slices.Sort(s.names)
	s.names = slices.Compact(s.names)
	return s.names
}
