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
// "Authorization". It also notes which of the default credential and
// override fields h has (s.known), so the common request without any of
// them costs no lookup of each. The common case, all keys canonical,
// allocates nothing.
func (s *state) scanHeader(h http.Header) {
	s.extra = s.extra[:0]
	s.known = 0
	for k, vs := range h {
		ck := http.CanonicalHeaderKey(k)
		if ck != k {
			s.extra = append(s.extra, k)
		}
		if len(vs) > 0 {
			if i, ok := slices.BinarySearch(knownHeaders, ck); ok {
				s.known |= 1 << i
			}
		}
	}
	slices.Sort(s.extra) // map order is random; keys must not be
}

// knownHeaders are the fields every key computation looks for (sorted):
// the default credential headers and secrets and the override headers.
// knownCredentials and knownOverrides are their bits in state.known.
var (
	knownHeaders = slices.Sorted(slices.Values(
		slices.Concat(allDefaultCredentialHeaders, overrideHeaders[:])))
	knownCredentials = knownMask(allDefaultCredentialHeaders)
	knownOverrides   = knownMask(overrideHeaders[:])
)

func knownMask(names []string) uint32 {
	var m uint32
	for _, n := range names {
		i, _ := slices.BinarySearch(knownHeaders, n)
		m |= 1 << i
	}
	return m
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
	if c.defaultSecrets() {
		for _, n := range defaultSecretHeaders {
			if n == canon {
				return true
			}
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
	if c.defaultSecrets() {
		s.names = append(s.names[:0], allDefaultCredentialHeaders...)
	} else {
		s.names = append(s.names[:0], defaultCredentialHeaders[:]...)
	}
	if c == nil || len(c.CredentialHeaders) == 0 {
		return s.names // already sorted
	}
	for _, n := range c.CredentialHeaders {
		s.names = append(s.names, http.CanonicalHeaderKey(n))
	}
	slices.Sort(s.names)
	s.names = slices.Compact(s.names)
	return s.names
}

// MatchAll in MatchHeaders matches every request header field except the
// ones listed under Config.MatchHeaders (requests-cache's
// match_headers=True).
const MatchAll = "*"

// allHeadersScheme tags keys made with MatchAll, so they never equal a key
// made from an explicit list. Changing the excluded set below changes the
// keys of requests that carry a newly excluded field: bump it then.
const allHeadersScheme = "1"

// notMatched are the fields MatchAll leaves out (canonical, sorted): the
// hop-by-hop fields (RFC 9110 §7.6.1), message framing and routing that the
// key covers otherwise or that never select a representation
// (Content-Length, Expect, Host, Max-Forwards, TE, Trailer,
// Transfer-Encoding), the cache's own directives and the preconditions it
// answers itself (Cache-Control, Pragma, If-Match, If-Modified-Since,
// If-None-Match, If-Unmodified-Since; If-Range and Range are kept, they
// select a part), and per-request metadata that would make every key
// unique: Date, Priority (RFC 9218) and trace context (Baggage, B3,
// Traceparent, Tracestate, X-B3-*, X-Amzn-Trace-Id, X-Correlation-Id,
// X-Request-Id, Sentry-Trace).
var notMatched = [...]string{
	"B3", "Baggage", "Cache-Control", "Connection", "Content-Length", "Date", "Expect", "Host",
	"If-Match", "If-Modified-Since", "If-None-Match", "If-Unmodified-Since", "Keep-Alive",
	"Max-Forwards", "Pragma", "Priority", "Proxy-Connection", "Sentry-Trace", "Te", "Traceparent",
	"Tracestate", "Trailer", "Transfer-Encoding", "Upgrade", "X-Amzn-Trace-Id",
	"X-B3-Flags", "X-B3-Parentspanid", "X-B3-Sampled", "X-B3-Spanid", "X-B3-Traceid",
	"X-Correlation-Id", "X-Request-Id",
}

// matchesAll reports whether MatchHeaders has MatchAll.
func (c *Config) matchesAll() bool {
	return c != nil && slices.Contains(c.MatchHeaders, MatchAll)
}

// matchNames puts the sorted canonical MatchHeaders names into s.names,
// leaving out credential headers: those take part through the HMAC only.
// With MatchAll, the fields present in h join them, less notMatched and
// the fields the request's Connection field names (hop-by-hop too).
func (c *Config) matchNames(s *state, h http.Header) []string {
	s.names = s.names[:0]
	if c == nil {
		return s.names
	}
	all := false
	for _, n := range c.MatchHeaders {
		if n == MatchAll {
			all = true
			continue
		}
		cn := http.CanonicalHeaderKey(n)
		if !c.isCredential(cn) {
			s.names = append(s.names, cn)
		}
	}
	if all {
		s.tmp = s.tmp[:0]
		if s.present(h, "Connection") {
			s.tmp = s.appendValue(s.tmp, h, "Connection")
		}
		for k, vs := range h {
			if len(vs) == 0 {
				continue
			}
			cn := http.CanonicalHeaderKey(k)
			if _, found := slices.BinarySearch(notMatched[:], cn); found || c.isCredential(cn) || listed(s.tmp, cn) {
				continue
			}
			s.names = append(s.names, cn)
		}
	}
	slices.Sort(s.names)
	s.names = slices.Compact(s.names)
	return s.names
}

// listed reports whether the comma-separated list names canon, ignoring
// case and whitespace around members.
func listed(list []byte, canon string) bool {
	for len(list) > 0 {
		var m []byte
		if i := indexByte(list, ','); i >= 0 {
			m, list = list[:i], list[i+1:]
		} else {
			m, list = list, nil
		}
		for len(m) > 0 && isOWS(m[0]) {
			m = m[1:]
		}
		for len(m) > 0 && isOWS(m[len(m)-1]) {
			m = m[:len(m)-1]
		}
		if len(m) == len(canon) && strings.EqualFold(string(m), canon) {
			return true
		}
	}
	return false
}

// KeyedByURL reports whether the key Create gives a request with header h
// and no body is the key it gives the same request with an empty header:
// h has no field the key reads (a method override, a credential, a
// matched header; with MatchAll, any field at all). A field whose name is
// not in canonical form answers false, as does any other doubt: a caller
// uses a true answer to reuse a key computed for the same method and URL.
func (c *Config) KeyedByURL(h http.Header) bool {
	if len(h) == 0 {
		return true
	}
	if c.matchesAll() {
		return false
	}
	for k, vs := range h {
		if len(vs) == 0 {
			continue // an empty field is absent to every reader of h
		}
		if !isCanonicalName(k) || c.isCredential(k) {
			return false
		}
		if _, known := slices.BinarySearch(knownHeaders, k); known {
			return false // a default credential or a method override
		}
		if c != nil && slices.ContainsFunc(c.MatchHeaders, func(n string) bool { return strings.EqualFold(n, k) }) {
			return false
		}
	}
	return true
}

// isCanonicalName reports whether k is a field name of letters, digits and
// hyphens in canonical form (upper case after a hyphen and at the start,
// lower case elsewhere): the form net/http writes and keys read first.
func isCanonicalName(k string) bool {
	if k == "" {
		return false
	}
	upper := true
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case c == '-':
			upper = true
			continue
		case 'A' <= c && c <= 'Z':
			if !upper {
				return false
			}
		case 'a' <= c && c <= 'z':
			if upper {
				return false
			}
		case '0' <= c && c <= '9':
		default:
			return false
		}
		upper = false
	}
	return true
}
