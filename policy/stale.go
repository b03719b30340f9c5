package policy

import (
	"net/http"
	"slices"
	"time"

	"github.com/cachedhttp/cachedhttp/models"
)

// errorStatus answers "did the origin fail?" for stale-if-error: a
// transport error (status 0) always; otherwise a status in
// Policy.StaleIfErrorCodes or, when nil, RFC 5861 §4's: "an error is any
// situation that would result in a 500, 502, 503, or 504 HTTP response
// status code being returned".
// ErrorStatus reports whether status (0 for a transport error) is one
// stale-if-error may answer for (StaleIfErrorCodes, or 500, 502, 503 and
// 504): a caller can ask it before taking the time StaleIfError needs.
func (p *Policy) ErrorStatus(status int) bool { return p.errorStatus(status) }

func (p *Policy) errorStatus(status int) bool {
	if status == 0 {
		return true
	}
	if p.StaleIfErrorCodes != nil {
		return slices.Contains(p.StaleIfErrorCodes, status)
	}
	switch status {
	case http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// serveStale answers "may this stale response be served?" for Lookup.
// RFC 9111 §4.2.4: "a cache MUST NOT generate a stale response unless it is
// disconnected or doing so is explicitly permitted by the client or origin
// server"; the permissions are the request's max-stale and
// stale-while-revalidate (RFC 5861 §3), unless a directive forbids any
// stale use (forbidsStale). Otherwise the response is revalidated.
func (p *Policy) serveStale(d Decision, rc, cc *Directives, rec *models.Response, onlyIfCached bool) Decision {
	staleness := -d.TTL
	switch {
	case p.forbidsStale(cc):
		return revalidate(d, rec, ReasonMustRevalidate, onlyIfCached)
	case acceptsStale(rc, staleness):
		d.Action, d.Reason = Serve, ReasonMaxStale
		return d
	case !onlyIfCached && p.whileRevalidating(cc, staleness):
		d.Action, d.Reason = ServeStaleAndRevalidate, ReasonStaleWhileRevalidate
		d.Conditional = conditional(rec)
		return d
	}
	return revalidate(d, rec, ReasonStale, onlyIfCached)
}

// forbidsStale reports whether the stored response's directives forbid
// every stale use, max-stale included: must-revalidate (RFC 9111 §5.2.2.2:
// "once the response has become stale, a cache MUST NOT reuse that response
// to satisfy another request until it has been successfully validated")
// and, in a shared cache, proxy-revalidate (§5.2.2.8) and s-maxage
// (§5.2.2.10: "implies the semantics of proxy-revalidate").
func (p *Policy) forbidsStale(cc *Directives) bool {
	return cc.MustRevalidate || p.Shared && (cc.ProxyRevalidate || cc.SMaxAge.Present)
}

// acceptsStale reports whether the request's max-stale accepts staleness
// (RFC 9111 §5.2.1.2: "If no value is assigned to max-stale, then the
// client will accept a stale response of any age").
func acceptsStale(rc *Directives, staleness time.Duration) bool {
	return rc.MaxStale.Present && (!rc.MaxStale.Arg || rc.MaxStale.Valid && staleness <= rc.MaxStale.Duration())
}

// whileRevalidating reports whether staleness is within the
// stale-while-revalidate window: the response's (RFC 5861 §3) or the
// Policy's, whichever is larger.
func (p *Policy) whileRevalidating(cc *Directives, staleness time.Duration) bool {
	swr := max(cc.StaleWhileRevalidate.Duration(), p.StaleWhileRevalidate)
	return swr > 0 && staleness <= swr
}

// staleIfError implements StaleIfError. The window is the largest of the
// response's stale-if-error, the request's stale-if-error (RFC 5861 §4
// defines it for both) and Policy.StaleIfErrorWindow; a request max-stale that
// covers the staleness allows it as well (§5.2.1.2). must-revalidate,
// unqualified no-cache and, in a shared cache, proxy-revalidate and
// s-maxage forbid it: RFC 9111 §4.2.4 says a cache MUST NOT generate a
// stale response when an in-protocol directive prohibits it, and §5.2.2.2
// says a must-revalidate cache that cannot reach the origin MUST answer with
// an error (504) rather than reuse the stale response.
func (p *Policy) staleIfError(req *http.Request, rec *models.Response, status int, now time.Time) bool {
	if rec == nil || rec.IsVaryIndex() || !p.errorStatus(status) {
		return false
	}
	cc, _ := p.responseDirectives(rec.Header)
	if cc.NoCache || p.forbidsStale(&cc) {
		return false
	}
	var rc Directives
	if req != nil {
		if req.Method == http.MethodGet && rec.Request.Method == http.MethodHead {
			return false // no body to serve
		}
		if rec.StatusCode == http.StatusPartialContent && PartialFor(req, rec).Action != PartialServe {
			return false // RFC 9111 §3.3: a part answers only ranges within it
		}
		rc = requestDirectives(req.Header)
	}
	if rec.Expires.IsZero() {
		return true // never expires: not even stale
	}
	staleness := now.Sub(rec.Expires)
	if staleness < 0 {
		// Still fresh (it was being revalidated for another reason).
		return true
	}
	if acceptsStale(&rc, staleness) {
		return true
	}
	win := max(cc.StaleIfError.Duration(), rc.StaleIfError.Duration(), p.StaleIfErrorWindow)
	return win > 0 && staleness <= win
}
