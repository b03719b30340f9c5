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
// and 501. 206 is left out: this cache does not store or combine partial
// content (RFC 9111 §3.3, §3.4), so a 206 must never be served as a whole.
func heuristicallyCacheable(code int) bool {
	switch code {
	case 200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501:
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
// caches, then max-age, then Expires - Date. An invalid or conflicting
// max-age or s-maxage, or an invalid Expires, gives a zero lifetime: the
// response is stale at once (§4.2.1, §5.3).
func explicitLifetime(h http.Header, cc *Directives, shared bool, respTime time.Time) (time.Duration, bool) {
	if shared && cc.SMaxAge.Present {
		return cc.SMaxAge.Duration(), true
	}
	if cc.MaxAge.Present {
		return cc.MaxAge.Duration(), true
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
func heuristicLifetime(h http.Header, respTime time.Time) (time.Duration, bool) {
	vals := h["Last-Modified"]
	if len(vals) == 0 {
		return 0, false
	}
	lm, ok := parseHTTPDate(vals[0], respTime)
	if !ok {
		return 0, false
	}
	d := dateValue(h, respTime).Sub(lm) / 10
	return min(saturate(d), maxHeuristic), true
}

// hasValidator reports whether h carries ETag or Last-Modified.
func hasValidator(h http.Header) bool {
	return h.Get("Etag") != "" || h.Get("Last-Modified") != ""
}
