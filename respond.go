package cachedhttp

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"time"
	"unsafe"

	"github.com/cachedhttp/cachedhttp/models"
	"github.com/cachedhttp/cachedhttp/policy"
)

// This file builds the responses the cache answers itself: a stored record
// served (serve), a 304 to the caller's own conditional request
// (notModified) and a 504 for only-if-cached with nothing usable
// (gatewayTimeout).

// serve builds the caller's response from a stored record. This is the hit
// path: it clones the stored header once, with room for Age and
// Cache-Status, and allocates the body reader and its Info together.
func (t *Transport) serve(req *http.Request, rec *models.Response, now time.Time, st status, key string, stale bool) *http.Response {
	return t.serveHeader(req, rec, nil, now, st, key, stale, false)
}

// serveHeader is serve; with owned, rec.Header is the caller's to keep (a
// record built for this response alone, shared with nothing stored or
// cached), and becomes the response's header instead of a copy of it. dec,
// when not nil, is rec's decoded-record cache entry (decodedRec.cloneHeader).
func (t *Transport) serveHeader(req *http.Request, rec *models.Response, dec *decodedRec, now time.Time, st status, key string, stale, owned bool) *http.Response {
	age := st.age
	if !st.ageKnown {
		age = policy.Age(rec, now)
	}
	if policy.NotModified(req, rec) {
		return notModified(req, rec, age, st, key, stale)
	}
	// One allocation holds the response and its body.
	s := &struct {
		resp http.Response
		body hitBody
	}{}
	hb := &s.body
	var h http.Header
	switch {
	case owned:
		h = rec.Header
		delete(h, "Age")
	case dec != nil:
		h = dec.cloneHeader(hb.vals[:])
	default:
		h = cloneHeader(rec.Header)
	}
	ageSec := int64(age / time.Second)
	if m := dec.stamped(st, ageSec); m != nil {
		hb.spare = m.vals
	} else {
		// The two values are written into hb.text, which nothing writes
		// again: they cost no allocation of their own.
		hb.spare = formatStamp(hb.text[:0], st, ageSec)
	}
	h["Age"] = hb.spare[0:1:1]
	cs := hb.spare[1:2:2]
	if dec == nil || dec.cacheStatus {
		// An upstream cache's members come first (RFC 9211 §2).
		if up := h["Cache-Status"]; len(up) > 0 {
			cs = append(up[:len(up):len(up)], hb.spare[1])
		}
	}
	h["Cache-Status"] = cs
	resp := &s.resp
	*resp = http.Response{
		Status:        statusLine(rec.StatusCode),
		StatusCode:    rec.StatusCode,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		ContentLength: int64(len(rec.Body)),
		Request:       req,
		Body:          hb,
	}
	if rec.Proto != "" {
		resp.Proto, resp.ProtoMajor, resp.ProtoMinor = rec.Proto, rec.ProtoMajor, rec.ProtoMinor
	}
	if rec.Trailer != nil {
		resp.Trailer = rec.Trailer.Clone()
	}
	if req.Method != http.MethodHead {
		hb.r.Reset(rec.Body)
	} else {
		hb.r.Reset(nil)
	}
	if o, r := rangeFor(req, rec); o != rangeIgnore {
		partial(resp, hb, rec, o, r)
	} else if rec.StatusCode == http.StatusPartialContent {
		servePart(req, resp, hb, rec)
	}
	hb.info = CacheInfo{FromCache: true, Stale: stale || st.ttl < 0 && st.fwdStatus != http.StatusNotModified, Revalidated: st.fwdStatus == http.StatusNotModified,
		Created: rec.Created, Expires: rec.Expires, Key: key, CacheStatus: cs,
		Size: int64(len(rec.Body)), Expired: !rec.Expires.IsZero() && !now.Before(rec.Expires)}
	return resp
}

// cloneHeader copies h (without Age, which serve sets) into a new header
// whose value slices share one backing array, with room for two more fields.
func cloneHeader(h http.Header) http.Header {
	nv := 0
	for _, vv := range h {
		nv += len(vv)
	}
	sv := make([]string, nv)
	h2 := make(http.Header, len(h)+2)
	for k, vv := range h {
		if k == "Age" {
			continue
		}
		n := copy(sv, vv)
		h2[k] = sv[:n:n]
		sv = sv[n:]
	}
	return h2
}

var statusLines = func() map[int]string {
	m := make(map[int]string)
	for c := 100; c < 600; c++ {
		if txt := http.StatusText(c); txt != "" {
			m[c] = strconv.Itoa(c) + " " + txt
		}
	}
	return m
}()

// formatStamp writes the Age (ageSec) and Cache-Status (st) values into
// b's array and returns them, as strings of that array: nothing may write
// it again.
func formatStamp(b []byte, st status, ageSec int64) [2]string {
	b = strconv.AppendInt(b, ageSec, 10)
	n := len(b)
	b = st.appendTo(b)
	return [2]string{frozenString(b[:n]), frozenString(b[n:])}
}

// frozenString returns the bytes of b as a string without copying them. b
// must never be written again: its array is then the string's.
func frozenString(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// statusLine returns the Status of a response with code, without
// formatting it on the hit path.
func statusLine(code int) string {
	if code == http.StatusOK {
		return "200 OK" // most records: no map lookup
	}
	if s, ok := statusLines[code]; ok {
		return s
	}
	return strconv.Itoa(code) + " status code " + strconv.Itoa(code)
}

// notModified answers the caller's own conditional request from the cache
// (RFC 9111 §4.3.2): 304 with the fields a 200 would have carried that
// matter for it (RFC 9110 §15.4.5).
func notModified(req *http.Request, rec *models.Response, age time.Duration, st status, key string, stale bool) *http.Response {
	h := make(http.Header)
	for _, f := range []string{"Cache-Control", "Content-Location", "Date", "ETag", "Expires", "Vary", "Last-Modified"} {
		if v := rec.Header.Values(f); len(v) > 0 {
			h[http.CanonicalHeaderKey(f)] = append([]string(nil), v...)
		}
	}
	h.Set("Age", strconv.FormatInt(int64(age/time.Second), 10))
	setStatus(h, st)
	info := &CacheInfo{FromCache: true, Stale: stale, Created: rec.Created, Expires: rec.Expires, Key: key, CacheStatus: h.Values("Cache-Status")}
	return &http.Response{
		Status: "304 Not Modified", StatusCode: http.StatusNotModified,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Body: &infoBody{ReadCloser: http.NoBody, info: info}, Request: req,
	}
}

// gatewayTimeout answers only-if-cached when nothing usable is stored
// (RFC 9111 §5.2.1.7).
func gatewayTimeout(req *http.Request, l lookup) *http.Response {
	h := make(http.Header)
	h.Set("Content-Type", "text/plain; charset=utf-8")
	fwd := "uri-miss"
	if l.rec != nil && l.rec.StatusCode == http.StatusPartialContent {
		fwd = fwdPartial
	} else if l.rec != nil {
		fwd = "stale"
	} else if l.varyMiss {
		fwd = "vary-miss"
	}
	setStatus(h, status{fwd: fwd, detail: policy.ReasonOnlyIfCached})
	msg := "cachedhttp: only-if-cached and no usable stored response\n"
	return &http.Response{
		Status: "504 Gateway Timeout", StatusCode: http.StatusGatewayTimeout,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: h,
		ContentLength: int64(len(msg)), Request: req,
		Body: &infoBody{ReadCloser: io.NopCloser(bytes.NewReader([]byte(msg))), info: &CacheInfo{CacheStatus: h.Values("Cache-Status")}},
	}
}

// fwdReason names why the request went forward, for Cache-Status.
func fwdReason(l lookup, d policy.Decision) string {
	switch {
	case l.varyMiss:
		return "vary-miss"
	case l.rec == nil:
		return "uri-miss"
	case d.Reason == policy.ReasonPartial:
		return fwdPartial
	case d.Stale:
		return "stale"
	case d.Reason == policy.ReasonHeadOnly:
		return "miss"
	default:
		return "request"
	}
}

// detailOf returns the Cache-Status detail for a served decision.
func detailOf(d policy.Decision) policy.Reason {
	if d.Stale {
		return d.Reason
	}
	return ""
}

// ttlOf is rec's remaining freshness at now (zero when it never expires).
func ttlOf(rec *models.Response, now time.Time) time.Duration {
	if rec.Expires.IsZero() {
		return 0
	}
	return rec.Expires.Sub(now)
}
