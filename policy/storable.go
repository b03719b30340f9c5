package policy

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// defaultKeepStale is how long a stale response with a validator is kept
// when Policy.KeepStale is zero.
const defaultKeepStale = 24 * time.Hour

// hopByHop are the fields a cache never stores (RFC 9111 §3.1, RFC 9110
// §7.6.1), besides those named in Connection.
var hopByHop = [...]string{
	"Connection", "Keep-Alive", "Proxy-Connection", "Te", "Transfer-Encoding",
	"Upgrade", "Proxy-Authenticate", "Proxy-Authorization", "Trailer",
}

// storable implements Storable (RFC 9111 §3 and the user's expiry rules).
func (p *Policy) storable(req *http.Request, ctl Controls, resp *http.Response, reqTime, respTime time.Time) Store {
	if resp == nil {
		return Store{Reason: "no-response"}
	}
	if req == nil {
		req = resp.Request
	}
	method := http.MethodGet
	var (
		u    *url.URL
		reqH http.Header
	)
	if req != nil {
		if req.Method != "" {
			method = req.Method
		}
		u, reqH = req.URL, req.Header
	}
	if ctl.Bypass {
		return Store{Reason: "bypass"}
	}
	// §3: the request method is understood by the cache.
	if !p.cacheable(method) {
		return Store{Reason: "method"}
	}
	code := resp.StatusCode
	// §3: the response status code is final; 206 is never combined or
	// served as a whole (§3.3, §3.4), and a 304 is a revalidation answer
	// (Freshen), not a record.
	if code < 200 || code > 999 || code == http.StatusPartialContent || code == http.StatusNotModified {
		return Store{Reason: "status"}
	}
	// §5.2.1.5: no-store in the request forbids storing the response.
	if reqCC := ParseCacheControl(reqH); reqCC.NoStore {
		return Store{Reason: "no-store-request"}
	}
	ruleExp := p.ruleExpiry(u)
	user := ctl.Expire
	if user == Unset {
		user = ruleExp
	}
	if user == DoNotCache {
		return Store{Reason: "do-not-cache"}
	}
	var cc Directives
	if !p.IgnoreCacheControl {
		cc = ParseCacheControl(resp.Header)
	}
	vary, star := varyNames(resp.Header)
	if star {
		// §4.1: Vary: * never matches, so storing it is useless.
		return Store{Reason: "vary-star"}
	}
	if cc.MustUnderstand {
		// §5.2.2.3: store only when the status code's caching rules are
		// understood, and then ignore no-store.
		if !understoodStatus(code) {
			return Store{Reason: "must-understand"}
		}
	} else if cc.NoStore {
		return Store{Reason: "no-store"}
	}
	if p.Shared {
		// §5.2.2.7: unqualified private forbids shared storage.
		if cc.Private {
			return Store{Reason: "private"}
		}
		// §3.5: a request with Authorization is stored by a shared cache
		// only when the response explicitly allows it.
		if reqH.Get("Authorization") != "" && !cc.MustRevalidate && !cc.Public && !cc.SMaxAge.Present {
			return Store{Reason: "authorization"}
		}
	}
	var (
		lifetime time.Duration
		explicit bool
	)
	if !p.IgnoreCacheControl {
		lifetime, explicit = explicitLifetime(resp.Header, &cc, p.Shared, respTime)
	}
	if p.Codes != nil {
		if !slices.Contains(p.Codes, code) {
			return Store{Reason: "status"}
		}
	} else if !heuristicallyCacheable(code) && !explicit {
		// §3: a status code outside the heuristic set needs explicit
		// freshness.
		return Store{Reason: "status"}
	}

	var (
		expires    time.Time
		never      bool
		revalidate bool
	)
	fromUser := func(e Expiry) {
		switch {
		case e > 0:
			expires = respTime.Add(time.Duration(e))
		case e == NeverExpire:
			never = true
		default: // ExpireImmediately
			expires = respTime
			revalidate = true
		}
	}
	cia := correctedInitialAge(resp.Header, reqTime, respTime)
	switch {
	case ctl.Expire != Unset:
		fromUser(ctl.Expire)
	case p.IgnoreCacheControl:
		if ruleExp != Unset {
			fromUser(ruleExp)
		} else {
			never = true
		}
	case explicit:
		// §4.2.3: the response is fresh while lifetime > current_age, so
		// it stops being fresh at respTime + lifetime - corrected_initial_age.
		expires = respTime.Add(lifetime - cia)
	case ruleExp != Unset:
		fromUser(ruleExp)
	default:
		h, ok := heuristicLifetime(resp.Header, respTime)
		switch {
		case ok && (heuristicallyCacheable(code) || cc.Public):
			expires = respTime.Add(h - cia)
		case hasValidator(resp.Header):
			// No freshness at all, but a validator makes it worth a 304:
			// store it stale (§4.3.1).
			expires = respTime
		default:
			return Store{Reason: "no-freshness"}
		}
	}
	// The user's expire-immediately applies whatever the response says.
	if user == ExpireImmediately {
		expires, never, revalidate = respTime, false, true
	}
	// §5.2.2.4: unqualified no-cache: store, but validate before each use.
	if cc.NoCache || p.AlwaysRevalidate {
		revalidate = true
	}
	st := Store{OK: true, Reason: "stored", Revalidate: revalidate, Vary: vary}
	if !never {
		st.Expires = expires
		win := max(cc.StaleIfError.Duration(), cc.StaleWhileRevalidate.Duration(), p.StaleIfErrorWindow, p.StaleWhileRevalidate)
		end := expires
		if win > 0 {
			st.StaleUntil = expires.Add(win)
			end = st.StaleUntil
		}
		ttl := max(end.Sub(respTime), 0)
		if hasValidator(resp.Header) {
			keep := p.KeepStale
			if keep == 0 {
				keep = defaultKeepStale
			}
			ttl += max(keep, 0)
		}
		if ttl <= 0 {
			// Stale at once, no validator, no stale window: it could never
			// be used.
			return Store{Reason: "stale-no-validator"}
		}
		st.TTL = ttl
	}
	st.Header = storedHeader(resp.Header, &cc, p.Shared)
	return st
}

// storedHeader clones h without hop-by-hop fields, fields named in
// Connection (§3.1), fields named by a qualified no-cache (§5.2.2.4) and, in
// a shared cache, by a qualified private (§5.2.2.7).
func storedHeader(h http.Header, cc *Directives, shared bool) http.Header {
	out := h.Clone()
	if out == nil {
		out = make(http.Header)
	}
	stripHopByHop(out)
	for _, f := range cc.NoCacheFields {
		out.Del(f)
	}
	if shared {
		for _, f := range cc.PrivateFields {
			out.Del(f)
		}
	}
	return out
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
