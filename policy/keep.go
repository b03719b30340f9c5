package policy

import (
	"net/http"
	"time"
)

// defaultKeepStale is how long a stale response with a validator is kept
// when Policy.KeepStale is zero.
const defaultKeepStale = 24 * time.Hour

// keep answers "how long is the response kept?" once it is fresh until
// expires: staleUntil ends its stale-if-error / stale-while-revalidate
// window (zero when it has none), and ttl, how long the backend keeps the
// record, runs to the end of that window and, when a validator makes a 304
// possible (RFC 9111 §4.3.1), KeepStale longer. A ttl of zero or less means
// the record could never be used.
func (p *Policy) keep(h http.Header, cc *Directives, expires, respTime time.Time) (staleUntil time.Time, ttl time.Duration) {
	end := expires
	if win := p.staleWindow(cc); win > 0 {
		staleUntil = expires.Add(win)
		end = staleUntil
	}
	ttl = max(end.Sub(respTime), 0)
	if hasValidator(h) {
		ttl += p.keepStale()
	}
	return staleUntil, ttl
}

// staleWindow is how long past its expiry a response may still be served:
// the largest of its stale-if-error (RFC 5861 §4) and
// stale-while-revalidate (RFC 5861 §3) and the Policy's windows for both.
func (p *Policy) staleWindow(cc *Directives) time.Duration {
	return max(cc.StaleIfError.Duration(), cc.StaleWhileRevalidate.Duration(), p.StaleIfErrorWindow, p.StaleWhileRevalidate)
}

// keepStale is Policy.KeepStale with its zero (24 hours) and negative (not
// kept) meanings applied.
func (p *Policy) keepStale() time.Duration {
	switch {
	case p.KeepStale == 0:
		return defaultKeepStale
	case p.KeepStale < 0:
		return 0
	}
	return p.KeepStale
}
