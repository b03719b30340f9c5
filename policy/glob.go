package policy

import (
	"fmt"
	"net/url"
)

// The glob dialect of Rule.Glob, the one ValidateGlob checks and RuleFor
// matches (both through classEnd, so they cannot disagree). It is
// requests-cache's urls_expire_after dialect (Python's fnmatch against the
// URL without its scheme, with "**" appended), with the host matched
// case-insensitively:
//
//   - The subject is the request URL without scheme, user information and
//     fragment: host (with the port when the URL has one), path ("/" when
//     empty, percent-encoded as sent) and, when the URL has a query, "?"
//     and the query as sent: "api.example.com:8443/v1/items?page=2".
//   - A leading scheme in the pattern ("https://") is ignored.
//   - "*" matches any run of characters, "/" and "?" included ("**" is the
//     same as "*"); "?" matches exactly one character; "[abc]", "[a-z]" and
//     "[!abc]" (negated) match one character of a class. Inside a class a
//     "]" right after "[" or "[!" is a member, and "-" first or last is a
//     member. There is no escape character: match a literal "*", "?" or "["
//     with "[*]", "[?]", "[[]", as in fnmatch.
//   - Every pattern matches as a prefix: "example.com/static" matches
//     "example.com/static/app.css", and "example.com" also matches
//     "example.com.au/"; write "example.com/" for that host alone.
//   - The host is compared without regard to case (host names are
//     case-insensitive, RFC 3986 §3.2.2); the path and query are compared
//     exactly (they are case-sensitive, RFC 3986 §6.2.2.1).
//   - An empty pattern, an unterminated class ("v[12") and a reversed range
//     ("[z-a]") are invalid: ValidateGlob reports them and such a Rule never
//     matches.

// ValidateGlob reports whether pattern is a valid glob of the dialect
// documented in glob.go, the one Rule.Glob is matched with. The error
// wraps ErrInvalidGlob and says what is wrong and where.
func ValidateGlob(pattern string) error {
	p := stripScheme(pattern)
	if p == "" {
		return fmt.Errorf("policy: glob %q: empty pattern: %w", pattern, ErrInvalidGlob)
	}
	for i := 0; i < len(p); i++ {
		if p[i] != '[' {
			continue
		}
		end, why := classEnd(p, i)
		if why != "" {
			return fmt.Errorf("policy: glob %q: %s at offset %d: %w", pattern, why, len(pattern)-len(p)+i, ErrInvalidGlob)
		}
		i = end
	}
	return nil
}

// stripScheme removes a leading URI scheme and "://" (RFC 3986 §3.1:
// ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )).
func stripScheme(p string) string {
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case isAlpha(c):
		case i > 0 && (isDigit(c) || c == '+' || c == '-' || c == '.'):
		case i > 0 && c == ':' && len(p) >= i+3 && p[i+1] == '/' && p[i+2] == '/':
			return p[i+3:]
		default:
			return p
		}
	}
	return p
}

func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func upper(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}

// classEnd returns the index of the "]" closing the class that opens at
// p[i] ("["), or why the class is invalid.
func classEnd(p string, i int) (end int, why string) {
	j := i + 1
	if j < len(p) && p[j] == '!' {
		j++
	}
	first := true
	for ; j < len(p); j++ {
		c := p[j]
		if c == ']' && !first {
			return j, ""
		}
		first = false
		// A range lo-hi, unless "-" is last ("[a-]").
		if j+2 < len(p) && p[j+1] == '-' && p[j+2] != ']' {
			if p[j+2] < c {
				return 0, fmt.Sprintf("reversed range %q", p[j:j+3])
			}
			j += 2
		}
	}
	return 0, "unterminated ["
}

// classMatch reports whether c is in the class p[i:end+1] (valid, as
// classEnd checked). With fold, an upper-case c's lower-case form and a
// lower-case c's upper-case form match as well.
func classMatch(p string, i, end int, c byte, fold bool) bool {
	j := i + 1
	negate := p[j] == '!'
	if negate {
		j++
	}
	in := func(c byte) bool {
		for k := j; k < end; k++ {
			lo, hi := p[k], p[k]
			if k+2 < end && p[k+1] == '-' {
				hi = p[k+2]
				k += 2
			}
			if lo <= c && c <= hi {
				return true
			}
		}
		return false
	}
	found := in(c) || fold && (in(lower(c)) || in(upper(c)))
	return found != negate
}

// subject is the string a glob is matched against (see the dialect above),
// read in place from a URL, without building it: host (compared
// case-insensitively), path and, when hasQuery, "?" and query.
type subject struct {
	host, path, query string
	hasQuery          bool
	n                 int
}

func newSubject(u *url.URL) subject {
	s := subject{host: u.Host, path: u.EscapedPath(), query: u.RawQuery, hasQuery: u.RawQuery != "" || u.ForceQuery}
	if s.path == "" {
		s.path = "/"
	}
	s.n = len(s.host) + len(s.path)
	if s.hasQuery {
		s.n += 1 + len(s.query)
	}
	return s
}

// String returns the subject as one string (for tests and messages).
func (s *subject) String() string {
	if s.hasQuery {
		return s.host + s.path + "?" + s.query
	}
	return s.host + s.path
}

// at returns the i-th byte of the subject and whether it is in the host.
func (s *subject) at(i int) (byte, bool) {
	if i < len(s.host) {
		return lower(s.host[i]), true
	}
	i -= len(s.host)
	if i < len(s.path) {
		return s.path[i], false
	}
	if i == len(s.path) {
		return '?', false
	}
	return s.query[i-len(s.path)-1], false
}

// globMatch reports whether pattern matches a prefix of u's subject. An
// invalid pattern never matches.
func globMatch(pattern string, u *url.URL) bool {
	p := stripScheme(pattern)
	if p == "" {
		return false
	}
	s := newSubject(u)
	return matchPrefix(p, &s)
}

// matchPrefix is wildcard matching with backtracking to the last "*": every
// element but "*" consumes exactly one byte, so retrying from the last star
// one byte further is complete. Reaching the end of the pattern is a match
// (prefix semantics).
func matchPrefix(p string, s *subject) bool {
	pi, si := 0, 0
	star, mark := -1, 0
	for {
		if pi == len(p) {
			return true
		}
		if p[pi] == '*' {
			star, mark = pi, si
			pi++
			continue
		}
		if si < s.n {
			c, inHost := s.at(si)
			next, ok := matchOne(p, pi, c, inHost)
			if next < 0 {
				return false // invalid class: the pattern never matches
			}
			if ok {
				pi, si = next, si+1
				continue
			}
		}
		if star < 0 || mark >= s.n {
			return false
		}
		mark++
		pi, si = star+1, mark
	}
}

// matchOne matches the pattern element at p[pi] (not "*") against c; it
// returns the index after the element (-1 for an invalid class) and
// whether c matched.
func matchOne(p string, pi int, c byte, fold bool) (int, bool) {
	switch p[pi] {
	case '?':
		return pi + 1, true
	case '[':
		end, why := classEnd(p, pi)
		if why != "" {
			return -1, false
		}
		return end + 1, classMatch(p, pi, end, c, fold)
	}
	pc := p[pi]
	if fold {
		pc = lower(pc)
	}
	return pi + 1, pc == c
}
