// Package policy decides, without I/O, what an HTTP cache does with a request
// and a response: RFC 9111 freshness, age, heuristics, directives, Vary,
// storability, revalidation (304 merge), invalidation after unsafe methods,
// plus the user's rules (default expiry, per-URL rules, methods, status codes,
// stale-if-error, stale-while-revalidate). Time is always a parameter.
//
// The nouns: a Policy holds the user's configuration; Controls are the
// per-request choices; Directives are a parsed Cache-Control field; a
// Decision says how to answer a request from what is stored; a Store says
// whether and how long to keep a response; a Reason (reason.go lists them
// all) names why, for logs and Cache-Status; an Expiry is the user's
// lifetime for a response, zero meaning unset; a Prepared is what Lookup
// reads from a stored response alone, kept by a cache that answers many
// requests from one decoded record (LookupPrepared).
//
// Where RFC 9111 leaves a choice, this package takes the following one:
//
//   - A request no-store stops the response from being stored, but a stored
//     response may still answer the request (§5.2.1.5 says so).
//   - Conflicting duplicate max-age / s-maxage, invalid delta-seconds,
//     several different Expires lines and invalid Expires dates all make the
//     response stale at once (§4.2.1, §5.3). Quoted arguments
//     (max-age="60") are accepted (§5.2).
//   - Age: the first member of a list is used; an invalid or negative value
//     is ignored; values past 2^31 seconds saturate (§5.1, §1.2.2).
//   - A response with no freshness information but a validator is stored
//     already stale, so that the next use can be a cheap 304 (§4.3.1); one
//     with neither is not stored ("no-freshness").
//   - A 206 to a GET with Range is stored as a partial record when it has
//     one bytes part and a strong validator, under the 200's rules (§3.3).
//     It answers only ranges wholly within it; parts with the same strong
//     validator are combined, into a complete 200 when they make the whole
//     (§3.4); parts that neither overlap nor touch are not kept together:
//     the newer wins (partial.go, combine.go).
//   - Precedence of expiry: Controls.Expire > response Cache-Control and
//     Expires (unless IgnoreCacheControl) > first matching Rule >
//     Policy.Expire > heuristic (10% of Date - Last-Modified, at most 24h,
//     §4.2.2). DoNotCache and ExpireImmediately, when they are the user's
//     choice for the request, apply whatever the response says.
//   - must-revalidate, an unqualified no-cache and, in a shared cache,
//     proxy-revalidate and s-maxage forbid every stale use: max-stale,
//     stale-while-revalidate and stale-if-error (§4.2.4, §5.2.2.2).
//   - Refresh does not revalidate a fresh immutable response (RFC 8246).
//   - A 304 without any validator updates the record it revalidates.
//   - HTTP-dates are read with day names, month names and "GMT" in any
//     case, as RFC 9111 §4.2 asks of caches (date.go quotes it).
//   - A final status that is not heuristically cacheable (302, 303, 307,
//     ...) is stored only with explicit freshness, public or, in a private
//     cache, private (§3).
//   - A shared cache follows a targeted field such as CDN-Cache-Control
//     when the Policy lists it (RFC 9213, targeted.go), and never replays
//     Set-Cookie to another client (shared.go).
//   - A stale response without validator is kept for requests that accept
//     it stale when stale use is expected (keep.go).
//   - AlwaysRevalidate revalidates what has a validator; what has none is
//     served while fresh, as requests-cache does.
//   - URL rules use one glob dialect, requests-cache's (glob.go).
package policy

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/cachedhttp/cachedhttp/models"
)

// Rule sets the expiry for the URLs it matches. Exactly one of Glob and
// Regexp is set.
type Rule struct {
	// Glob is matched, as requests-cache's urls_expire_after, against the
	// URL without scheme: host, path and query ("api.example.com/v1/*",
	// "*.example.com/", "example.com/search?q=*"). Every pattern matches
	// as a prefix; "*" is any run, "?" one character, "[a-z]" a class; the
	// host is case-insensitive. glob.go documents the dialect; ValidateGlob
	// checks a pattern; an invalid one never matches.
	Glob string
	// Regexp is matched against the whole URL string.
	Regexp *regexp.Regexp
	// Expire is the lifetime for matching URLs.
	Expire Expiry
}

// Policy holds the user's caching configuration. The zero value is a
// private cache that follows RFC 9111 for GET and HEAD.
type Policy struct {
	// Expire is the session default, used when the response gives no
	// explicit freshness (or always, when IgnoreCacheControl is set).
	// Unset means heuristic freshness per RFC 9111 §4.2.2.
	Expire Expiry
	// Rules are per-URL expiries, tried in order; the first match wins.
	Rules []Rule
	// IgnoreCacheControl ignores response Cache-Control, Expires and
	// Pragma (requests-cache's cache_control=False): the user's rules
	// decide alone, and an unset expiry means never expire. Request
	// directives still apply.
	IgnoreCacheControl bool
	// Methods are the cacheable methods; nil means GET and HEAD.
	Methods []string
	// Codes are the status codes that may be stored; nil means RFC 9111
	// §3's rule: the heuristically cacheable codes (RFC 9110 §15.1: 200,
	// 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501), and any other
	// final status whose response has explicit freshness or public (or
	// private, in a private cache). So 302, 303 and 307 are stored only
	// when the response says so. A 206 is part of a 200 response (RFC 9111
	// §3.3): it is stored when Codes lists 200.
	Codes []int
	// Shared selects shared-cache semantics (RFC 9111 §3.5, s-maxage,
	// private, proxy-revalidate), targeted fields and the Set-Cookie rule;
	// the default is a private cache.
	Shared bool
	// TargetedFields is a shared cache's target list (RFC 9213 §2.2):
	// response fields such as "CDN-Cache-Control", most applicable first.
	// The first one present with a valid, non-empty Structured Fields
	// Dictionary value replaces Cache-Control and Expires for this cache
	// (targeted.go). Nil means none; a private cache ignores it.
	TargetedFields []string
	// StripSetCookie makes a shared cache store a response that carries
	// Set-Cookie without that field, instead of refusing to store it
	// (ReasonSetCookie), so that one client's cookie is never replayed to
	// another (shared.go). A private cache stores Set-Cookie as received.
	StripSetCookie bool
	// AlwaysRevalidate revalidates every stored response that has a
	// validator (ETag or Last-Modified) before use. One without a
	// validator cannot be revalidated, only refetched: it is served while
	// fresh and refetched once stale, as requests-cache's
	// always_revalidate does.
	AlwaysRevalidate bool
	// StaleIfErrorWindow lets a stale response be served for up to this
	// long past its expiry when the origin fails (RFC 5861 §4). The
	// response's own stale-if-error directive is honoured as well. (Not
	// named StaleIfError: that is the method that applies it.)
	StaleIfErrorWindow time.Duration
	// StaleIfErrorCodes are the status codes that count as the origin
	// failing for stale-if-error (a transport error always does). Nil
	// means 500, 502, 503 and 504: RFC 5861 §4 says "an error is any
	// situation that would result in a 500, 502, 503, or 504 HTTP response
	// status code being returned". An empty, non-nil list counts transport
	// errors only. requests-cache users add 429 or other 4xx codes.
	StaleIfErrorCodes []int
	// StaleWhileRevalidate lets a stale response be served for up to this
	// long past its expiry while it is refreshed in the background (RFC
	// 5861 §3). The response's own directive is honoured as well.
	StaleWhileRevalidate time.Duration
	// KeepStale is how long a stale response with a validator is kept
	// after the end of its freshness and stale windows, so that it can be
	// revalidated with a 304. Zero means 24 hours; negative means not kept.
	KeepStale time.Duration
	// KeepStaleUnvalidated is how long a stale response without a
	// validator is kept after the end of its freshness and stale windows,
	// for requests that accept it stale: a request max-stale (RFC 9111
	// §5.2.1.2) or stale-if-error (RFC 5861 §4); it can never be
	// revalidated. Only a response that may be served stale at all is kept
	// (not one with must-revalidate, no-cache or, shared, proxy-revalidate
	// or s-maxage). Zero means KeepStale when stale use is expected (a
	// StaleIfErrorWindow or StaleWhileRevalidate here, or stale-if-error
	// or stale-while-revalidate in the response) and not kept otherwise;
	// negative means never kept (keep.go).
	KeepStaleUnvalidated time.Duration
	// Filter, when not nil, is asked by Storable about every response RFC
	// 9111 lets it store; false refuses it (ReasonFilter). Nil stores them
	// all. It must be safe for concurrent use.
	Filter func(*http.Response) bool
	// MaxBodySize refuses, in Storable, a response whose Content-Length
	// exceeds it (ReasonTooLarge). Zero means no limit. A body of unknown
	// length (ContentLength -1) passes: the caller bounds it as it reads.
	MaxBodySize int64
}

// Controls are the per-request choices carried in a context.
type Controls struct {
	// Refresh revalidates a stored response before using it (a reload).
	// A fresh response marked immutable is served without revalidation, as
	// RFC 8246 §2 asks of reloads; use ForceRefresh to refetch it.
	Refresh bool
	// ForceRefresh ignores what is stored, fetches and stores anew.
	ForceRefresh bool
	// OnlyIfCached never contacts the origin: 504 when nothing is usable.
	OnlyIfCached bool
	// Bypass neither reads nor writes the cache.
	Bypass bool
	// Expire overrides the expiry for this request: a positive value bounds
	// the age of a stored response it accepts (like a request max-age) and
	// sets the lifetime of what it stores; ExpireImmediately revalidates;
	// DoNotCache neither reads nor writes; NeverExpire stores without
	// expiry but does not make a stale stored response acceptable.
	Expire Expiry
}

// Action is what to do with a request.
type Action int

const (
	// Fetch sends the request to the origin unconditionally.
	Fetch Action = iota
	// Serve answers from the stored response.
	Serve
	// Revalidate sends a conditional request built from the stored
	// response's validators (Decision.Conditional).
	Revalidate
	// ServeStaleAndRevalidate answers from the stored (stale) response and
	// refreshes it in the background (stale-while-revalidate), with
	// Decision.Conditional when the record has a validator, unconditionally
	// otherwise.
	ServeStaleAndRevalidate
	// GatewayTimeout answers 504: only-if-cached and nothing usable.
	GatewayTimeout
	// Pass sends the request to the origin without reading or writing the
	// cache (uncacheable method, bypass, the user's DoNotCache). A request
	// no-store does not Pass: RFC 9111 §5.2.1.5 lets a stored response
	// answer it; only Storable refuses the response.
	Pass
)

// Decision is the answer of Lookup.
type Decision struct {
	Action Action
	// Reason names why, for logs and Cache-Status detail: ReasonFresh,
	// ReasonStale, ReasonNoCacheRequest, ... (reason.go lists them all).
	Reason Reason
	// Age is the current age of the stored response (RFC 9111 §4.2.3).
	Age time.Duration
	// TTL is the remaining freshness (negative when stale; the largest
	// Duration when the record never expires).
	TTL time.Duration
	// Stale reports that the response served or revalidated is stale.
	Stale bool
	// Conditional holds If-None-Match (from ETag) and If-Modified-Since
	// (from Last-Modified) for Revalidate and ServeStaleAndRevalidate;
	// empty when the stored response has no validator (Lookup then says
	// Fetch instead of Revalidate).
	Conditional Validators
}

// Validators are the fields of a conditional request built from a stored
// response's validators (RFC 9110 §13.1.1, §13.1.3; RFC 9111 §4.3.1). A
// plain struct rather than an http.Header: it is built on every
// revalidation, and a map costs allocations that two strings do not.
type Validators struct {
	// IfNoneMatch is the stored ETag, or "".
	IfNoneMatch string
	// IfModifiedSince is the stored Last-Modified, or "".
	IfModifiedSince string
}

// Empty reports whether there is no validator to send.
func (v Validators) Empty() bool { return v.IfNoneMatch == "" && v.IfModifiedSince == "" }

// Get returns the value of the field named (If-None-Match or
// If-Modified-Since, in any case), or "".
func (v Validators) Get(name string) string {
	switch {
	case strings.EqualFold(name, "If-None-Match"):
		return v.IfNoneMatch
	case strings.EqualFold(name, "If-Modified-Since"):
		return v.IfModifiedSince
	}
	return ""
}

// Len is the number of fields AddTo sets.
func (v Validators) Len() int {
	n := 0
	if v.IfNoneMatch != "" {
		n++
	}
	if v.IfModifiedSince != "" {
		n++
	}
	return n
}

// AddTo sets the fields in h, replacing those h had.
func (v Validators) AddTo(h http.Header) {
	if v.IfNoneMatch != "" {
		h["If-None-Match"] = []string{v.IfNoneMatch}
	}
	if v.IfModifiedSince != "" {
		h["If-Modified-Since"] = []string{v.IfModifiedSince}
	}
}

// Store is the answer of Storable.
type Store struct {
	// OK reports whether the response may be stored.
	OK bool
	// Reason names why not (or ReasonStored): ReasonNoStore,
	// ReasonPrivate, ReasonStatus, ... (reason.go lists them all).
	Reason Reason
	// Expires is the end of freshness; zero means never.
	Expires time.Time
	// StaleUntil is the end of the stale-if-error / stale-while-revalidate
	// window; zero means none.
	StaleUntil time.Time
	// Revalidate makes every use go to the origin first (no-cache,
	// expire immediately, always-revalidate).
	Revalidate bool
	// TTL is how long the backend should keep the record: through Expires
	// and StaleUntil, then KeepStale when a validator exists, or
	// KeepStaleUnvalidated's time when none does (keep.go). Zero means
	// forever.
	TTL time.Duration
	// Header is the response header to store: hop-by-hop fields, fields
	// named in Connection and in qualified no-cache / private removed.
	Header http.Header
	// Vary is the list of field names from Vary (lower case, sorted, no
	// duplicates); nil when the response does not vary.
	Vary []string
	// OnlyDate is set by Freshen when the 304 (or HEAD response) gave no
	// stored field a new value but Date; NeedsRewrite then need not
	// compare the headers. False when unknown.
	OnlyDate bool
}

// Lookup decides how to answer req given the stored response rec (nil when
// nothing is stored) at time now. It applies request directives (RFC 9111
// §5.2.1), Controls, freshness (§4.2), must-revalidate, no-cache, the user's
// AlwaysRevalidate, stale-while-revalidate and only-if-cached. A partial
// rec (a 206) is a candidate only for a GET range wholly within it (§3.3);
// for any other request Lookup says Fetch with ReasonPartial, and
// PartialFor tells what the stored part can still contribute.
func (p *Policy) Lookup(req *http.Request, ctl Controls, rec *models.Response, now time.Time) Decision {
	return p.lookup(req, ctl, rec, nil, now)
}

// Storable decides whether resp, received for req, may be stored, and
// computes its expiry. rec is the response stored for req, nil when there is
// none: a response to HEAD never replaces one. reqTime and respTime are when
// the request was sent and the response received. Besides RFC 9111 §3 it
// applies the Policy's own refusals, in this order and only to a response
// RFC 9111 lets it store: Filter, the HEAD rule and MaxBodySize.
func (p *Policy) Storable(req *http.Request, ctl Controls, rec *models.Response, resp *http.Response, reqTime, respTime time.Time) Store {
	st := p.storable(req, ctl, resp, reqTime, respTime, false)
	if !st.OK {
		return st
	}
	if r := p.ownRefusal(req, rec, resp); r != "" {
		return Store{Reason: r}
	}
	return st
}

// Freshen merges a 304 (or, for HEAD, a 200 without body) received while
// revalidating rec into a new record (RFC 9111 §4.3.4, §4.3.5): header
// fields are updated except the ones the RFC keeps, and freshness is
// recomputed with Storable's RFC 9111 rules on the merged response (Filter,
// MaxBodySize and the HEAD rule do not apply: the body is the stored one,
// already accepted). It returns nil when the response does not select rec
// (ETag or Last-Modified mismatch, or another status), in which case rec
// must not be used. Otherwise the
// returned record answers the request, and the Store says whether to keep
// it: when Store.OK is false (say the 304 carried no-store) the record is
// served once and not stored, and the transport should delete the old one.
// What is stored is the returned record with Store.Header: the two headers
// differ only under StripSetCookie, when the 304 set cookies, which the
// returned record carries for this client alone. rec is not modified. The
// returned record shares the value slices of a 304's header (a 304 is read
// and discarded; copying it would cost an allocation per field): do not
// modify them afterwards. The returned record's Header is a new map, with
// room for two more fields (a cache adds Age and Cache-Status when it
// serves it), which the caller may change when it stores the record with
// neither header.
func (p *Policy) Freshen(req *http.Request, ctl Controls, rec *models.Response, resp *http.Response, reqTime, respTime time.Time) (*models.Response, Store) {
	return p.freshen(req, ctl, rec, resp, reqTime, respTime)
}

// StaleIfError reports whether rec may be served stale at now because the
// origin answered status (0 for a transport error), per RFC 5861 §4 and the
// user's StaleIfErrorWindow, and the request's own directives. A status
// counts as an error when it is in StaleIfErrorCodes (default 500, 502,
// 503, 504): the transport may pass every status it receives, and gets
// false for the ones that are not errors.
func (p *Policy) StaleIfError(req *http.Request, rec *models.Response, status int, now time.Time) bool {
	return p.staleIfError(req, rec, status, now)
}

// Age returns the current age of rec at now (RFC 9111 §4.2.3), used for the
// Age header of every response served from the cache.
func Age(rec *models.Response, now time.Time) time.Duration { return age(rec, now) }

// NotModified reports whether the caller's own conditional request
// (If-None-Match, If-Modified-Since) is satisfied by rec, so that the cache
// answers 304 itself (RFC 9111 §4.3.2, RFC 9110 §13.2.2). If-Modified-Since
// is compared with the stored Last-Modified or, without one, the stored
// Date or, without one, the time rec was received (§4.3.2).
func NotModified(req *http.Request, rec *models.Response) bool { return notModified(req, rec) }

// Invalidations returns the URLs to invalidate after resp answered req with
// an unsafe or unknown method (RFC 9111 §4.4): the target URI, and Location
// and Content-Location when they have the same origin. It returns nil for
// safe methods and error responses.
func Invalidations(req *http.Request, resp *http.Response) []*url.URL {
	return invalidations(req, resp)
}

// Cacheable reports whether req's method is one this Policy caches.
func (p *Policy) Cacheable(method string) bool { return p.cacheable(method) }
