package cachedhttp

import (
	"net/http"
	"sync"
	"time"

	"github.com/cachedhttp/cachedhttp/policy"
)

// The session-wide modes a requests-cache user knows: offline
// (only_if_cached=True), read-only (read_only=True), and a scoped,
// thread-safe disable (cache_disabled()).

// WithOnlyIfCached makes every request only-if-cached (RFC 9111 §5.2.1.7),
// as if offline: a usable stored response, else a stale one when
// stale-if-error allows it (WithStaleIfError, or the response's own
// stale-if-error), else 504 Gateway Timeout. Nothing reaches the origin.
func WithOnlyIfCached() Option {
	return func(c *config) { c.onlyIfCached = true }
}

// WithReadOnly makes the cache read-only: responses are served from what is
// stored, and nothing is ever written, deleted or swept: not new responses,
// not invalidations (RFC 9111 §4.4 is skipped), not undecodable records.
// The maintenance methods that change the store return ErrReadOnly.
func WithReadOnly() Option {
	return func(c *config) { c.readOnly = true }
}

// Disable turns the cache off for every request of the Transport until the
// returned restore function is called: requests pass through uncached, as
// with Bypass. Unlike requests-cache's cache_disabled(), it is safe for
// concurrent use, and nested calls nest (the cache is on again when every
// restore ran). To leave the cache out for some requests only, use Bypass
// on their contexts instead.
func (t *Transport) Disable() (restore func()) {
	t.disabled.Add(1)
	var once sync.Once
	return func() { once.Do(func() { t.disabled.Add(-1) }) }
}

// Disable turns the cache off until restore is called; see
// Transport.Disable.
func (s *Session) Disable() (restore func()) { return s.Cache.Disable() }

// offline answers an only-if-cached request that nothing fresh can answer
// (RFC 9111 §5.2.1.7): with a stored response that stale-if-error allows
// (RFC 5861 §4), that one, stale, as requests-cache does; else 504.
func (t *Transport) offline(req *http.Request, l lookup, now time.Time) *http.Response {
	if l.rec != nil && t.pol.StaleIfError(req, l.rec, 0, now) {
		t.stats.hits.Add(1)
		t.stats.staleErrors.Add(1)
		return t.serve(req, l.rec, now, status{hit: true, ttl: ttlOf(l.rec, now), detail: policy.ReasonOnlyIfCached}, l.key, true)
	}
	t.stats.misses.Add(1)
	return gatewayTimeout(req, l)
}
