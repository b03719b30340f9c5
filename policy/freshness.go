package policy

import (
	"net/http"
	"time"
)

// maxHeuristic caps heuristic freshness (RFC 9111 §4.2.2 suggests a
// fraction of the time since Last-Modified; we cap it at one day, as
// common practice and RFC 7234 §4.2.2's warning threshold do).
const maxHeuristic = 24 * time.Hour

// heuristicallyCacheable reports whether code is heuristically cacheable
// (RFC 9110 §15.1): 200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414
// and 501. A 206 is stored as a partial record, never served as a whole
// (RFC 9111 §3.3, §3.4; partial.go).
func heuristicallyCacheable(code int) bool {
	switch code {
	case 200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501:
		return true
	}
	return false
}

// understoodStatus reports whether this cache understands the caching
// requirements of code, for must-understand (RFC 9111 §5.2.2.3): the
// heuristically cacheable codes and the redirects whose caching needs only
// explicit freshness.
func understoodStatus(code int) bool {
	switch code {
	case 302, 303, 307:
		return true
	}
	return heuristicallyCacheable(code)
}

// explicitLifetime returns the freshness lifetime given by the response
// itself (RFC 9111 §4.2.1) and whether there was any: s-maxage in shared
// caches, then max-age, then (when expires is true) Expires - Date. An
// invalid or conflicting max-age or s-maxage, or an invalid Expires, gives
// a zero lifetime: the response is stale at once (§4.2.1, §5.3). Directives
// from a targeted field come with expires false: RFC 9213 §2.2 ignores
// Expires then.
func explicitLifetime(h http.Header, cc *Directives, shared, expires bool, respTime time.Time) (time.Duration, bool) {
	if shared && cc.SMaxAge.Present {
		return cc.SMaxAge.Duration(), true
	}
	if cc.MaxAge.Present {
		return cc.MaxAge.Duration(), true
	}
	if !expires {
		return 0, false
	}
	vals := h["Expires"]
	if len(vals) == 0 {
		return 0, false
	}
	// Several different Expires field lines are invalid freshness
	// information: stale (§4.2.1).
	for _, v := range vals[1:] {
		if v != vals[0] {
			return 0, true
		}
	}
	exp, ok := parseHTTPDate(vals[0], respTime)
	if !ok {
		// §5.3: invalid dates, especially "0", mean already expired.
		return 0, true
	}
	return saturate(exp.Sub(dateValue(h, respTime))), true
}

// heuristicLifetime returns 10% of the time between Last-Modified and Date
// (RFC 9111 §4.2.2), capped at maxHeuristic, and whether Last-Modified gave
// one.
func heuristicLifetime(h http.Header, date, respTime time.Time) (time.Duration, bool) {
	vals := h["Last-Modified"]
	if len(vals) == 0 {
		return 0, false
	}
	lm, ok := parseHTTPDate(vals[0], respTime)
	if !ok {
		return 0, false
	}
	d := date.Sub(lm) / 10
	return min(saturate(d), maxHeuristic), true
}

// hasValidator reports whether h carries ETag or Last-Modified.
func hasValidator(h http.Header) bool {
	return value(h, "Etag") != "" || value(h, "Last-Modified") != ""
}

// freshness is the answer to "until when is it fresh?".
type freshness struct {
	// at is the end of freshness (unless never).
	at time.Time
	// never: fresh forever.
	never bool
	// immediate: the user's expiry says expire immediately; at is the
	// response time and every use revalidates.
	immediate bool
}

// freshUntil answers "until when is the response fresh?" by the precedence
// the package documents: Controls.Expire, then the response's own
// freshness (unless IgnoreCacheControl), then the first matching Rule or
// Policy.Expire, then the heuristic. The user's ExpireImmediately applies
// whatever the response says. The Reason is ReasonNoFreshness when nothing
// gives the response a lifetime or a validator.
func (p *Policy) freshUntil(x *exchange, ctl Controls, reqTime, respTime time.Time) (freshness, Reason) {
	switch {
	case x.user == ExpireImmediately:
		return freshness{at: respTime, immediate: true}, ""
	case ctl.Expire != Unset:
		return userFreshness(ctl.Expire, respTime), ""
	case p.IgnoreCacheControl && x.rule == Unset:
		// Without the response's word and the user's, nothing expires.
		return freshness{never: true}, ""
	case x.explicit: // never under IgnoreCacheControl (newExchange)
		// §4.2.3: the response is fresh while freshness_lifetime >
		// current_age, so it stops being fresh at respTime + lifetime -
		// corrected_initial_age.
		return freshness{at: respTime.Add(x.lifetime - correctedInitialAge(x.header, reqTime, respTime))}, ""
	case x.rule != Unset:
		return userFreshness(x.rule, respTime), ""
	}
	return heuristicFreshness(x.header, &x.cc, x.code, reqTime, respTime)
}

// userFreshness is the freshness the user's expiry e (not Unset, not
// DoNotCache) gives a response received at respTime.
func userFreshness(e Expiry, respTime time.Time) freshness {
	switch {
	case e > 0:
		return freshness{at: respTime.Add(time.Duration(e))}
	case e == NeverExpire:
		return freshness{never: true}
	}
	return freshness{at: respTime, immediate: true} // ExpireImmediately
}

// heuristicFreshness applies §4.2.2 to a response without explicit
// freshness: "a cache MAY assign a heuristic expiration time when an
// explicit time is not specified", for a heuristically cacheable status or
// a response marked public. A response with no freshness at all but a
// validator is stored already stale, worth a 304 (§4.3.1).
func heuristicFreshness(h http.Header, cc *Directives, code int, reqTime, respTime time.Time) (freshness, Reason) {
	var date time.Time
	var lifetime time.Duration
	ok := false
	if len(h["Last-Modified"]) > 0 {
		date = dateValue(h, respTime) // parsed once for both uses
		lifetime, ok = heuristicLifetime(h, date, respTime)
	}
	switch {
	case ok && (heuristicallyCacheable(code) || cc.Public):
		return freshness{at: respTime.Add(lifetime - correctedInitialAgeAt(h, date, reqTime, respTime))}, ""
	case hasValidator(h):
		return freshness{at: respTime}, ""
	}
	return freshness{}, ReasonNoFreshness
}

// value is h.Get(name) for a name already in canonical form: the map is
// read directly, without canonicalising the name again on every call.
func value(h http.Header, name string) string {
	if v := h[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}
