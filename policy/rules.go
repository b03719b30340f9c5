package policy

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// cacheable implements Cacheable. Method names are case-sensitive (RFC 9110
// §9.1).
func (p *Policy) cacheable(method string) bool {
	if p.Methods == nil {
		return method == http.MethodGet || method == http.MethodHead
	}
	return slices.Contains(p.Methods, method)
}

// RuleFor returns the expiry of the first rule that matches u, and whether
// one did. A Glob is matched, like requests-cache's urls_expire_after,
// against the host (with port, lower case) and path, without scheme or
// query: "*" matches any run of characters, "/" included, "?" one
// character, and every pattern matches as a prefix (requests-cache appends
// "*"), so "example.com/static" matches "example.com/static/a.css". A Regexp
// is searched for (unanchored) in the whole URL string.
func (p *Policy) RuleFor(u *url.URL) (Expiry, bool) {
	if u == nil {
		return Unset, false
	}
	var full string
	for _, r := range p.Rules {
		switch {
		case r.Regexp != nil:
			if full == "" {
				full = u.String()
			}
			if r.Regexp.MatchString(full) {
				return r.Expire, true
			}
		case r.Glob != "":
			if globMatch(r.Glob, u) {
				return r.Expire, true
			}
		}
	}
	return Unset, false
}

// ruleExpiry is the first matching rule's expiry, else the session default.
func (p *Policy) ruleExpiry(u *url.URL) Expiry {
	if e, ok := p.RuleFor(u); ok {
		return e
	}
	return p.Expire
}

// userExpiry is the user's expiry for req: the per-request control, else the
// first matching rule, else the session default.
func (p *Policy) userExpiry(req *http.Request, ctl Controls) Expiry {
	if ctl.Expire != Unset {
		return ctl.Expire
	}
	if len(p.Rules) == 0 {
		return p.Expire
	}
	return p.ruleExpiry(req.URL)
}

// globMatch matches pattern against host+path of u, as a prefix. A scheme
// in the pattern ("https://") is ignored, as requests-cache does.
func globMatch(pattern string, u *url.URL) bool {
	if i := strings.Index(pattern, "://"); i >= 0 {
		pattern = pattern[i+3:]
	}
	host := u.Host
	path := u.EscapedPath()
	return matchPrefix(pattern, host, path)
}

// matchPrefix reports whether pattern matches a prefix of the string
// lower(host)+path, without building it. "*" matches any run, "?" one
// byte; the rest is literal (host compared case-insensitively).
func matchPrefix(pattern, host, path string) bool {
	n := len(host) + len(path)
	at := func(i int) byte {
		if i < len(host) {
			c := host[i]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			return c
		}
		return path[i-len(host)]
	}
	// Iterative wildcard matching with backtracking on the last star.
	pi, si := 0, 0
	star, mark := -1, 0
	for {
		if pi == len(pattern) {
			return true // prefix match
		}
		if pattern[pi] == '*' {
			star, mark = pi, si
			pi++
			continue
		}
		if si < n {
			c := pattern[pi]
			if si < len(host) && 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c == '?' || c == at(si) {
				pi++
				si++
				continue
			}
		}
		if star < 0 || mark >= n {
			return false
		}
		mark++
		pi, si = star+1, mark
	}
}
