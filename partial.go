package cachedhttp

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/cachedhttp/cachedhttp/models"
	"github.com/cachedhttp/cachedhttp/policy"
)

// Range requests answered from a stored complete response (RFC 9111 §3.4
// allows serving partial content from a complete stored response; RFC 9110
// §14 defines the exchange). The stored bytes are sliced, never copied.

// byteRange is one satisfiable range: bytes [start, end) of the
// representation.
type byteRange struct{ start, end int64 }

// rangeOutcome is what a Range request gets from a stored response.
type rangeOutcome int

const (
	rangeIgnore        rangeOutcome = iota // serve the whole response (200)
	rangePartial                           // 206 with one part
	rangeUnsatisfiable                     // 416
)

// rangeFor decides how a GET with a Range field is answered from rec, a
// stored complete 200 response of size bytes.
func rangeFor(req *http.Request, rec *models.Response) (rangeOutcome, byteRange) {
	spec := req.Header.Get("Range")
	if spec == "" || req.Method != http.MethodGet || rec.StatusCode != http.StatusOK || len(req.Header.Values("Range")) > 1 {
		return rangeIgnore, byteRange{}
	}
	// RFC 9110 §13.1.5: "If the validator given in the If-Range header
	// field matches the current validator for the selected representation
	// ..., then the server SHOULD process the Range header field ...
	// Otherwise, the recipient SHOULD ignore the Range header field".
	if ir := req.Header.Get("If-Range"); ir != "" && !ifRangeMatches(ir, rec.Header) {
		return rangeIgnore, byteRange{}
	}
	r, ok, satisfiable := parseRange(spec, int64(len(rec.Body)))
	switch {
	case !ok:
		// §14.2: "A server MAY ignore the Range header field"; an invalid
		// or multi-part one is answered whole.
		return rangeIgnore, byteRange{}
	case !satisfiable:
		return rangeUnsatisfiable, byteRange{}
	}
	return rangePartial, r
}

// ifRangeMatches applies the If-Range comparison: an entity tag matches
// only by strong comparison (RFC 9110 §8.8.3.2), a date only when it equals
// a Last-Modified that is itself strong (older than Date by a second, as
// §8.8.2.2 describes; approximated by exact equality with Last-Modified).
func ifRangeMatches(ir string, h http.Header) bool {
	ir = strings.TrimSpace(ir)
	if strings.HasPrefix(ir, `"`) || strings.HasPrefix(ir, "W/") {
		etag := h.Get("ETag")
		return etag != "" && !strings.HasPrefix(etag, "W/") && !strings.HasPrefix(ir, "W/") && etag == ir
	}
	lm := h.Get("Last-Modified")
	if lm == "" {
		return false
	}
	t1, ok1 := policy.ParseHTTPDate(ir)
	t2, ok2 := policy.ParseHTTPDate(lm)
	return ok1 && ok2 && t1.Equal(t2)
}

// parseRange parses a Range field value of the bytes unit with a single
// range (RFC 9110 §14.1.1): "first-last", "first-" or "-suffix". ok is
// false for anything else (another unit, several ranges, bad syntax);
// satisfiable is false when the range starts past size (or a suffix of 0).
func parseRange(spec string, size int64) (r byteRange, ok, satisfiable bool) {
	unit, set, found := strings.Cut(spec, "=")
	if !found || !strings.EqualFold(strings.TrimSpace(unit), "bytes") {
		return r, false, false
	}
	set = strings.TrimSpace(set)
	if set == "" || strings.Contains(set, ",") {
		return r, false, false
	}
	first, last, found := strings.Cut(set, "-")
	if !found {
		return r, false, false
	}
	first, last = strings.TrimSpace(first), strings.TrimSpace(last)
	if first == "" { // suffix-range
		n, err := strconv.ParseInt(last, 10, 64)
		if err != nil || n < 0 || !digits(last) {
			return r, false, false
		}
		if n == 0 || size == 0 {
			return r, true, false
		}
		return byteRange{start: max(size-n, 0), end: size}, true, true
	}
	a, err := strconv.ParseInt(first, 10, 64)
	if err != nil || a < 0 || !digits(first) {
		return r, false, false
	}
	end := size
	if last != "" {
		b, err := strconv.ParseInt(last, 10, 64)
		if err != nil || b < a || !digits(last) {
			return r, false, false
		}
		end = min(b+1, size)
	}
	if a >= size {
		return r, true, false
	}
	return byteRange{start: a, end: end}, true, true
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// partial turns resp, built by serve from rec, into the answer to a Range
// request: 206 with the slice of the stored body, or 416.
func partial(resp *http.Response, hb *hitBody, rec *models.Response, o rangeOutcome, r byteRange) {
	size := int64(len(rec.Body))
	if o == rangeUnsatisfiable {
		resp.StatusCode, resp.Status = http.StatusRequestedRangeNotSatisfiable, statusLine(http.StatusRequestedRangeNotSatisfiable)
		resp.Header["Content-Range"] = []string{"bytes */" + strconv.FormatInt(size, 10)}
		delete(resp.Header, "Content-Length")
		resp.ContentLength = 0
		hb.r.Reset(nil)
		return
	}
	resp.StatusCode, resp.Status = http.StatusPartialContent, statusLine(http.StatusPartialContent)
	resp.Header["Content-Range"] = []string{"bytes " + strconv.FormatInt(r.start, 10) + "-" + strconv.FormatInt(r.end-1, 10) + "/" + strconv.FormatInt(size, 10)}
	resp.Header["Content-Length"] = []string{strconv.FormatInt(r.end-r.start, 10)}
	resp.ContentLength = r.end - r.start
	hb.r.Reset(rec.Body[r.start:r.end])
}
