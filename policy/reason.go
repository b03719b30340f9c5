package policy

// Reason names why Lookup, Storable or Freshen decided what they did. It is
// what a cache puts in Cache-Status "detail" (RFC 9211 §2.8) and in its
// logs, so the values are stable: they are the whole set, listed here and
// nowhere else.
type Reason string

// Reasons of Lookup (Decision.Reason) for answering from the cache.
const (
	// ReasonFresh: the stored response is fresh and served (RFC 9111 §4.2).
	ReasonFresh Reason = "fresh"
	// ReasonMaxStale: a stale response is served because the request's
	// max-stale accepts its staleness (RFC 9111 §5.2.1.2).
	ReasonMaxStale Reason = "max-stale"
	// ReasonStaleWhileRevalidate: a stale response is served while it is
	// refreshed in the background (RFC 5861 §3).
	ReasonStaleWhileRevalidate Reason = "stale-while-revalidate"
	// ReasonStaleIfError: a stale response is served because the origin
	// failed and StaleIfError allowed it (RFC 5861 §4). The policy never
	// returns it; the transport names its answer with it.
	ReasonStaleIfError Reason = "stale-if-error"
)

// Reasons of Lookup for going to the origin or not using the cache at all.
const (
	// ReasonNoRequest: Lookup was given no request (Pass).
	ReasonNoRequest Reason = "no-request"
	// ReasonBypass: Controls.Bypass; neither read nor written (Lookup
	// Pass, Storable refusal).
	ReasonBypass Reason = "bypass"
	// ReasonMethod: the method is not one the Policy caches (RFC 9111 §3:
	// the method must be understood and cacheable; Lookup Pass, Storable
	// refusal).
	ReasonMethod Reason = "method"
	// ReasonDoNotCache: the user's expiry for the request is DoNotCache
	// (Lookup Pass, Storable refusal).
	ReasonDoNotCache Reason = "do-not-cache"
	// ReasonMiss: nothing usable is stored (Fetch).
	ReasonMiss Reason = "miss"
	// ReasonForceRefresh: Controls.ForceRefresh ignores what is stored
	// (Fetch).
	ReasonForceRefresh Reason = "force-refresh"
	// ReasonHeadOnly: the stored response answered a HEAD and has no body,
	// so it cannot answer this GET (RFC 9110 §9.3.2; Fetch).
	ReasonHeadOnly Reason = "head-only"
	// ReasonOnlyIfCached: only-if-cached (request directive or
	// Controls.OnlyIfCached) and nothing usable without the origin: answer
	// 504 (RFC 9111 §5.2.1.7).
	ReasonOnlyIfCached Reason = "only-if-cached"
	// ReasonNoCacheRequest: the request's no-cache, or Pragma: no-cache
	// without Cache-Control, asks for validation (RFC 9111 §5.2.1.4, §5.4).
	ReasonNoCacheRequest Reason = "no-cache-request"
	// ReasonRefresh: Controls.Refresh revalidates, unless the response is
	// fresh and immutable (RFC 8246 §2).
	ReasonRefresh Reason = "refresh"
	// ReasonExpireImmediately: the user's expiry for the request is
	// ExpireImmediately.
	ReasonExpireImmediately Reason = "expire-immediately"
	// ReasonAlwaysRevalidate: Policy.AlwaysRevalidate.
	ReasonAlwaysRevalidate Reason = "always-revalidate"
	// ReasonNoCache: the stored response's unqualified no-cache (RFC 9111
	// §5.2.2.4).
	ReasonNoCache Reason = "no-cache"
	// ReasonRevalidate: the record was stored to be revalidated before
	// every use (models.Response.Revalidate, Store.Revalidate).
	ReasonRevalidate Reason = "revalidate"
	// ReasonMaxAgeRequest: the response is older than the request's max-age
	// accepts (RFC 9111 §5.2.1.1).
	ReasonMaxAgeRequest Reason = "max-age-request"
	// ReasonExpire: the response is older than a positive Controls.Expire
	// accepts.
	ReasonExpire Reason = "expire"
	// ReasonMinFreshRequest: less freshness is left than the request's
	// min-fresh asks (RFC 9111 §5.2.1.3).
	ReasonMinFreshRequest Reason = "min-fresh-request"
	// ReasonMustRevalidate: the response is stale and must-revalidate or,
	// in a shared cache, proxy-revalidate or s-maxage forbid serving it so
	// (RFC 9111 §4.2.4, §5.2.2.2, §5.2.2.8, §5.2.2.10).
	ReasonMustRevalidate Reason = "must-revalidate"
	// ReasonStale: the response is stale and nothing allows serving it
	// (RFC 9111 §4.2, §4.3.1).
	ReasonStale Reason = "stale"
	// ReasonPartial: the stored response is partial (a 206) and does not
	// hold what the request asks for (RFC 9111 §3.3: only "a range wholly
	// within the incomplete response"); PartialFor says whether the
	// origin is asked for the missing bytes only (Fetch).
	ReasonPartial Reason = "partial"
)

// Reasons of Storable (Store.Reason).
const (
	// ReasonStored: the response may be stored (Store.OK).
	ReasonStored Reason = "stored"
	// ReasonNoResponse: Storable was given no response.
	ReasonNoResponse Reason = "no-response"
	// ReasonStatus: the status code is not final, is 304 (RFC 9111 §3,
	// §4.3.3), is not in Policy.Codes, or is not heuristically
	// cacheable (RFC 9110 §15.1) and the response has neither explicit
	// freshness nor public (nor, in a private cache, private): RFC 9111
	// §3. Freshen uses it for an answer that is neither a 304 nor a
	// 200 to HEAD.
	ReasonStatus Reason = "status"
	// ReasonPartialContent: a 206 this cache does not store (RFC 9111
	// §3.3): not the answer to a GET with Range, not one part of the
	// bytes unit (Content-Range), a Content-Length that disagrees with
	// it, or no strong validator to combine it by (§3.4).
	ReasonPartialContent Reason = "partial-content"
	// ReasonNoStoreRequest: the request's no-store (RFC 9111 §5.2.1.5).
	ReasonNoStoreRequest Reason = "no-store-request"
	// ReasonNoStore: the response's no-store (RFC 9111 §5.2.2.5).
	ReasonNoStore Reason = "no-store"
	// ReasonMustUnderstand: must-understand with a status code whose
	// caching rules this cache does not understand (RFC 9111 §5.2.2.3).
	ReasonMustUnderstand Reason = "must-understand"
	// ReasonVaryStar: Vary: * never matches a later request (RFC 9111
	// §4.1).
	ReasonVaryStar Reason = "vary-star"
	// ReasonPrivate: private, in a shared cache (RFC 9111 §5.2.2.7).
	ReasonPrivate Reason = "private"
	// ReasonAuthorization: a request with Authorization, in a shared
	// cache, without public, must-revalidate or s-maxage in the response
	// (RFC 9111 §3.5): Storable refuses the response; Lookup fetches
	// rather than use such a record.
	ReasonAuthorization Reason = "authorization"
	// ReasonSetCookie: in a shared cache, a response that would be stored
	// with Set-Cookie (Policy.StripSetCookie unset): Storable refuses it;
	// Lookup fetches rather than serve such a record (shared.go, RFC 9111
	// §7.3).
	ReasonSetCookie Reason = "set-cookie"
	// ReasonNoFreshness: no explicit or heuristic freshness and no
	// validator to revalidate with (RFC 9111 §4.2.1, §4.2.2, §4.3.1).
	ReasonNoFreshness Reason = "no-freshness"
	// ReasonStaleNoValidator: stale at once, with no validator, no stale
	// window and no time kept for stale use (KeepStaleUnvalidated): the
	// record could never be used.
	ReasonStaleNoValidator Reason = "stale-no-validator"
	// ReasonFilter: Policy.Filter refused the response.
	ReasonFilter Reason = "filter"
	// ReasonHead: a HEAD response, which has no body, would replace a
	// stored response (RFC 9111 §4.3.5 lets it freshen one instead).
	ReasonHead Reason = "head"
	// ReasonTooLarge: the response's Content-Length exceeds
	// Policy.MaxBodySize.
	ReasonTooLarge Reason = "too-large"
)

// Reasons of Freshen for not selecting the stored response.
const (
	// ReasonNoRecord: Freshen was given no record or no response.
	ReasonNoRecord Reason = "no-record"
	// ReasonValidatorMismatch: the 304's (or HEAD 200's) validators do not
	// select the stored response (RFC 9111 §4.3.4, §4.3.5).
	ReasonValidatorMismatch Reason = "validator-mismatch"
)
