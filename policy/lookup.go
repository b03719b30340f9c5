package policy

import (
	"net/http"
	"time"

	"github.com/cachedhttp/cachedhttp/models"
)

// forever stands for the remaining freshness of a never-expiring record.
const forever = time.Duration(1<<63 - 1)

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

// conditional builds the validator fields for revalidating rec (RFC 9110
// §13.1.1, §13.1.3); nil when rec has no validator.
func conditional(rec *models.Response) http.Header {
	var h http.Header
	if et := rec.Header.Get("Etag"); et != "" {
		h = http.Header{"If-None-Match": {et}}
	}
	if lm := rec.Header.Get("Last-Modified"); lm != "" {
		if h == nil {
			h = make(http.Header, 1)
		}
		h["If-Modified-Since"] = []string{lm}
	}
	return h
}

// lookup implements Lookup.
func (p *Policy) lookup(req *http.Request, ctl Controls, rec *models.Response, now time.Time) Decision {
	if req == nil {
		return Decision{Action: Pass, Reason: "no-request"}
	}
	if ctl.Bypass {
		return Decision{Action: Pass, Reason: "bypass"}
	}
	if !p.cacheable(req.Method) {
		return Decision{Action: Pass, Reason: "method"}
	}
	user := p.userExpiry(req, ctl)
	if user == DoNotCache {
		return Decision{Action: Pass, Reason: "do-not-cache"}
	}
	// Request no-store (§5.2.1.5) only forbids storing: "if a request
	// containing this directive is satisfied from a cache, the no-store
	// request directive does not apply to the already stored response", so
	// Lookup ignores it and Storable refuses the response.
	rc := requestDirectives(req.Header)
	onlyIfCached := ctl.OnlyIfCached || rc.OnlyIfCached
	// miss answers when nothing stored can be used.
	miss := func(reason string) Decision {
		if onlyIfCached {
			// §5.2.1.7: only-if-cached never contacts the origin.
			return Decision{Action: GatewayTimeout, Reason: "only-if-cached"}
		}
		return Decision{Action: Fetch, Reason: reason}
	}
	if rec == nil || rec.IsVaryIndex() {
		return miss("miss")
	}
	if ctl.ForceRefresh {
		return miss("force-refresh")
	}
	// A record made from a HEAD response has no body: it cannot answer a
	// GET (a GET record may answer a HEAD).
	if rec.Request.Method == http.MethodHead && req.Method != http.MethodHead {
		return miss("head-only")
	}

	d := Decision{Age: age(rec, now), TTL: forever}
	if !rec.Expires.IsZero() {
		d.TTL = rec.Expires.Sub(now)
	}
	fresh := d.TTL > 0
	d.Stale = !fresh
	revalidate := func(reason string) Decision {
		if onlyIfCached {
			return Decision{Action: GatewayTimeout, Reason: "only-if-cached", Age: d.Age, TTL: d.TTL, Stale: d.Stale}
		}
		d.Reason = reason
		d.Conditional = conditional(rec)
		if d.Conditional == nil {
			d.Action = Fetch
		} else {
			d.Action = Revalidate
		}
		return d
	}

	var cc Directives
	if !p.IgnoreCacheControl {
		cc = ParseCacheControl(rec.Header)
	}
	// Revalidation asked for by the request, the user or the response.
	switch {
	case rc.NoCache || len(rc.NoCacheFields) > 0:
		// §5.2.1.4 (and Pragma, §5.4).
		return revalidate("no-cache-request")
	case ctl.Refresh && !(fresh && cc.Immutable):
		// RFC 8246 §2: a fresh immutable response is not revalidated on
		// reload; ForceRefresh still refetches it.
		return revalidate("refresh")
	case user == ExpireImmediately:
		return revalidate("expire-immediately")
	case p.AlwaysRevalidate:
		return revalidate("always-revalidate")
	case cc.NoCache:
		// §5.2.2.4.
		return revalidate("no-cache")
	case rec.Revalidate:
		return revalidate("revalidate")
	}
	// §5.2.1.1: the client does not accept an age above max-age; a
	// positive per-request expiry bounds the age the same way.
	if rc.MaxAge.Valid && d.Age > rc.MaxAge.Duration() {
		return revalidate("max-age-request")
	}
	if ctl.Expire > 0 && d.Age > time.Duration(ctl.Expire) {
		return revalidate("expire")
	}
	if fresh {
		// §5.2.1.3: min-fresh wants that much freshness left.
		if rc.MinFresh.Valid && d.TTL < rc.MinFresh.Duration() {
			return revalidate("min-fresh-request")
		}
		d.Action, d.Reason = Serve, "fresh"
		return d
	}

	// Stale. §4.2.4: serving it needs explicit permission, and
	// must-revalidate (§5.2.2.2), proxy-revalidate and s-maxage in a
	// shared cache (§5.2.2.8, §5.2.2.10) forbid it, max-stale included.
	if cc.MustRevalidate || p.Shared && (cc.ProxyRevalidate || cc.SMaxAge.Present) {
		return revalidate("must-revalidate")
	}
	staleness := -d.TTL
	// §5.2.1.2: max-stale without a value accepts any staleness.
	if rc.MaxStale.Present && (!rc.MaxStale.Arg || rc.MaxStale.Valid && staleness <= rc.MaxStale.Duration()) {
		d.Action, d.Reason = Serve, "max-stale"
		return d
	}
	// RFC 5861 §3: stale-while-revalidate.
	if swr := max(cc.StaleWhileRevalidate.Duration(), p.StaleWhileRevalidate); swr > 0 && staleness <= swr && !onlyIfCached {
		d.Action, d.Reason = ServeStaleAndRevalidate, "stale-while-revalidate"
		d.Conditional = conditional(rec)
		return d
	}
	return revalidate("stale")
}
