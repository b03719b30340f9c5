package policy

import (
	"net/http"
	"net/url"
	"slices"
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
// one did. A Glob is matched in the dialect glob.go documents (the one
// ValidateGlob checks), like requests-cache's urls_expire_after: against
// host, path and query without scheme, "*" any run, "?" one character,
// "[...]" a class, every pattern a prefix, the host case-insensitive. A
// Regexp is searched for (unanchored) in the whole URL string.
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
