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
// record, runs to the end of that window and then keepAfter longer. A ttl
// of zero or less means the record could never be used.
func (p *Policy) keep(h http.Header, cc *Directives, expires, respTime time.Time) (staleUntil time.Time, ttl time.Duration) {
	end := expires
	if win := p.staleWindow(cc); win > 0 {
		staleUntil = expires.Add(win)
		end = staleUntil
	}
	return staleUntil, max(end.Sub(respTime), 0) + p.keepAfter(h, cc)
}

// keepAfter answers "how long is a stale response kept past its stale
// windows?". With a validator, KeepStale: a 304 can make it fresh again
// (RFC 9111 §4.3.1). Without one it can only be served stale, to a request
// whose max-stale accepts it ("the client will accept a stale response",
// §5.2.1.2) or whose stale-if-error covers it (RFC 5861 §4), and nothing
// known when it is stored says whether such a request will come: it is kept
// for KeepStaleUnvalidated (keepUnvalidated), unless its directives forbid
// every stale use (must-revalidate, no-cache; shared: proxy-revalidate,
// s-maxage), when it could only be refetched.
func (p *Policy) keepAfter(h http.Header, cc *Directives) time.Duration {
	switch {
	case hasValidator(h):
		return p.keepStale()
	case cc.NoCache || p.forbidsStale(cc):
		return 0
	}
	return p.keepUnvalidated(cc)
}

// keepUnvalidated is Policy.KeepStaleUnvalidated with its meanings
// applied: positive, itself; negative, nothing; zero, KeepStale when stale
// use is expected (staleExpected), nothing otherwise.
func (p *Policy) keepUnvalidated(cc *Directives) time.Duration {
	switch {
	case p.KeepStaleUnvalidated > 0:
		return p.KeepStaleUnvalidated
	case p.KeepStaleUnvalidated == 0 && p.staleExpected(cc):
		return p.keepStale()
	}
	return 0
}

// staleExpected reports whether the user or the origin said stale responses
// are wanted: a StaleIfErrorWindow or StaleWhileRevalidate in the Policy,
// or stale-if-error or stale-while-revalidate in the response (RFC 5861).
// Without such a word, keeping every response without a validator for a
// day on the chance of a max-stale request would grow the store for
// nothing.
func (p *Policy) staleExpected(cc *Directives) bool {
	return p.StaleIfErrorWindow > 0 || p.StaleWhileRevalidate > 0 ||
		cc.StaleIfError.Present || cc.StaleWhileRevalidate.Present
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
