package policy

import (
	"net/http"
	"strings"
	"time"

	"github.com/cachedhttp/cachedhttp/internal/memo"
)

// maxDeltaSeconds is the value a delta-seconds too large to represent is
// taken to mean (RFC 9111 §1.2.2: 2^31).
const maxDeltaSeconds = 1 << 31

// Delta is a delta-seconds directive argument (RFC 9111 §1.2.2).
type Delta struct {
	// Present reports that the directive appeared at least once.
	Present bool
	// Arg reports that an argument was given (max-stale may have none).
	Arg bool
	// Valid reports that every occurrence carried the same well-formed
	// non-negative integer (token or quoted form). A directive repeated with
	// different values is not valid (RFC 9111 §4.2.1: "either the first
	// occurrence should be used or the response should be considered stale";
	// we choose stale, the more restrictive reading).
	Valid bool
	// Seconds is the value, saturated at 2^31 (RFC 9111 §1.2.2).
	Seconds int64
}

// Duration returns d as a time.Duration (zero when not valid).
func (d Delta) Duration() time.Duration {
	if !d.Valid {
		return 0
	}
	return time.Duration(d.Seconds) * time.Second
}

// Directives is a parsed Cache-Control field, request or response (RFC 9111
// §5.2). Directive names are case-insensitive; arguments may use the token
// or the quoted-string form (RFC 9111 §5.2: "recipients SHOULD accept both
// forms"); commas inside quoted strings do not separate directives; several
// field lines are one comma-separated list (RFC 9110 §5.3). Unknown
// directives are ignored (RFC 9111 §5.2.3).
type Directives struct {
	// MaxAge is max-age: the response's freshness lifetime (§5.2.2.1), or
	// the oldest response the client accepts (§5.2.1.1).
	MaxAge Delta
	// SMaxAge is s-maxage, the shared-cache lifetime (§5.2.2.10).
	SMaxAge Delta
	// MaxStale is the request's max-stale (§5.2.1.2); without an argument
	// (Arg false) any staleness is accepted.
	MaxStale Delta
	// MinFresh is the request's min-fresh (§5.2.1.3).
	MinFresh Delta
	// StaleIfError is stale-if-error (RFC 5861 §4).
	StaleIfError Delta
	// StaleWhileRevalidate is stale-while-revalidate (RFC 5861 §3).
	StaleWhileRevalidate Delta

	// NoCache is the unqualified no-cache (the whole response, or in a
	// request, the whole request); NoCacheFields are the field names of a
	// qualified no-cache="a, b" (canonical form), which does not by itself
	// force revalidation (RFC 9111 §5.2.2.4).
	NoCache       bool
	NoCacheFields []string
	// Private is the unqualified private; PrivateFields are the names of a
	// qualified private="a" (RFC 9111 §5.2.2.7).
	Private       bool
	PrivateFields []string

	// NoStore is no-store (§5.2.1.5, §5.2.2.5).
	NoStore bool
	// NoTransform is no-transform (§5.2.1.6, §5.2.2.6); a cache that does
	// not transform content has nothing to do for it.
	NoTransform bool
	// OnlyIfCached is the request's only-if-cached (§5.2.1.7).
	OnlyIfCached bool
	// MustRevalidate is must-revalidate (§5.2.2.2).
	MustRevalidate bool
	// ProxyRevalidate is proxy-revalidate, must-revalidate for shared
	// caches only (§5.2.2.8).
	ProxyRevalidate bool
	// MustUnderstand is must-understand (§5.2.2.3).
	MustUnderstand bool
	// Public is public (§5.2.2.9).
	Public bool
	// Immutable is immutable (RFC 8246).
	Immutable bool
}

// ParseCacheControl parses all Cache-Control field lines of h. It never
// fails: malformed parts are skipped, a malformed delta-seconds argument
// leaves its Delta present but not valid.
func ParseCacheControl(h http.Header) Directives {
	lines := h["Cache-Control"]
	if len(lines) == 1 {
		return parseDirectives(lines[0])
	}
	var d Directives
	for _, line := range lines {
		d.parse(line)
	}
	return d
}

// ParseCacheControlValue parses one Cache-Control field value.
func ParseCacheControlValue(v string) Directives {
	return parseDirectives(v)
}

// parsedDirectives remembers the Cache-Control values parsed last
// (memo.Table), a stored response's being read at each of its lookups and
// again when it is revalidated. Only values of at most maxRememberedDirectives
// bytes are kept, and only those whose Directives hold no field list (a
// qualified no-cache or private): a caller may append to those slices,
// which must then not be shared.
var parsedDirectives = memo.New[Directives](16, false)

// maxRememberedDirectives bounds the values parsedDirectives keeps, and so
// its size, whatever the headers received.
const maxRememberedDirectives = 256

// directivesSet is the parsedDirectives set of a value v (not empty).
func directivesSet(v string) int {
	n := len(v)
	return int(byte(n) + 3*v[0] + 5*v[n-1] + 7*v[n/2])
}

// parseDirectives parses one Cache-Control field value, through
// parsedDirectives.
func parseDirectives(v string) Directives {
	var d Directives
	if v == "" || len(v) > maxRememberedDirectives {
		d.parse(v)
		return d
	}
	set := uint64(directivesSet(v))
	if d, ok := parsedDirectives.Get(set, v); ok {
		return d
	}
	d.parse(v)
	if d.NoCacheFields == nil && d.PrivateFields == nil {
		parsedDirectives.Put(set, v, d)
	}
	return d
}

// tchars marks the token characters of RFC 9110 §5.6.2.
var tchars = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

func isTchar(c byte) bool { return tchars[c] }

func isOWS(c byte) bool { return c == ' ' || c == '\t' }

// directive identifiers, so that names are compared once, without
// allocating.
const (
	dirUnknown = iota
	dirMaxAge
	dirSMaxAge
	dirMaxStale
	dirMinFresh
	dirStaleIfError
	dirStaleWhileRevalidate
	dirNoCache
	dirPrivate
	dirNoStore
	dirNoTransform
	dirOnlyIfCached
	dirMustRevalidate
	dirProxyRevalidate
	dirMustUnderstand
	dirPublic
	dirImmutable
)

func directiveID(name string) int {
	var buf [32]byte
	if len(name) > len(buf) {
		return dirUnknown
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	switch string(buf[:len(name)]) {
	case "max-age":
		return dirMaxAge
	case "s-maxage":
		return dirSMaxAge
	case "max-stale":
		return dirMaxStale
	case "min-fresh":
		return dirMinFresh
	case "stale-if-error":
		return dirStaleIfError
	case "stale-while-revalidate":
		return dirStaleWhileRevalidate
	case "no-cache":
		return dirNoCache
	case "private":
		return dirPrivate
	case "no-store":
		return dirNoStore
	case "no-transform":
		return dirNoTransform
	case "only-if-cached":
		return dirOnlyIfCached
	case "must-revalidate":
		return dirMustRevalidate
	case "proxy-revalidate":
		return dirProxyRevalidate
	case "must-understand":
		return dirMustUnderstand
	case "public":
		return dirPublic
	case "immutable":
		return dirImmutable
	}
	return dirUnknown
}

// parse adds the directives of one field value to d.
func (d *Directives) parse(s string) {
	i := 0
	for i < len(s) {
		c := s[i]
		if isOWS(c) || c == ',' {
			i++
			continue
		}
		// name
		j := i
		for j < len(s) && isTchar(s[j]) {
			j++
		}
		if j == i {
			// Not a token: skip this list member.
			i = skipMember(s, i)
			continue
		}
		name := s[i:j]
		k := j
		for k < len(s) && isOWS(s[k]) {
			k++
		}
		var (
			arg    string
			hasArg bool
		)
		ok := true
		if k < len(s) && s[k] == '=' {
			hasArg = true
			k++
			for k < len(s) && isOWS(s[k]) {
				k++
			}
			if k < len(s) && s[k] == '"' {
				var n int
				arg, _, n, ok = unquote(s[k:])
				k += n
			} else {
				e := k
				for e < len(s) && isTchar(s[e]) {
					e++
				}
				arg = s[k:e]
				k = e
			}
		}
		// Anything else up to the next comma makes the member malformed.
		for k < len(s) && isOWS(s[k]) {
			k++
		}
		if k < len(s) && s[k] != ',' {
			ok = false
			k = skipMember(s, k)
		}
		i = k
		d.add(directiveID(name), hasArg, arg, ok)
	}
}

// skipMember returns the index of the comma ending the list member that
// contains s[i], honouring quoted strings.
func skipMember(s string, i int) int {
	for i < len(s) {
		switch s[i] {
		case ',':
			return i
		case '"':
			_, _, n, _ := unquote(s[i:])
			i += n
			continue
		}
		i++
	}
	return i
}

// unquote reads the quoted-string at the start of s (s[0] == '"'). It
// returns the unescaped value, the raw text between the quotes, the number
// of bytes consumed and whether the string was terminated. It allocates
// only when the value contains a quoted-pair.
func unquote(s string) (val, raw string, n int, ok bool) {
	escaped := false
	i := 1
	for i < len(s) {
		switch s[i] {
		case '\\':
			escaped = true
			i += 2
			continue
		case '"':
			raw = s[1:i]
			if !escaped {
				return raw, raw, i + 1, true
			}
			var b strings.Builder
			b.Grow(len(raw))
			for j := 0; j < len(raw); j++ {
				if raw[j] == '\\' && j+1 < len(raw) {
					j++
				}
				b.WriteByte(raw[j])
			}
			return b.String(), raw, i + 1, true
		}
		i++
	}
	return "", "", len(s), false
}

// parseDelta parses delta-seconds: 1*DIGIT, saturating at 2^31.
func parseDelta(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if n < maxDeltaSeconds {
			n = n*10 + int64(c-'0')
		}
	}
	if n > maxDeltaSeconds {
		n = maxDeltaSeconds
	}
	return n, true
}

func (dl *Delta) add(hasArg bool, arg string, ok bool) {
	n, valid := int64(0), false
	if hasArg && ok {
		n, valid = parseDelta(arg)
	}
	if !dl.Present {
		*dl = Delta{Present: true, Arg: hasArg, Valid: valid, Seconds: n}
		return
	}
	// A repeated directive is only valid when it repeats the same value.
	if !valid || !dl.Valid || dl.Seconds != n || dl.Arg != hasArg {
		dl.Valid, dl.Seconds = false, 0
		dl.Arg = dl.Arg || hasArg
	}
}

// fieldNames splits a qualified no-cache / private argument into canonical
// field names.
func fieldNames(dst []string, arg string) []string {
	for part := range strings.SplitSeq(arg, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		valid := true
		for i := 0; i < len(part); i++ {
			if !isTchar(part[i]) {
				valid = false
				break
			}
		}
		if valid {
			dst = append(dst, http.CanonicalHeaderKey(part))
		}
	}
	return dst
}

func (d *Directives) add(id int, hasArg bool, arg string, ok bool) {
	switch id {
	case dirMaxAge:
		d.MaxAge.add(hasArg, arg, ok)
	case dirSMaxAge:
		d.SMaxAge.add(hasArg, arg, ok)
	case dirMaxStale:
		d.MaxStale.add(hasArg, arg, ok)
	case dirMinFresh:
		d.MinFresh.add(hasArg, arg, ok)
	case dirStaleIfError:
		d.StaleIfError.add(hasArg, arg, ok)
	case dirStaleWhileRevalidate:
		d.StaleWhileRevalidate.add(hasArg, arg, ok)
	case dirNoCache:
		// A malformed or empty qualified form is read as the unqualified
		// one: the more restrictive meaning (RFC 9111 §4.2.1).
		if hasArg && ok {
			d.NoCacheFields = fieldNames(d.NoCacheFields, arg)
			if len(d.NoCacheFields) > 0 {
				return
			}
		}
		d.NoCache = true
	case dirPrivate:
		if hasArg && ok {
			d.PrivateFields = fieldNames(d.PrivateFields, arg)
			if len(d.PrivateFields) > 0 {
				return
			}
		}
		d.Private = true
	case dirNoStore:
		d.NoStore = true
	case dirNoTransform:
		d.NoTransform = true
	case dirOnlyIfCached:
		d.OnlyIfCached = true
	case dirMustRevalidate:
		d.MustRevalidate = true
	case dirProxyRevalidate:
		d.ProxyRevalidate = true
	case dirMustUnderstand:
		d.MustUnderstand = true
	case dirPublic:
		d.Public = true
	case dirImmutable:
		d.Immutable = true
	}
}

// requestDirectives parses the request's Cache-Control, or, when there is
// none, Pragma: no-cache as Cache-Control: no-cache (RFC 9111 §5.4).
func requestDirectives(h http.Header) Directives {
	if len(h["Cache-Control"]) > 0 {
		return ParseCacheControl(h)
	}
	var d Directives
	for _, v := range h["Pragma"] {
		if pragmaNoCache(v) {
			d.NoCache = true
		}
	}
	return d
}

func pragmaNoCache(v string) bool {
	i := 0
	for i < len(v) {
		for i < len(v) && (isOWS(v[i]) || v[i] == ',') {
			i++
		}
		j := i
		for j < len(v) && isTchar(v[j]) {
			j++
		}
		if directiveID(v[i:j]) == dirNoCache {
			k := j
			for k < len(v) && isOWS(v[k]) {
				k++
			}
			if k == len(v) || v[k] == ',' {
				return true
			}
		}
		i = skipMember(v, j)
	}
	return false
}
