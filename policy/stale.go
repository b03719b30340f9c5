package policy

import (
	"net/http"
	"time"

	"github.com/cachedhttp/cachedhttp/models"
)

// errorStatus reports whether status lets stale-if-error apply: a
// transport error (0) or 500, 502, 503, 504 (RFC 5861 §4).
func errorStatus(status int) bool {
	switch status {
	case 0, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
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
	if rec == nil || rec.IsVaryIndex() || !errorStatus(status) {
		return false
	}
	var cc Directives
	if !p.IgnoreCacheControl {
		cc = ParseCacheControl(rec.Header)
	}
	if cc.MustRevalidate || cc.NoCache || p.Shared && (cc.ProxyRevalidate || cc.SMaxAge.Present) {
		return false
	}
	var rc Directives
	if req != nil {
		if req.Method == http.MethodGet && rec.Request.Method == http.MethodHead {
			return false // no body to serve
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
	if rc.MaxStale.Present && (!rc.MaxStale.Arg || rc.MaxStale.Valid && staleness <= rc.MaxStale.Duration()) {
		return true
	}
	win := max(cc.StaleIfError.Duration(), rc.StaleIfError.Duration(), p.StaleIfErrorWindow)
	return win > 0 && staleness <= win
}
