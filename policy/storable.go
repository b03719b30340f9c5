package policy

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/cachedhttp/cachedhttp/models"
)

// hopByHop are the fields a cache never stores (RFC 9111 §3.1, RFC 9110
// §7.6.1), besides those named in Connection.
var hopByHop = [...]string{
	"Connection", "Keep-Alive", "Proxy-Connection", "Te", "Transfer-Encoding",
	"Upgrade", "Proxy-Authenticate", "Proxy-Authorization", "Trailer",
}

// exchange is a request and the response it received, read once for the
// questions Storable asks.
type exchange struct {
	method   string
	url      *url.URL
	reqH     http.Header
	code     int         // the response's status code
	header   http.Header // the response's header
	cc       Directives  // the response's (responseDirectives); empty under IgnoreCacheControl
	targeted bool        // cc comes from a targeted field (RFC 9213)
	vary     []string    // Vary's field names (varyNames)
	varyStar bool        // Vary contains "*"
	rule     Expiry      // first matching Rule, else Policy.Expire
	user     Expiry      // Controls.Expire, else rule
	lifetime time.Duration
	explicit bool // the response gives its own lifetime (§4.2.1)
}

// newExchange reads req (resp.Request when nil) and resp once.
func (p *Policy) newExchange(req *http.Request, ctl Controls, resp *http.Response, respTime time.Time) exchange {
	if req == nil {
		req = resp.Request
	}
	// The response's fields, not resp itself: an exchange's contents flow
	// into Store, and resp (Freshen's merged response) stays on the stack.
	x := exchange{method: requestMethod(req, resp), code: resp.StatusCode, header: resp.Header}
	if req != nil {
		x.url, x.reqH = req.URL, req.Header
	}
	x.rule = p.ruleExpiry(x.url)
	x.user = ctl.Expire
	if x.user == Unset {
		x.user = x.rule
	}
	x.cc, x.targeted = p.responseDirectives(resp.Header)
	if !p.IgnoreCacheControl {
		x.lifetime, x.explicit = explicitLifetime(resp.Header, &x.cc, p.Shared, !x.targeted, respTime)
	}
	x.vary, x.varyStar = varyNames(resp.Header)
	return x
}

// storable implements Storable's RFC 9111 part (Freshen uses it alone): may
// the response be stored at all, until when is it fresh, must every use
// revalidate it, and how long is it kept.
//
// owned says resp.Header belongs to the policy (Freshen's merged header):
// the stored header is then made from it in place instead of a clone, and
// it holds no hop-by-hop field already (mergeHeader leaves them out of the
// stored header, which was stored without them).
func (p *Policy) storable(req *http.Request, ctl Controls, resp *http.Response, reqTime, respTime time.Time, owned bool) Store {
	if resp == nil {
		return Store{Reason: ReasonNoResponse}
	}
	x := p.newExchange(req, ctl, resp, respTime)
	if r := p.storeRefusal(&x, ctl); r != "" {
		return Store{Reason: r}
	}
	f, r := p.freshUntil(&x, ctl, reqTime, respTime)
	if r != "" {
		return Store{Reason: r}
	}
	st := Store{OK: true, Reason: ReasonStored, Revalidate: p.storedRevalidate(x.header, &x.cc, f), Vary: x.vary}
	if !f.never {
		st.Expires = f.at
		st.StaleUntil, st.TTL = p.keep(resp.Header, &x.cc, f.at, respTime)
		if st.TTL <= 0 {
			// Stale at once, no validator, no stale window: it could never
			// be used.
			return Store{Reason: ReasonStaleNoValidator}
		}
	}
	st.Header = p.storedHeader(resp.Header, &x.cc, owned)
	return st
}

// storeRefusal answers "may the response be stored at all?" (RFC 9111 §3,
// and the user's DoNotCache): why not, or "" when it may.
func (p *Policy) storeRefusal(x *exchange, ctl Controls) Reason {
	switch {
	case ctl.Bypass:
		return ReasonBypass
	case !p.cacheable(x.method):
		// §3: "the request method is understood by the cache".
		return ReasonMethod
	case !recordStatus(x.code):
		return ReasonStatus
	case x.code == http.StatusPartialContent && partialRefusal(x) != "":
		return ReasonPartialContent
	case ParseCacheControl(x.reqH).NoStore:
		// §5.2.1.5: "a cache MUST NOT store any part of either this
		// request or any response to it".
		return ReasonNoStoreRequest
	case x.user == DoNotCache:
		return ReasonDoNotCache
	case x.varyStar:
		// §4.1: a Vary containing "*" "always fails to match", so
		// storing it is useless.
		return ReasonVaryStar
	}
	if r := noStoreRefusal(x.code, &x.cc); r != "" {
		return r
	}
	if r := p.sharedRefusal(x.reqH, x.header, &x.cc); r != "" {
		return r
	}
	return p.statusRefusal(representationStatus(x.code), &x.cc, x.explicit || x.user != Unset && isRedirect(x.code, x.header))
}

// representationStatus is the status whose storage rules apply to a
// response with code: a 206 carries part of a 200 response, which §3.3
// lets a cache store "as if it were an incomplete 200 (OK) response", so
// the 200's rules (and Policy.Codes' word on 200) apply to it.
func representationStatus(code int) int {
	if code == http.StatusPartialContent {
		return http.StatusOK
	}
	return code
}

// isRedirect reports a redirection with a target (RFC 9110 §15.4). When the
// user's own expiry applies to it (session expiry, URL rule, per-request
// ExpireAfter), it is stored like any response with explicit freshness, so
// that a repeated request replays the whole chain from the cache, as
// requests-cache aliases every hop of a redirect chain.
func isRedirect(code int, h http.Header) bool {
	switch code {
	case 301, 302, 303, 307, 308:
		return value(h, "Location") != ""
	}
	return false
}

// recordStatus reports whether a response with status code may become a
// record: §3 wants "the response status code is final"; a 304 is the
// answer to a revalidation (Freshen, §4.3.3), not a response of its own. A
// 206 becomes a partial record only on partialRefusal's terms (§3.3).
func recordStatus(code int) bool {
	return code >= 200 && code <= 999 && code != http.StatusNotModified
}

// noStoreRefusal applies the response's no-store (§5.2.2.5) and
// must-understand (§5.2.2.3), which overrides it.
func noStoreRefusal(code int, cc *Directives) Reason {
	if cc.MustUnderstand {
		// §5.2.2.3: "a cache ... MUST NOT store a response with this
		// directive if it does not understand the status code"; one that
		// does ignores no-store.
		if !understoodStatus(code) {
			return ReasonMustUnderstand
		}
		return ""
	}
	if cc.NoStore {
		// §5.2.2.5: "a cache MUST NOT store any part of either the
		// immediate request or the response".
		return ReasonNoStore
	}
	return ""
}

// statusRefusal applies the status codes the user allows (Policy.Codes)
// or else §3: a cache stores a response only if it "contains at least one
// of the following: a public response directive; a private response
// directive, if the cache is not shared; an Expires header field; a max-age
// response directive; if the cache is shared: an s-maxage response
// directive; ...; or a status code that is defined as heuristically
// cacheable". explicit covers Expires, max-age and (shared) s-maxage. So a
// 301 or 308 may be stored on heuristics (RFC 9110 §15.1), and a 302, 303
// or 307 only when the response says so.
func (p *Policy) statusRefusal(code int, cc *Directives, explicit bool) Reason {
	if p.Codes != nil {
		if !slices.Contains(p.Codes, code) {
			return ReasonStatus
		}
		return ""
	}
	private := cc.Private || len(cc.PrivateFields) > 0
	if heuristicallyCacheable(code) || explicit || cc.Public || !p.Shared && private {
		return ""
	}
	return ReasonStatus
}

// ownRefusal answers "does this cache refuse what RFC 9111 lets it store?":
// the user's Filter, a HEAD response where a response is stored (rec), and
// a declared body larger than MaxBodySize.
func (p *Policy) ownRefusal(req *http.Request, rec *models.Response, resp *http.Response) Reason {
	switch {
	case p.Filter != nil && !p.Filter(resp):
		return ReasonFilter
	case requestMethod(req, resp) == http.MethodHead && rec != nil && !rec.IsVaryIndex():
		// A HEAD response has no body: it must not replace a stored
		// response, which it may freshen instead (§4.3.5).
		return ReasonHead
	case p.MaxBodySize > 0 && resp.ContentLength > p.MaxBodySize:
		return ReasonTooLarge
	}
	return ""
}

// requestMethod is the method of req, else of resp.Request; GET when unset.
func requestMethod(req *http.Request, resp *http.Response) string {
	if req == nil {
		req = resp.Request
	}
	if req == nil || req.Method == "" {
		return http.MethodGet
	}
	return req.Method
}

// storedHeader returns h without hop-by-hop fields, fields named in
// Connection (§3.1), fields named by a qualified no-cache (§5.2.2.4) and, in
// a shared cache, by a qualified private (§5.2.2.7) and, with
// StripSetCookie, Set-Cookie (shared.go). Unless owned, it works on a
// clone; owned (Freshen's merged header) has no hop-by-hop field to strip.
func (p *Policy) storedHeader(h http.Header, cc *Directives, owned bool) http.Header {
	out := h
	if !owned {
		out = endToEnd(h)
	}
	for _, f := range cc.NoCacheFields {
		out.Del(f)
	}
	if p.Shared {
		for _, f := range cc.PrivateFields {
			out.Del(f)
		}
		if p.StripSetCookie {
			stripSetCookie(out)
		}
	}
	return out
}

// endToEnd returns a copy of h without hop-by-hop fields and those named in
// Connection (never nil). Without Connection, the usual case, it copies
// what it keeps in one pass, as http.Header.Clone would (nil values stay
// nil), instead of cloning everything and deleting each hop-by-hop name.
func endToEnd(h http.Header) http.Header {
	if _, ok := h["Connection"]; ok {
		out := h.Clone()
		stripHopByHop(out)
		return out
	}
	nv := 0
	for _, vv := range h {
		nv += len(vv)
	}
	sv := make([]string, nv)
	out := make(http.Header, len(h))
	for k, vv := range h {
		switch {
		case isHopByHop(k):
			continue
		case vv == nil:
			out[k] = nil
			continue
		}
		n := copy(sv, vv)
		out[k] = sv[:n:n]
		sv = sv[n:]
	}
	return out
}

// isHopByHop reports whether name is one of hopByHop.
func isHopByHop(name string) bool {
	switch name {
	case "Connection", "Keep-Alive", "Proxy-Connection", "Te", "Transfer-Encoding",
		"Upgrade", "Proxy-Authenticate", "Proxy-Authorization", "Trailer":
		return true
	}
	return false
}

// stripHopByHop removes hop-by-hop fields and those named in Connection.
func stripHopByHop(h http.Header) {
	for _, v := range h["Connection"] {
		for f := range strings.SplitSeq(v, ",") {
			if f = strings.TrimSpace(f); f != "" {
				h.Del(f)
			}
		}
	}
	for _, f := range hopByHop {
		delete(h, f)
	}
}

// varyNames returns the lower-case, sorted, de-duplicated field names of
// Vary, and whether it contains "*".
func varyNames(h http.Header) (names []string, star bool) {
	for _, v := range h["Vary"] {
		for f := range strings.SplitSeq(v, ",") {
			f = strings.ToLower(strings.TrimSpace(f))
			switch f {
			case "":
				continue
			case "*":
				star = true
			}
			names = append(names, f)
		}
	}
	if star {
		return nil, true
	}
	slices.Sort(names)
	return slices.Compact(names), false
}
