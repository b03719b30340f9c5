package cachedhttp

import (
	"bytes"
	"io"
	"net/http"
	"strconv"

	"github.com/cachedhttp/cachedhttp/models"
	"github.com/cachedhttp/cachedhttp/policy"
)

// This file uses stored partial responses (RFC 9111 §3.3, §3.4): a 206
// stored as received, one record per key, with its Content-Range. The
// decisions are policy's (PartialFor, PartialFits, Combine); here are the
// exchanges:
//
//   - A GET whose range lies within the stored part is served from it: a
//     206 with the slice (servePart, from serve).
//   - A GET the part helps answer (a range that starts or ends within it,
//     or the whole representation when the part is a prefix or a suffix)
//     asks the origin only for the missing run, under If-Range with the
//     part's strong validator (fillPartial). A 206 of that run is teed into
//     the cache, combined with the stored part at its end (store, Combine),
//     and the caller gets the stored bytes and the new ones as one answer:
//     a 200 when it asked for the whole, its 206 otherwise. A 200 (the
//     representation changed, or the origin ignores Range) is the answer
//     and replaces the part.
//   - Every other request goes to the origin as it is (fwd=partial).

// servePart turns resp, built by serve from rec, a stored part, into the
// 206 that answers req with the bytes it asks for: policy.Lookup serves a
// part only to a range wholly within it (PartialServe).
func servePart(req *http.Request, resp *http.Response, hb *hitBody, rec *models.Response) {
	u := policy.PartialFor(req, rec)
	if u.Action != policy.PartialServe {
		return // never chosen by Lookup; the part is then served as stored
	}
	cr := policy.ContentRange{First: u.Want.First, Last: u.Want.Last, Length: u.Held.Length}
	resp.Header["Content-Range"] = []string{cr.String()}
	resp.Header["Content-Length"] = []string{strconv.FormatInt(cr.Size(), 10)}
	resp.ContentLength = cr.Size()
	if req.Method != http.MethodHead {
		off := cr.First - u.Held.First
		hb.r.Reset(rec.Body[off : off+cr.Size()])
	}
}

// fillPartial answers req when the stored response, l.rec, is a part that
// does not hold what req asks for (policy.ReasonPartial).
func (t *Transport) fillPartial(req *http.Request, body []byte, l lookup, ctl policy.Controls) (*http.Response, error) {
	t.stats.misses.Add(1)
	u := policy.PartialFor(req, l.rec)
	if u.Action != policy.PartialComplete {
		return t.forward(req, body, l, ctl, fwdPartial, nil)
	}
	// §3.3: "A cache MAY complete a stored incomplete response by making a
	// subsequent range request ... and combining the successful response
	// with the stored response"; If-Range makes the origin send the whole
	// new representation instead if the part is no longer of the current
	// one (RFC 9110 §13.1.5).
	sub := req.Clone(req.Context())
	sub.Header["Range"] = []string{u.Fetch.Header()}
	sub.Header["If-Range"] = []string{u.IfRange}
	reqTime := t.now()
	resp, err := t.send(withBody(sub, body))
	if err != nil {
		return nil, err
	}
	respTime := t.now()
	cr, fits := policy.PartialFits(u, l.rec.Header, resp)
	switch {
	case fits:
		out := t.store(sub, resp, l, ctl, reqTime, respTime, fwdPartial, nil)
		return joinParts(req, out, l.rec, u, cr), nil
	case resp.StatusCode == http.StatusPartialContent || resp.StatusCode == http.StatusRequestedRangeNotSatisfiable:
		// Not the run asked for, or not of the stored part's
		// representation (§3.4 combines only parts with the same strong
		// validator): ask for what the caller asked.
		drain(resp)
		return t.forward(req, body, l, ctl, fwdPartial, nil)
	}
	// A 200 is the whole current representation (the part was outdated,
	// or the origin ignores Range: RFC 9110 §14.2 "A server MAY ignore the
	// Range header field"); it answers the caller and replaces the part.
	// Any other status is the origin's answer to the caller as well.
	return t.store(sub, resp, l, ctl, reqTime, respTime, fwdPartial, nil), nil
}

// fwdPartial is Cache-Status's fwd for a request a stored part could not
// answer alone (RFC 9211 §2.2: "partial: The cache was able to select a
// partial response for the request, but it did not contain all of the
// requested ranges (or the request was for the complete response)").
const fwdPartial = "partial"

// joinParts builds the caller's answer from out, the origin's 206 of the
// run u.Fetch (cr) as store returned it (its body teed into the cache), and
// rec's stored bytes: a 200 with the whole representation when the caller
// asked for it, else a 206 of the caller's range.
func joinParts(req *http.Request, out *http.Response, rec *models.Response, u policy.PartialUse, cr policy.ContentRange) *http.Response {
	length := u.Held.Length
	if length < 0 {
		length = cr.Length
	}
	want := policy.ContentRange{First: u.Want.First, Last: u.Want.Last, Length: length}
	if want.Last < 0 {
		want.Last = cr.Last
	}
	held := u.Held
	var parts []io.Reader
	if u.Fetch.First > held.Last {
		// The run follows the part: the stored bytes from the caller's
		// first, then the new ones.
		parts = []io.Reader{bytes.NewReader(rec.Body[want.First-held.First:]), out.Body}
	} else {
		// The run precedes the part: the new bytes, then the stored ones
		// up to the caller's last.
		parts = []io.Reader{out.Body, bytes.NewReader(rec.Body[:want.Last-held.First+1])}
	}
	h := out.Header
	resp := &http.Response{
		Proto: out.Proto, ProtoMajor: out.ProtoMajor, ProtoMinor: out.ProtoMinor,
		Header: h, Trailer: out.Trailer, Request: req, ContentLength: want.Size(),
		TLS: out.TLS,
	}
	if u.Whole && want.Complete() {
		resp.StatusCode = http.StatusOK
		delete(h, "Content-Range")
	} else {
		resp.StatusCode = http.StatusPartialContent
		h["Content-Range"] = []string{want.String()}
	}
	resp.Status = statusLine(resp.StatusCode)
	h["Content-Length"] = []string{strconv.FormatInt(want.Size(), 10)}
	var info *CacheInfo
	if c, ok := out.Body.(infoCarrier); ok {
		info = c.cacheInfo()
	}
	resp.Body = &joinedBody{Reader: io.MultiReader(parts...), Closer: out.Body, info: info}
	return resp
}

// joinedBody is the body of an answer made of stored bytes and the
// origin's (teed) body; closing it closes the origin's.
type joinedBody struct {
	io.Reader
	io.Closer
	info *CacheInfo
}

func (b *joinedBody) cacheInfo() *CacheInfo { return b.info }

// combine returns the record to store for rec, a part just received for
// key: combined with the stored record l.rec when that is the record of
// key (policy.Combine), or nil when nothing is to be stored (rec is not a
// consistent part, or the combination exceeds WithMaxBodySize).
func (t *Transport) combine(l lookup, key string, rec *models.Response) *models.Response {
	var stored *models.Response
	if key == l.key {
		stored = l.rec
	}
	out := policy.Combine(stored, rec)
	if out != nil && t.maxBody > 0 && int64(len(out.Body)) > t.maxBody {
		return nil
	}
	return out
}
