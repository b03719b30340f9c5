package keys

import (
	"fmt"
	"net/url"
	"strings"
)

// Character classes of RFC 3986 §2, as 256-entry tables.
var (
	unreservedSet [256]bool // ALPHA DIGIT - . _ ~ (§2.3)
	pathSet       [256]bool // pchar and "/" (§3.3), kept as given
	nameSet       [256]bool // query name characters kept as given
	valueSet      [256]bool // query value characters kept as given
	hostSet       [256]bool // host characters kept as given
	lowerHostSet  [256]bool // hostSet without upper-case letters: a host already normal
	plainPathSet  [256]bool // path bytes net/url never escapes
)

func init() {
	for c := 'a'; c <= 'z'; c++ {
		unreservedSet[c] = true
		unreservedSet[c-'a'+'A'] = true
	}
	for c := '0'; c <= '9'; c++ {
		unreservedSet[c] = true
	}
	for _, c := range "-._~" {
		unreservedSet[c] = true
	}
	pathSet, nameSet = unreservedSet, unreservedSet
	// Every character kept raw in a path is also accepted raw by
	// net/url's EscapedPath, so normalised URLs re-parse to themselves.
	for _, c := range "!$&'()*+,;=:@/" {
		pathSet[c] = true
	}
	// In a query, "&" and "=" delimit parameters and "+" means a space
	// (application/x-www-form-urlencoded), so none of them is kept raw in a
	// name; "=" after the first one is part of the value.
	for _, c := range "!$'()*,;:@/?" {
		nameSet[c] = true
	}
	valueSet = nameSet
	valueSet['='] = true
	// net/url accepts these raw in a host; anything else (a "/" in a
	// hand-built URL.Host, say) is encoded so it cannot move into the path.
	hostSet = unreservedSet
	for _, c := range "!$&'()*+,;=:[]<>\"" {
		hostSet[c] = true
	}
	// The bytes net/url's EscapedPath never escapes in a path, all kept
	// as given by pathSet.
	plainPathSet = unreservedSet
	for _, c := range "$&+,/:;=@" {
		plainPathSet[c] = true
	}
	lowerHostSet = hostSet
	for c := 'A'; c <= 'Z'; c++ {
		lowerHostSet[c] = false
	}
}

const upperHex = "0123456789ABCDEF"

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// appendPercentNormalized appends s with its percent-encoding normalised
// (RFC 3986 §6.2.2.1 and §6.2.2.2): octets that encode unreserved characters
// are decoded, the other encoded octets keep their encoding with upper-case
// hex digits, characters in keep stay as given (reserved characters are
// meaningful, so "/" and "%2F" stay distinct), and every other octet,
// including a "%" that starts no valid escape, is encoded. With plusSpace,
// "+" means a space and is written as "%20", which means a space under both
// RFC 3986 and form decoding.
func appendPercentNormalized(dst []byte, s string, keep *[256]bool, plusSpace bool) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' && i+2 < len(s) {
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if ok1 && ok2 {
				v := hi<<4 | lo
				if unreservedSet[v] {
					dst = append(dst, v)
				} else {
					dst = append(dst, '%', upperHex[v>>4], upperHex[v&15])
				}
				i += 2
				continue
			}
		}
		switch {
		case c == '+' && plusSpace:
			dst = append(dst, "%20"...)
		case keep[c]:
			dst = append(dst, c)
		default:
			dst = append(dst, '%', upperHex[c>>4], upperHex[c&15])
		}
	}
	return dst
}

// appendFormDecoded appends the application/x-www-form-urlencoded decoding
// of s ("+" is a space, invalid escapes are kept as given). Parameter names
// are matched against IgnoredParams and SecretParams in this form, so every
// spelling a server would decode to "api_key" is recognised.
func appendFormDecoded(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '+':
			dst = append(dst, ' ')
		case c == '%' && i+2 < len(s):
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if ok1 && ok2 {
				dst = append(dst, hi<<4|lo)
				i += 2
			} else {
				dst = append(dst, c)
			}
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// appendLower appends s with ASCII letters in lower case. Only ASCII is
// folded: Unicode case mapping could change the octets of a host.
func appendLower(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// splitHostPort splits an authority's host[:port] without validating it.
func splitHostPort(hostport string) (host, port string, hasPort bool) {
	i := strings.LastIndexByte(hostport, ':')
	if i < 0 || strings.IndexByte(hostport[i:], ']') >= 0 {
		return hostport, "", false
	}
	return hostport[:i], hostport[i+1:], true
}

func defaultPort(scheme string) string {
	switch {
	case strings.EqualFold(scheme, "http"), strings.EqualFold(scheme, "ws"):
		return "80"
	case strings.EqualFold(scheme, "https"), strings.EqualFold(scheme, "wss"):
		return "443"
	}
	return ""
}

// appendAuthority appends the normalised host[:port] (RFC 3986 §6.2.2.1 and
// §6.2.3): ASCII lower case, "%" and non-ASCII octets percent-encoded with
// upper-case hex (as net/url expects them), leading zeros of the port
// dropped, an empty or default port removed. International names are not
// converted to or from punycode and IPv6 literals are not re-compressed.
func appendAuthority(dst []byte, scheme, hostport string) []byte {
	host, port, _ := splitHostPort(hostport)
	if isNormal(host, &lowerHostSet) {
		dst = append(dst, host...)
	} else {
		dst = appendHost(dst, host)
	}
	for len(port) > 1 && port[0] == '0' {
		port = port[1:]
	}
	if port != "" && port != defaultPort(scheme) {
		dst = append(dst, ':')
		if isNormal(port, &unreservedSet) {
			dst = append(dst, port...)
		} else {
			dst = appendPercentNormalized(dst, port, &unreservedSet, false)
		}
	}
	return dst
}

// isNormal reports whether every byte of s is in set: s is then its own
// normal form under a set without '%' (appendPercentNormalized copies it).
func isNormal(s string, set *[256]bool) bool {
	for i := 0; i < len(s); i++ {
		if !set[s[i]] {
			return false
		}
	}
	return true
}

// appendHost appends host in lower case, with the bytes outside hostSet
// percent-encoded.
func appendHost(dst []byte, host string) []byte {
	for i := 0; i < len(host); i++ {
		c := host[i]
		switch {
		case 'A' <= c && c <= 'Z':
			dst = append(dst, c+'a'-'A')
		case hostSet[c]:
			dst = append(dst, c)
		default:
			dst = append(dst, '%', upperHex[c>>4], upperHex[c&15])
		}
	}
	return dst
}

// isPlainPath reports whether the decoded path p is its own escaped form
// (net/url escapes none of its bytes) and its own normal form (absolute,
// only bytes kept as given, no dot segment).
func isPlainPath(p string) bool {
	return strings.HasPrefix(p, "/") && isNormal(p, &plainPathSet) && !containsDotSegment(p)
}

// escapedPath returns the path of u as it was written, so that reserved
// characters keep the encoding they were given ("/" versus "%2F").
func escapedPath(u *url.URL) string {
	if u.Opaque != "" {
		return u.Opaque
	}
	if u.RawPath != "" {
		if p, err := url.PathUnescape(u.RawPath); err == nil && p == u.Path {
			return u.RawPath
		}
	}
	return u.EscapedPath()
}

// appendPath appends the normalised path: percent-encoding normalised,
// dot segments removed (RFC 3986 §5.2.4, §6.2.2.3) and an empty path
// written as "/" (§6.2.3).
func appendPath(s *state, dst []byte, p string) []byte {
	if strings.HasPrefix(p, "/") && isNormal(p, &pathSet) && !containsDotSegment(p) {
		return append(dst, p...) // already normal: most paths
	}
	s.tmp = s.tmp[:0]
	if !strings.HasPrefix(p, "/") {
		s.tmp = append(s.tmp, '/')
	}
	s.tmp = appendPercentNormalized(s.tmp, p, &pathSet, false)
	return appendRemoveDotSegments(dst, s.tmp)
}

// appendRemoveDotSegments appends the absolute path p without its "." and
// ".." segments, with the result of RFC 3986 §5.2.4's algorithm.
func appendRemoveDotSegments(dst, p []byte) []byte {
	if !containsDotSegment(p) {
		return append(dst, p...)
	}
	base := len(dst)
	rest := p[1:] // p starts with "/"
	for {
		seg := rest
		i := indexByte(rest, '/')
		last := i < 0
		if !last {
			seg = rest[:i]
			rest = rest[i+1:]
		}
		switch string(seg) {
		case ".":
			if last {
				dst = append(dst, '/')
			}
		case "..":
			// Pop the last output segment (including its "/").
			j := len(dst) - 1
			for j >= base && dst[j] != '/' {
				j--
			}
			if j >= base {
				dst = dst[:j]
			}
			if last {
				dst = append(dst, '/')
			}
		default:
			dst = append(dst, '/')
			dst = append(dst, seg...)
		}
		if last {
			break
		}
	}
	if len(dst) == base {
		dst = append(dst, '/')
	}
	return dst
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// containsDotSegment reports whether the absolute path p has a "." or ".."
// segment.
func containsDotSegment[T string | []byte](p T) bool {
	for i := 0; i+1 < len(p); i++ {
		if p[i] != '/' || p[i+1] != '.' {
			continue
		}
		j := i + 2
		if j < len(p) && p[j] == '.' {
			j++
		}
		if j == len(p) || p[j] == '/' {
			return true
		}
	}
	return false
}

// appendURL appends the normalised form of u (see NormalizeURL). Userinfo
// is not written: it is a credential, keyed through the HMAC only. Secret
// parameters found in the query are collected into s.sec.
func (c *Config) appendURL(s *state, dst []byte, u *url.URL) []byte {
	dst = appendLower(dst, u.Scheme)
	dst = append(dst, "://"...)
	dst = appendAuthority(dst, u.Scheme, u.Host)
	if u.RawPath == "" && u.Opaque == "" && isPlainPath(u.Path) {
		// EscapedPath would return Path as it is, and appendPath
		// would copy it: most paths.
		dst = append(dst, u.Path...)
	} else {
		dst = appendPath(s, dst, escapedPath(u))
	}
	return c.appendQuery(s, dst, u.RawQuery, true, 'Q')
}

func (c *Config) normalizeURL(rawURL string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", err
	}
	host, _, _ := splitHostPort(u.Host)
	if u.Scheme == "" || host == "" {
		return "", ErrNotAbsolute
	}
	if (host[0] != '[' && strings.IndexByte(host, ':') >= 0) || (host[0] == '[' && !isASCII(host)) {
		// net/url lets "http://::/" and non-ASCII IPv6 zones through;
		// neither would survive a round trip, and no server is there.
		return "", fmt.Errorf("keys: invalid host %q in URL", u.Host)
	}
	s := getState()
	defer putState(s)
	s.buf = c.appendURL(s, s.buf[:0], u)
	s.sec, s.sbuf = s.sec[:0], s.sbuf[:0]
	return string(s.buf), nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
