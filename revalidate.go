package cachedhttp

import (
	"net/http"
	"time"

	"github.com/cachedhttp/cachedhttp/models"
	"github.com/cachedhttp/cachedhttp/policy"
)

// This file uses stored responses that are no longer fresh: revalidation
// with a conditional request (RFC 9111 §4.3), freshening by a HEAD response
// (§4.3.5), and serving stale when the origin fails (RFC 5861 §4).

// revalidate sends a conditional request built from the stored record; a
// 304 freshens and serves it (RFC 9111 §4.3.3, §4.3.4).
//
// reqTime is RFC 9111 §4.2.3's request_time: the clock as the caller read
// it just before (for its lookup).
func (t *Transport) revalidate(req *http.Request, body []byte, l lookup, ctl policy.Controls, d policy.Decision, reqTime time.Time) (*http.Response, error) {
	t.stats.revalidations.Add(1)
	creq := conditionalRequest(req, d.Conditional)
	if len(body) > 0 {
		creq = withBody(creq, body)
	}
	resp, err := t.send(creq)
	fwd := fwdReason(l, d)
	if stale, ok := t.staleOnError(req, l, resp, err, fwd); ok {
		return stale, nil
	}
	if err != nil {
		return nil, err
	}
	respTime := t.now()
	if resp.StatusCode != http.StatusNotModified {
		resp.Request = req
		t.headFreshen(req, ctl, l, resp, reqTime, respTime)
		return t.store(req, resp, l, ctl, reqTime, respTime, fwd, nil), nil
	}
	drain(resp)
	rec, st := t.pol.Freshen(req, ctl, l.rec, resp, reqTime, respTime)
	if rec == nil {
		// The 304 does not select the stored response: ask again,
		// unconditionally.
		return t.forward(req, body, lookup{primary: l.primary, key: l.key, vary: l.vary, gen: l.gen}, ctl, fwd, nil)
	}
	stored := false
	switch {
	case !st.OK:
		t.deleteKeys(req.Context(), l.key)
	case policy.NeedsRewrite(l.rec, rec, st):
		if t.wb.enqueue(l.primary, l.gen, write{key: l.key, rec: storedRecord(rec, st), ttl: st.TTL}) {
			t.stats.stores.Add(1)
			stored = true
		}
	default:
		// Only Date moved on a record revalidated at every use: the
		// stored one answers the next request exactly as this one
		// would, so it is not written again (and not reported stored).
		t.stats.unchanged.Add(1)
	}
	// Freshen built rec's header for this response; unless the write
	// behind holds it now, the caller gets it without another copy.
	return t.serveHeader(req, rec, nil, respTime, status{fwd: fwd, fwdStatus: http.StatusNotModified, ttl: ttlOf(rec, respTime), stored: stored}, l.key, false, !stored), nil
}

// conditionalRequest returns a shallow copy of req with its own header: the
// caller's fields and the validators v (RFC 9111 §4.3.1). Nothing else of
// req is changed by sending it, so nothing else is copied (req.Clone would
// copy the URL, the trailer and the other fields as well).
func conditionalRequest(req *http.Request, v policy.Validators) *http.Request {
	// One allocation holds the request and the validators' value slices.
	c := &struct {
		req  http.Request
		vals [2]string
	}{req: *req, vals: [2]string{v.IfNoneMatch, v.IfModifiedSince}}
	h := make(http.Header, len(req.Header)+v.Len())
	for k, vv := range req.Header {
		h[k] = vv
	}
	if v.IfNoneMatch != "" {
		h["If-None-Match"] = c.vals[0:1:1]
	}
	if v.IfModifiedSince != "" {
		h["If-Modified-Since"] = c.vals[1:2:2]
	}
	c.req.Header = h
	return &c.req
}

// staleOnError answers with the stored record, stale, when the origin failed
// (err) or answered an error status (policy's StaleIfErrorCodes) and
// stale-if-error allows it (RFC 5861 §4); the origin's response is then
// drained and discarded.
func (t *Transport) staleOnError(req *http.Request, l lookup, resp *http.Response, err error, fwd string) (*http.Response, bool) {
	if l.rec == nil {
		return nil, false
	}
	code := 0
	if err == nil {
		code = resp.StatusCode
	}
	if !t.pol.ErrorStatus(code) {
		return nil, false // the usual case: no clock read
	}
	now := t.now()
	if !t.pol.StaleIfError(req, l.rec, code, now) {
		return nil, false
	}
	if resp != nil {
		drain(resp)
	}
	t.stats.staleErrors.Add(1)
	return t.serve(req, l.rec, now, status{fwd: fwd, fwdStatus: code, ttl: ttlOf(l.rec, now), detail: policy.ReasonStaleIfError}, l.key, true), true
}

// headFreshen applies RFC 9111 §4.3.5: a 200 response to HEAD freshens the
// stored GET response it matches.
func (t *Transport) headFreshen(req *http.Request, ctl policy.Controls, l lookup, resp *http.Response, reqTime, respTime time.Time) {
	if req.Method != http.MethodHead || l.rec == nil || resp.StatusCode != http.StatusOK {
		return
	}
	if rec, st := t.pol.Freshen(req, ctl, l.rec, resp, reqTime, respTime); rec != nil && st.OK {
		t.wb.enqueue(l.primary, l.gen, write{key: l.key, rec: storedRecord(rec, st), ttl: st.TTL})
	}
}

// storedRecord is the record Freshen returned as it is stored: with
// Store.Header, which lacks the cookies a 304 set for this client alone
// (policy.Policy.StripSetCookie) and is otherwise the record's own.
func storedRecord(rec *models.Response, st policy.Store) *models.Response {
	out := *rec
	out.Header = st.Header
	return &out
}
