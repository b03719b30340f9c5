package cachedhttp

import (
	"net/http"
	"strconv"

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
	if ir := req.Header.Get("If-Range"); ir != "" && !policy.IfRangeMatches(ir, rec.Header) {
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

// parseRange parses a Range field value of the bytes unit with a single
// range against a representation of size bytes (policy.ParseRange, RFC
// 9110 §14.1.1). ok is false for anything else (another unit, several
// ranges, bad syntax); satisfiable is false when the range starts past
// size (or is a suffix of 0).
func parseRange(spec string, size int64) (r byteRange, ok, satisfiable bool) {
	rs, ok := policy.ParseRange(spec)
	if !ok {
		return r, false, false
	}
	first, last, sat := rs.Resolve(size)
	if !sat {
		return r, true, false
	}
	return byteRange{start: first, end: last + 1}, true, true
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
