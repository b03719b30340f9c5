package policy

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cachedhttp/cachedhttp/models"
)

// This file decides what a cache does with partial content (RFC 9111 §3.3
// "Storing Incomplete Responses", §3.4 "Combining Partial Content"; RFC
// 9110 §14 and §15.3.7).
//
// A stored partial response is one record per key, as received: status
// 206, its Content-Range (one part, bytes unit) and the part's bytes. It
// answers only a GET whose range lies wholly within it (§3.3); other
// requests go to the origin, which, when the stored bytes help answer
// them, is asked only for the missing bytes, under If-Range (PartialFor).
// Parts that share a strong validator are combined (Combine); a combination
// that is the whole representation is stored as a complete 200. Two parts
// that neither overlap nor touch are not kept together: the newer wins.

// strongDateMargin is how long before Date a Last-Modified must lie for a
// cache to treat it as strong (RFC 9110 §8.8.2.2: "the presented
// Last-Modified time is at least 60 seconds before the Date value").
const strongDateMargin = 60 * time.Second

// StrongValidator returns the strong validator of the stored response
// header h, as an If-Range field value: its ETag when strong, else its
// Last-Modified when strong by RFC 9110 §8.8.2.2 (at least 60 seconds
// before Date); "" when it has none. §13.1.5: "A client MUST NOT generate
// an If-Range header field containing an entity tag that is marked as
// weak" nor one "containing an HTTP-date unless ... the date is a strong
// validator".
func StrongValidator(h http.Header) string {
	if et := value(h, "Etag"); et != "" {
		if isWeak(et) {
			return ""
		}
		return et
	}
	lm := value(h, "Last-Modified")
	if lm == "" || !strongDate(lm, h) {
		return ""
	}
	return lm
}

// strongDate reports whether the Last-Modified value lm of the response
// with header h is strong: Date is at least strongDateMargin after it.
func strongDate(lm string, h http.Header) bool {
	t, ok := ParseHTTPDate(lm)
	if !ok {
		return false
	}
	date, ok := ParseHTTPDate(value(h, "Date"))
	return ok && date.Sub(t) >= strongDateMargin
}

// SameStrongValidator reports whether two responses share a strong
// validator, the condition for combining their parts (RFC 9111 §3.4: "if
// they all share the same strong validator"): equal strong ETags by strong
// comparison (RFC 9110 §8.8.3.2), or, when neither has an ETag, equal
// Last-Modified dates that are strong in both.
func SameStrongValidator(a, b http.Header) bool {
	ea, eb := value(a, "Etag"), value(b, "Etag")
	if ea != "" || eb != "" {
		return ea != "" && eb != "" && strongMatch(ea, eb)
	}
	la, lb := value(a, "Last-Modified"), value(b, "Last-Modified")
	return la != "" && lb != "" && sameDate(la, lb) && strongDate(la, a) && strongDate(lb, b)
}

// IfRangeMatches evaluates an If-Range field value against the stored
// response header h (RFC 9110 §13.1.5): an entity tag matches by strong
// comparison only; an HTTP-date matches when it is strong (§8.8.2.2) and
// "exactly matches the Last-Modified field value".
func IfRangeMatches(ir string, h http.Header) bool {
	ir = strings.TrimSpace(ir)
	if strings.HasPrefix(ir, `"`) || strings.HasPrefix(ir, "W/") {
		etag := value(h, "Etag")
		return etag != "" && strongMatch(ir, etag)
	}
	lm := value(h, "Last-Modified")
	return lm != "" && ir == lm && strongDate(lm, h)
}

// PartialAction is what to do with a request whose stored response is
// partial (PartialFor).
type PartialAction int

const (
	// PartialForward sends the request to the origin as it is: the stored
	// part cannot help (a HEAD, a conditional request, an If-Range that
	// does not match, several ranges, bytes the part does not touch).
	PartialForward PartialAction = iota
	// PartialServe answers from the stored part: the request's range lies
	// wholly within it (RFC 9111 §3.3).
	PartialServe
	// PartialComplete asks the origin for the missing bytes only
	// (PartialUse.Fetch, under If-Range) and answers with the stored bytes
	// and the new ones (§3.3: "A cache MAY complete a stored incomplete
	// response by making a subsequent range request").
	PartialComplete
)

// Span is a run of bytes First..Last, inclusive; Last is -1 when it runs
// to the end of a representation of unknown length.
type Span struct{ First, Last int64 }

// Header formats s as a Range field value.
func (s Span) Header() string {
	b := append(make([]byte, 0, 48), "bytes="...)
	b = strconv.AppendInt(b, s.First, 10)
	b = append(b, '-')
	if s.Last >= 0 {
		b = strconv.AppendInt(b, s.Last, 10)
	}
	return string(b)
}

// PartialUse is the answer of PartialFor.
type PartialUse struct {
	Action PartialAction
	// Held is what the stored part holds.
	Held ContentRange
	// Want is what the request asks for: its range resolved against the
	// complete length, or the whole representation (Whole).
	Want Span
	// Whole: the request has no Range; its answer is a 200.
	Whole bool
	// Fetch is the missing run to ask the origin for (PartialComplete).
	Fetch Span
	// IfRange is the stored part's strong validator (PartialComplete), so
	// that the origin sends the run only if the representation is the one
	// the part belongs to, and the whole new one otherwise (RFC 9110
	// §13.1.5).
	IfRange string
}

// preconditions are the request fields that ask a question about the whole
// selected representation (RFC 9110 §13.1): a stored part does not answer
// them.
var preconditions = [...]string{"If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since"}

// PartialFor decides how req is answered when the response stored for it,
// rec, is partial (status 206 with one Content-Range part; Storable's
// partial-content rules). RFC 9111 §3.3: "A cache MUST NOT use an
// incomplete response to answer requests unless the response has been made
// complete, or the request is partial and specifies a range wholly within
// the incomplete response."
func PartialFor(req *http.Request, rec *models.Response) PartialUse {
	var u PartialUse
	held, ok := ParseContentRange(value(rec.Header, "Content-Range"))
	if !ok || rec.StatusCode != http.StatusPartialContent || held.Size() != int64(len(rec.Body)) {
		return u
	}
	u.Held = held
	if req == nil || req.Method != http.MethodGet {
		return u
	}
	for _, f := range preconditions {
		if len(req.Header[f]) > 0 {
			return u
		}
	}
	want, ok := wanted(req, rec, held)
	if !ok {
		return u
	}
	u.Want, u.Whole = want, len(req.Header["Range"]) == 0
	if want.First >= held.First && want.Last >= 0 && want.Last <= held.Last {
		u.Action = PartialServe
		return u
	}
	switch {
	case want.First >= held.First && want.First <= held.Last:
		// Starts within the part and runs past it.
		u.Fetch = Span{First: held.Last + 1, Last: want.Last}
	case want.First < held.First && want.Last >= held.First && want.Last <= held.Last:
		// Ends within the part and starts before it.
		u.Fetch = Span{First: want.First, Last: held.First - 1}
	default:
		// The part lies inside the request's range, or outside it: no one
		// run completes it.
		return u
	}
	if u.Fetch.Last >= 0 && u.Fetch.Last == held.Length-1 {
		u.Fetch.Last = -1 // to the end: "bytes=5-"
	}
	if u.IfRange = StrongValidator(rec.Header); u.IfRange != "" {
		u.Action = PartialComplete
	}
	return u
}

// wanted is the run of bytes req asks for from the representation rec is
// part of, and false when req's Range is one this cache does not answer
// from a part (RFC 9110 §14.2 lets it be ignored), or its If-Range does not
// match rec.
func wanted(req *http.Request, rec *models.Response, held ContentRange) (Span, bool) {
	rng := req.Header["Range"]
	switch len(rng) {
	case 0:
		if len(req.Header["If-Range"]) > 0 {
			return Span{}, false
		}
		if held.Length < 0 {
			return Span{First: 0, Last: -1}, true // to an end not known yet
		}
		return Span{First: 0, Last: held.Length - 1}, true
	case 1:
	default:
		return Span{}, false
	}
	if ir := req.Header["If-Range"]; len(ir) > 1 || len(ir) == 1 && !IfRangeMatches(ir[0], rec.Header) {
		return Span{}, false
	}
	spec, ok := ParseRange(rng[0])
	if !ok {
		return Span{}, false
	}
	if held.Length >= 0 {
		first, last, sat := spec.Resolve(held.Length)
		return Span{First: first, Last: last}, sat
	}
	// The complete length is unknown: a suffix cannot be placed, and an
	// open range runs to an end the part does not know.
	if spec.First < 0 {
		return Span{}, false
	}
	return Span{First: spec.First, Last: spec.Last}, true
}

// PartialFits reports whether part, the origin's 206 to a request for
// u.Fetch under If-Range, is the run asked for, of the same representation
// as the stored part whose header is stored (RFC 9111 §3.4: "the same
// strong validator"), so that the stored and new bytes together answer
// u.Want. It returns the new part's Content-Range.
func PartialFits(u PartialUse, stored http.Header, part *http.Response) (ContentRange, bool) {
	if part == nil || part.StatusCode != http.StatusPartialContent || len(part.Header["Content-Range"]) != 1 {
		return ContentRange{}, false
	}
	cr, ok := ParseContentRange(value(part.Header, "Content-Range"))
	switch {
	case !ok || cr.First != u.Fetch.First:
		return cr, false
	case u.Fetch.Last >= 0 && cr.Last != u.Fetch.Last:
		return cr, false
	case u.Fetch.Last < 0 && !(cr.Length >= 0 && cr.Last == cr.Length-1):
		return cr, false // an open range must reach the now known end
	case u.Held.Length >= 0 && cr.Length >= 0 && cr.Length != u.Held.Length:
		return cr, false
	case u.Whole && u.Held.Length < 0 && cr.Length < 0:
		return cr, false // a whole answer needs its length
	}
	return cr, SameStrongValidator(stored, part.Header)
}

// partialRefusal answers "may this 206 be stored?" (RFC 9111 §3.3: "a
// cache MUST NOT store incomplete or partial-content responses if it does
// not support the Range and Content-Range header fields or if it does not
// understand the range units used in those fields"): only the answer to a
// GET with a Range field, carrying one part of the bytes unit whose length
// agrees with Content-Length, and a strong validator, without which the part
// could never be combined (§3.4) nor completed under If-Range.
func partialRefusal(x *exchange) Reason {
	if x.method != http.MethodGet || x.reqH == nil || len(x.reqH["Range"]) == 0 {
		return ReasonPartialContent
	}
	h := x.header
	if len(h["Content-Range"]) != 1 {
		return ReasonPartialContent
	}
	cr, ok := ParseContentRange(h["Content-Range"][0])
	if !ok {
		return ReasonPartialContent
	}
	if cl := h["Content-Length"]; len(cl) > 0 {
		if n, ok := parsePos(cl[0]); !ok || n != cr.Size() {
			return ReasonPartialContent
		}
	}
	if StrongValidator(h) == "" {
		return ReasonPartialContent
	}
	return ""
}
