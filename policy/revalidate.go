package policy

import (
	"net/http"
	"time"
)

// record is what Lookup's questions need to know of the stored record
// besides its directives.
type record struct {
	marked    bool // models.Response.Revalidate (Store.Revalidate)
	validated bool // it has a validator (ETag or Last-Modified)
}

// revalidationReason answers, for Lookup, "why must the stored response be
// validated with the origin before this use?": the request, the user or
// the response asks for it, or the response is older than the request
// accepts. "" means it need not be (a stale one may still be: serveStale
// decides). d holds the response's Age, TTL and Stale.
func (p *Policy) revalidationReason(rc, cc *Directives, ctl *Controls, user Expiry, rec record, d *Decision) Reason {
	if r := p.askedRevalidation(rc, cc, ctl, user, rec, !d.Stale); r != "" {
		return r
	}
	return tooOld(rc, ctl, d)
}

// askedRevalidation is the revalidation the request, the user or the
// stored response asks for, in that order of precedence.
func (p *Policy) askedRevalidation(rc, cc *Directives, ctl *Controls, user Expiry, rec record, fresh bool) Reason {
	switch {
	case rc.NoCache || len(rc.NoCacheFields) > 0:
		// RFC 9111 §5.2.1.4: "the client prefers that a stored response not
		// be used to satisfy the request without successful validation"
		// (and Pragma: no-cache, §5.4).
		return ReasonNoCacheRequest
	case ctl.Refresh && !(fresh && cc.Immutable):
		// RFC 8246 §2: a fresh immutable response is not revalidated on
		// reload; ForceRefresh still refetches it.
		return ReasonRefresh
	case user == ExpireImmediately:
		return ReasonExpireImmediately
	case p.AlwaysRevalidate && rec.validated:
		// Without a validator there is nothing to revalidate with, only a
		// refetch; requests-cache's always_revalidate serves such a
		// response while fresh, and so does this cache (a stale one is
		// refetched as any other).
		return ReasonAlwaysRevalidate
	case cc.NoCache:
		// RFC 9111 §5.2.2.4: "the response MUST NOT be used to satisfy any
		// other request without forwarding it for validation".
		return ReasonNoCache
	case rec.marked:
		return ReasonRevalidate
	}
	return ""
}

// tooOld is why the response is older, or less fresh, than the request
// accepts: its max-age (RFC 9111 §5.2.1.1), a positive Controls.Expire
// (bounding age the same way) or, when fresh, its min-fresh (§5.2.1.3).
func tooOld(rc *Directives, ctl *Controls, d *Decision) Reason {
	switch {
	case rc.MaxAge.Valid && d.Age > rc.MaxAge.Duration():
		// §5.2.1.1: "the client prefers a response whose age is less than
		// or equal to the specified number of seconds".
		return ReasonMaxAgeRequest
	case ctl.Expire > 0 && d.Age > time.Duration(ctl.Expire):
		return ReasonExpire
	case !d.Stale && rc.MinFresh.Valid && d.TTL < rc.MinFresh.Duration():
		// §5.2.1.3: "the client prefers a response whose freshness
		// lifetime is no less than its current age plus the specified
		// time".
		return ReasonMinFreshRequest
	}
	return ""
}

// storedRevalidate reports, for Storable, whether every use of the stored
// response (header h) must be validated first: the user's
// ExpireImmediately, the response's unqualified no-cache (RFC 9111
// §5.2.2.4) or Policy.AlwaysRevalidate when there is a validator to
// revalidate with (see askedRevalidation).
func (p *Policy) storedRevalidate(h http.Header, cc *Directives, f freshness) bool {
	return f.immediate || cc.NoCache || p.AlwaysRevalidate && hasValidator(h)
}
