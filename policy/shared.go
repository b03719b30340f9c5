package policy

import (
	"net/http"
	"slices"
)

// This file holds what only a shared cache (Policy.Shared) must do: the
// response directives it alone obeys (private), requests with credentials
// (RFC 9111 §3.5) and responses that set cookies.
//
// Set-Cookie. RFC 9111 §7.3 notes that "the Set-Cookie response header
// field [COOKIE] does not inhibit caching; a cacheable response with a
// Set-Cookie header field can be (and often is) used to satisfy subsequent
// requests to caches", leaving it to servers to "emit appropriate
// Cache-Control response header fields". A shared cache that relied on
// that would hand one client's session to the next whenever an origin
// forgot. So a shared cache here never replays Set-Cookie: by default it
// does not store a response that would keep it (ReasonSetCookie), which
// RFC 9111 always allows; with StripSetCookie it stores the response
// without the field (a departure from §3.1's "all received response header
// fields", chosen by the user), and the client that received the response
// still gets its cookie. A qualified no-cache="Set-Cookie" or
// private="Set-Cookie" already keeps the field out of the record, so such
// a response is stored. Lookup does not serve a record that still carries
// Set-Cookie (one written before this rule, or by a private cache sharing
// the store). A private cache serves one client and stores Set-Cookie as
// received.

// setCookieFields are the fields that set cookies: Set-Cookie (RFC 6265)
// and the obsolete Set-Cookie2 (RFC 2965).
var setCookieFields = [...]string{"Set-Cookie", "Set-Cookie2"}

// hasSetCookie reports whether h carries a field that sets a cookie.
func hasSetCookie(h http.Header) bool {
	for _, f := range setCookieFields {
		if len(h[f]) > 0 {
			return true
		}
	}
	return false
}

// stripSetCookie removes the fields that set cookies from h.
func stripSetCookie(h http.Header) {
	for _, f := range setCookieFields {
		delete(h, f)
	}
}

// keepsSetCookie reports whether storing a response with header h and
// directives cc would keep a field that sets a cookie: one is present and
// not named by a qualified no-cache or private.
func keepsSetCookie(h http.Header, cc *Directives) bool {
	for _, f := range setCookieFields {
		if len(h[f]) > 0 && !slices.Contains(cc.NoCacheFields, f) && !slices.Contains(cc.PrivateFields, f) {
			return true
		}
	}
	return false
}

// sharedRefusal answers, for Storable, "must a shared cache refuse this
// response?": why, or "" when it may store it (or is not shared).
func (p *Policy) sharedRefusal(reqH, respH http.Header, cc *Directives) Reason {
	switch {
	case !p.Shared:
		return ""
	case cc.Private:
		// §5.2.2.7: the unqualified private "indicates that a shared cache
		// MUST NOT store the response".
		return ReasonPrivate
	case !authorizedUse(reqH, cc):
		return ReasonAuthorization
	case !p.StripSetCookie && keepsSetCookie(respH, cc):
		// §7.3: Set-Cookie "does not inhibit caching"; this cache does
		// not replay one client's cookie to another (see above).
		return ReasonSetCookie
	}
	return ""
}

// sharedUseRefusal answers, for Lookup, "must a shared cache not use this
// stored response (header h, directives cc) for a request with header
// reqH?": why, or "" when it may (or is not shared). Records stored by
// this cache pass already; these are records another configuration wrote,
// or a request keyed (by a custom key function) onto another's record.
func (p *Policy) sharedUseRefusal(reqH, h http.Header, cc *Directives) Reason {
	switch {
	case !p.Shared:
		return ""
	case !authorizedUse(reqH, cc):
		return ReasonAuthorization
	case hasSetCookie(h):
		return ReasonSetCookie
	}
	return ""
}

// authorizedUse applies RFC 9111 §3.5: "A shared cache MUST NOT use a
// cached response to a request with an Authorization header field ... to
// satisfy any subsequent request unless the response contains a
// Cache-Control field with a response directive ... that allows it to be
// stored by a shared cache", which are must-revalidate ("the cache MUST
// NOT reuse it without revalidation once stale", which §5.2.2.2 does),
// public and s-maxage. In a shared cache they count from a targeted field
// too, when one decides (RFC 9213 §2.2).
func authorizedUse(reqH http.Header, cc *Directives) bool {
	return value(reqH, "Authorization") == "" || cc.MustRevalidate || cc.Public || cc.SMaxAge.Present
}
