package cachedhttp

import (
	"net/http"

	"github.com/cachedhttp/cachedhttp/policy"
)

// postAsGet returns the GET request a POST response may answer later, or
// nil: RFC 9110 §9.3.3 "responses to POST requests are only cacheable when
// they include explicit freshness information and a Content-Location header
// field that has the same value as the POST's target URI", and such a
// response "can be used to satisfy subsequent GET and HEAD requests"
// (RFC 9111 §4: a stored response is reused for the request whose key it
// was stored under, so it is stored under the GET key of that URI).
func postAsGet(req *http.Request, resp *http.Response) *http.Request {
	if req.Method != http.MethodPost || resp.StatusCode != http.StatusOK {
		return nil
	}
	cl := resp.Header.Get("Content-Location")
	if cl == "" {
		return nil
	}
	loc, err := req.URL.Parse(cl)
	if err != nil || loc.String() != req.URL.String() {
		return nil
	}
	cc := policy.ParseCacheControl(resp.Header)
	if !cc.MaxAge.Present && !cc.SMaxAge.Present && resp.Header.Get("Expires") == "" {
		return nil // no explicit freshness
	}
	g := req.Clone(req.Context())
	g.Method, g.Body, g.GetBody, g.ContentLength = http.MethodGet, nil, nil, 0
	return g
}

// storeForGet stores the response to a POST under the GET key of its
// Content-Location (see postAsGet), teeing its body as the caller reads it.
func (t *Transport) storeForGet(g *http.Request, resp *http.Response, fwd string) *http.Response {
	key, err := t.key(g, nil)
	if err != nil {
		setStatus(resp.Header, status{fwd: fwd, fwdStatus: resp.StatusCode})
		return resp
	}
	l := lookup{primary: key, key: key, gen: t.wb.generation(key)}
	now := t.now()
	return t.store(g, resp, l, controls(g.Context()), now, now, fwd, nil)
}
