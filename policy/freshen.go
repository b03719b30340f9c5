package policy

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cachedhttp/cachedhttp/models"
)

// freshen implements Freshen (RFC 9111 §4.3.3, §4.3.4, §4.3.5).
func (p *Policy) freshen(req *http.Request, ctl Controls, rec *models.Response, resp *http.Response, reqTime, respTime time.Time) (*models.Response, Store) {
	if rec == nil || resp == nil || rec.IsVaryIndex() {
		return nil, Store{Reason: ReasonNoRecord}
	}
	if req == nil {
		req = resp.Request
	}
	head := req != nil && req.Method == http.MethodHead
	switch {
	case resp.StatusCode == http.StatusNotModified:
		if !selects(rec.Header, resp.Header) {
			return nil, Store{Reason: ReasonValidatorMismatch}
		}
	case resp.StatusCode == http.StatusOK && head && rec.StatusCode == http.StatusOK:
		if !headSelects(rec, resp) {
			return nil, Store{Reason: ReasonValidatorMismatch}
		}
	default:
		return nil, Store{Reason: ReasonStatus}
	}
	// A 304 is read here and discarded by its caller: its values are
	// shared, not copied (Freshen's contract).
	merged, onlyDate := mergeHeader(rec.Header, resp.Header, resp.StatusCode == http.StatusNotModified)
	// The merged response storable reads (kept on the stack).
	synth := http.Response{
		StatusCode: rec.StatusCode,
		Proto:      rec.Proto, ProtoMajor: rec.ProtoMajor, ProtoMinor: rec.ProtoMinor,
		Header:  merged,
		Request: req,
	}
	st := p.storable(req, ctl, &synth, reqTime, respTime, true)
	st.OnlyDate = onlyDate
	out := new(models.Response)
	*out = *rec
	out.RequestTime, out.ResponseTime = reqTime, respTime
	if st.OK {
		out.Header = p.servedHeader(st.Header, resp.Header)
		out.Expires, out.StaleUntil, out.Revalidate = st.Expires, st.StaleUntil, st.Revalidate
	} else {
		// Served once, never stored: stale at once so that no one reuses it.
		cc, _ := p.responseDirectives(merged)
		out.Header = p.servedHeader(p.storedHeader(merged, &cc, true), resp.Header)
		out.Expires, out.StaleUntil, out.Revalidate = respTime, time.Time{}, true
	}
	return out, st
}

// servedHeader is the header of the record Freshen returns, built from the
// header to store: under StripSetCookie, the cookies the origin set in its
// 304 (fresh) go to the client that asked, once, and are never stored
// (shared.go). Otherwise it is the stored header itself.
func (p *Policy) servedHeader(stored, fresh http.Header) http.Header {
	if !p.Shared || !p.StripSetCookie || !hasSetCookie(fresh) {
		return stored
	}
	h := stored.Clone()
	for _, f := range setCookieFields {
		if v := fresh[f]; len(v) > 0 {
			h[f] = slices.Clone(v)
		}
	}
	return h
}

// mergeHeader returns stored updated with the fields of fresh (RFC 9111
// §3.2): each field of fresh replaces the stored one, except the
// hop-by-hop fields and those named in Connection (§3.1), Content-Length
// (§3.2 excludes it), and Content-Encoding, Content-Range and
// Transfer-Encoding, which describe how the stored body was received and
// processed (§3.2 allows a cache to keep them: the Go transport decodes
// gzip bodies itself, so a 304 saying "Content-Encoding: gzip" must not
// relabel a stored decoded body). onlyDate reports that no field but Date
// took a value it did not have.
//
// With share, the value slices of fresh are used as they are.
//
// The result is a new map sized for the stored fields and two more (Age
// and Cache-Status, which a cache adds when it serves it): a map that
// grows allocates again.
func mergeHeader(stored, fresh http.Header, share bool) (out http.Header, onlyDate bool) {
	var named []string // the fields Connection names, canonical
	for _, v := range fresh["Connection"] {
		for f := range strings.SplitSeq(v, ",") {
			if f = strings.TrimSpace(f); f != "" {
				named = append(named, http.CanonicalHeaderKey(f))
			}
		}
	}
	onlyDate = true
	// One pass over stored builds out (the fresh value where fresh
	// replaces a field, a copy of the stored one otherwise); a second pass
	// over fresh is needed only for its fields that stored lacks under
	// the same name.
	out = make(http.Header, len(stored)+2)
	// Most fields have one value: the backing array is sized for that and
	// grows (leaving the slices already cut where they are) if not.
	sv := make([]string, 0, len(stored))
	found := 0 // fields of fresh found in stored under the same name
	for k, vv := range stored {
		if fv, ok := fresh[k]; ok {
			found++
			if !keptOnMerge(k) && !slices.Contains(named, k) && !slices.Equal(vv, fv) {
				if k != "Date" {
					onlyDate = false
				}
				if !share {
					fv = slices.Clone(fv)
				}
				out[k] = fv
				continue
			}
		}
		if vv == nil {
			out[k] = nil // a nil value is kept as it is, as Clone does
			continue
		}
		n := len(sv)
		sv = append(sv, vv...)
		out[k] = sv[n:len(sv):len(sv)]
	}
	if found == len(fresh) {
		return out, onlyDate
	}
	for k, vs := range fresh {
		if _, ok := stored[k]; ok {
			continue // merged above
		}
		// A name not found in stored is put in canonical form first (a
		// 304 from a RoundTripper other than net/http's may not be), and
		// may then name a stored field.
		k = http.CanonicalHeaderKey(k)
		have, ok := stored[k]
		if keptOnMerge(k) || slices.Contains(named, k) {
			continue
		}
		if ok && slices.Equal(have, vs) {
			continue // out holds the same values already
		}
		if k != "Date" {
			onlyDate = false
		}
		if !share {
			vs = slices.Clone(vs)
		}
		out[k] = vs
	}
	return out, onlyDate
}

// keptOnMerge reports whether a stored field named k (canonical) is kept
// when a 304 or HEAD response carries it: the hop-by-hop fields (§3.1) and
// those of the stored body's framing and coding (§3.2; mergeHeader).
func keptOnMerge(k string) bool {
	switch k {
	case "Content-Length", "Content-Encoding", "Content-Range":
		return true
	}
	return isHopByHop(k)
}

// selects reports whether a 304 with header fresh selects the stored
// response with header stored (RFC 9111 §4.3.4): a strong ETag must match
// strongly, a weak one weakly; without ETag, Last-Modified must match.
// A 304 without any validator is taken as the answer to the conditional
// request this cache built from this very record, and selects it (§4.3.4
// only grants that when the stored response has no validator either;
// origins that omit validators from 304s are common and the request was
// for this record alone).
func selects(stored, fresh http.Header) bool {
	if et := value(fresh, "Etag"); et != "" {
		have := value(stored, "Etag")
		if have == "" {
			return false
		}
		if isWeak(et) {
			return weakMatch(et, have)
		}
		return strongMatch(et, have)
	}
	if lm := value(fresh, "Last-Modified"); lm != "" {
		return sameDate(lm, value(stored, "Last-Modified"))
	}
	return true
}

// headSelects reports whether a 200 response to HEAD may update the stored
// GET response (RFC 9111 §4.3.5): the ETag, Last-Modified and
// Content-Length it carries must agree with the stored ones.
func headSelects(rec *models.Response, resp *http.Response) bool {
	if et := value(resp.Header, "Etag"); et != "" {
		have := value(rec.Header, "Etag")
		if have == "" || !strongMatch(et, have) && !(isWeak(et) && weakMatch(et, have)) {
			return false
		}
	}
	if lm := value(resp.Header, "Last-Modified"); lm != "" && !sameDate(lm, value(rec.Header, "Last-Modified")) {
		return false
	}
	if cl := value(resp.Header, "Content-Length"); cl != "" {
		n, err := strconv.ParseInt(strings.TrimSpace(cl), 10, 64)
		if err != nil {
			return false
		}
		have := int64(len(rec.Body))
		if s := value(rec.Header, "Content-Length"); s != "" {
			if m, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil {
				have = m
			}
		}
		if n != have {
			return false
		}
	}
	return true
}

// sameDate compares two HTTP-dates as instants, or as text when either is
// invalid.
func sameDate(a, b string) bool {
	if b == "" {
		return false
	}
	ta, oka := ParseHTTPDate(a)
	tb, okb := ParseHTTPDate(b)
	if oka && okb {
		return ta.Equal(tb)
	}
	return a == b
}
