package policy

import (
	"net/http"
	"time"

	"github.com/cachedhttp/cachedhttp/models"
)

// forever stands for the remaining freshness of a never-expiring record.
const forever = time.Duration(1<<63 - 1)

// Prepared is what Lookup derives from a stored response alone, kept so
// that a record answering many requests is read once: its response
// directives (RFC 9111 §5.2.2, or a targeted field's, RFC 9213), its
// corrected_initial_age (§4.2.3) and whether it carries a validator. Make
// one with Prepare and decide with LookupPrepared, which decides exactly as
// Lookup does for the same record. A Prepared is never modified and may be
// shared between goroutines; the record must not be modified once it is
// prepared (a decoded record a cache keeps for its hits is not).
type Prepared struct {
	pol        *Policy
	rec        *models.Response
	cc         Directives
	initialAge time.Duration
	validated  bool
}

// Prepare reads what Lookup needs from rec alone, once. rec must not be nil.
func (p *Policy) Prepare(rec *models.Response) *Prepared {
	pr := &Prepared{}
	p.prepare(pr, rec)
	return pr
}

func (p *Policy) prepare(pr *Prepared, rec *models.Response) {
	*pr = Prepared{pol: p, rec: rec}
	if rec == nil || rec.IsVaryIndex() {
		return
	}
	pr.cc, _ = p.responseDirectives(rec.Header)
	pr.initialAge = correctedInitialAge(rec.Header, rec.RequestTime, rec.ResponseTime)
	pr.validated = hasValidator(rec.Header)
}

// Record returns the record pr was prepared from.
func (pr *Prepared) Record() *models.Response {
	if pr == nil {
		return nil
	}
	return pr.rec
}

// LookupPrepared is Lookup for the record pr was prepared from (nil: nothing
// stored). A Prepared made by another Policy is read again.
func (p *Policy) LookupPrepared(req *http.Request, ctl Controls, pr *Prepared, now time.Time) Decision {
	if pr == nil {
		return p.lookup(req, ctl, nil, nil, now)
	}
	if pr.pol != p {
		return p.lookup(req, ctl, pr.rec, nil, now)
	}
	return p.lookup(req, ctl, pr.rec, pr, now)
}

// lookup implements Lookup: may the cache be used at all, is anything
// usable stored, must it be revalidated, and may it be served stale. pr,
// when not nil, is rec prepared by p.
func (p *Policy) lookup(req *http.Request, ctl Controls, rec *models.Response, pr *Prepared, now time.Time) Decision {
	if req == nil {
		return Decision{Action: Pass, Reason: ReasonNoRequest}
	}
	user := p.userExpiry(req, ctl)
	if r := p.passReason(req.Method, ctl, user); r != "" {
		return Decision{Action: Pass, Reason: r}
	}
	// Request no-store (§5.2.1.5) only forbids storing: "if a request
	// containing this directive is satisfied from a cache, the no-store
	// request directive does not apply to the already stored response", so
	// Lookup ignores it and Storable refuses the response.
	rc := requestDirectives(req.Header)
	onlyIfCached := ctl.OnlyIfCached || rc.OnlyIfCached
	if r := missReason(req.Method, ctl, rec); r != "" {
		return miss(r, onlyIfCached)
	}
	if rec.StatusCode == http.StatusPartialContent && PartialFor(req, rec).Action != PartialServe {
		// RFC 9111 §3.3: "A cache MUST NOT use an incomplete response to
		// answer requests unless ... the request is partial and specifies
		// a range wholly within the incomplete response."
		return miss(ReasonPartial, onlyIfCached)
	}
	if pr == nil {
		pr = &Prepared{}
		p.prepare(pr, rec)
	}
	// pr's fields are read in place: a Prepared is never modified.
	d := Decision{Age: ageAt(pr.initialAge, rec, now), TTL: remaining(rec, now)}
	d.Stale = d.TTL <= 0
	if r := p.sharedUseRefusal(req.Header, rec.Header, &pr.cc); r != "" {
		return miss(r, onlyIfCached)
	}
	if r := p.revalidationReason(&rc, &pr.cc, &ctl, user, record{marked: rec.Revalidate, validated: pr.validated}, &d); r != "" {
		return revalidate(d, rec, r, onlyIfCached)
	}
	if !d.Stale {
		d.Action, d.Reason = Serve, ReasonFresh
		return d
	}
	return p.serveStale(d, &rc, &pr.cc, rec, onlyIfCached)
}

// passReason answers "may the cache be used for this request at all?": why
// not (Pass), or "" when it may.
func (p *Policy) passReason(method string, ctl Controls, user Expiry) Reason {
	switch {
	case ctl.Bypass:
		return ReasonBypass
	case !p.cacheable(method):
		// RFC 9111 §3: only a method the cache understands and defines as
		// cacheable.
		return ReasonMethod
	case user == DoNotCache:
		return ReasonDoNotCache
	}
	return ""
}

// missReason answers "is there no stored response that could answer a
// request with method?": why not, or "" when rec is a candidate.
func missReason(method string, ctl Controls, rec *models.Response) Reason {
	switch {
	case rec == nil || rec.IsVaryIndex():
		return ReasonMiss
	case ctl.ForceRefresh:
		return ReasonForceRefresh
	case rec.Request.Method == http.MethodHead && method != http.MethodHead:
		// A record made from a HEAD response has no body: it cannot answer
		// a GET (a GET record may answer a HEAD, RFC 9110 §9.3.2).
		return ReasonHeadOnly
	}
	return ""
}

// remaining is rec's freshness left at now: negative when stale, forever
// when it never expires.
func remaining(rec *models.Response, now time.Time) time.Duration {
	if rec.Expires.IsZero() {
		return forever
	}
	return rec.Expires.Sub(now)
}

// miss answers a request nothing stored can answer: fetch it, or, under
// only-if-cached, 504 (RFC 9111 §5.2.1.7: "a cache SHOULD either respond
// using a stored response ... or respond with a 504").
func miss(reason Reason, onlyIfCached bool) Decision {
	if onlyIfCached {
		return Decision{Action: GatewayTimeout, Reason: ReasonOnlyIfCached}
	}
	return Decision{Action: Fetch, Reason: reason}
}

// revalidate turns d into a validation request for rec (RFC 9111 §4.3.1),
// or a plain fetch when rec has no validator; under only-if-cached, a 504.
func revalidate(d Decision, rec *models.Response, reason Reason, onlyIfCached bool) Decision {
	if onlyIfCached {
		return Decision{Action: GatewayTimeout, Reason: ReasonOnlyIfCached, Age: d.Age, TTL: d.TTL, Stale: d.Stale}
	}
	d.Reason = reason
	d.Conditional = conditional(rec)
	d.Action = Revalidate
	if d.Conditional.Empty() {
		d.Action = Fetch
	}
	return d
}
