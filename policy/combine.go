package policy

import (
	"net/http"
	"strconv"

	"github.com/cachedhttp/cachedhttp/models"
)

// Combine returns the record to store for fresh, a partial response (206)
// just received and made into a record, given stored, the record held for
// the same key (nil when none). RFC 9111 §3.4: "A cache MAY combine these
// ranges into a single stored response ... if they all share the same
// strong validator", and RFC 9110 §15.3.7.3: "If the union consists of the
// entire range of the representation, then the client MUST process the
// combined response as if it were a complete 200 (OK) response, including a
// Content-Length header field that reflects the complete length."
//
//   - stored and fresh share a strong validator and their parts overlap or
//     touch: the union, with fresh's header fields replacing stored's
//     (§3.4: "a cache MUST update the stored response header fields using
//     the header fields provided in the new response, as per Section 3.2");
//     a union that is the whole representation is a 200 record without
//     Content-Range.
//   - Otherwise fresh alone (a newer representation, or a part that does
//     not touch the stored one: the newer part is kept).
//
// stored may be a complete 200 (then its bytes fill what fresh lacks, when
// its length is fresh's complete length). Combine returns nil when fresh is
// not a consistent part (its body does not match its Content-Range): such a
// record must not be stored. Neither argument is modified.
func Combine(stored, fresh *models.Response) *models.Response {
	if fresh == nil || fresh.StatusCode != http.StatusPartialContent {
		return fresh
	}
	fr, ok := ParseContentRange(value(fresh.Header, "Content-Range"))
	if !ok || fr.Size() != int64(len(fresh.Body)) {
		return nil
	}
	sr, ok := heldRange(stored)
	if !ok || !SameStrongValidator(stored.Header, fresh.Header) {
		return completed(fresh, fr)
	}
	length := fr.Length
	switch {
	case length < 0:
		length = sr.Length
	case sr.Length >= 0 && sr.Length != length:
		return completed(fresh, fr) // not the same representation after all
	}
	if fr.First > sr.Last+1 || sr.First > fr.Last+1 {
		return completed(fresh, fr) // neither overlaps nor touches
	}
	u := ContentRange{First: min(fr.First, sr.First), Last: max(fr.Last, sr.Last), Length: length}
	body := make([]byte, u.Size())
	copy(body[sr.First-u.First:], stored.Body)
	copy(body[fr.First-u.First:], fresh.Body)
	out := *fresh
	out.Body = body
	out.Header, _ = mergeHeader(stored.Header, fresh.Header, false)
	// Content-Encoding describes the bytes; with one strong validator
	// both parts carry the same, but the new response's word is the one
	// to keep (mergeHeader keeps the stored one).
	if v := fresh.Header["Content-Encoding"]; len(v) > 0 {
		out.Header["Content-Encoding"] = append([]string(nil), v...)
	}
	out.Header["Content-Range"] = []string{u.String()}
	return completed(&out, u)
}

// heldRange is the run stored holds: its Content-Range when it is a
// consistent part, or the whole of a complete 200 response.
func heldRange(stored *models.Response) (ContentRange, bool) {
	if stored == nil || stored.IsVaryIndex() || stored.Request.Method == http.MethodHead {
		return ContentRange{}, false
	}
	switch stored.StatusCode {
	case http.StatusOK:
		n := int64(len(stored.Body))
		return ContentRange{First: 0, Last: n - 1, Length: n}, n > 0
	case http.StatusPartialContent:
		cr, ok := ParseContentRange(value(stored.Header, "Content-Range"))
		return cr, ok && cr.Size() == int64(len(stored.Body))
	}
	return ContentRange{}, false
}

// completed returns rec (a part holding cr) with its Content-Length set,
// or, when cr is the whole representation, a copy made a complete 200.
func completed(rec *models.Response, cr ContentRange) *models.Response {
	if !cr.Complete() {
		if value(rec.Header, "Content-Length") == strconv.FormatInt(cr.Size(), 10) {
			return rec
		}
		out := *rec
		out.Header = rec.Header.Clone()
		out.Header["Content-Length"] = []string{strconv.FormatInt(cr.Size(), 10)}
		return &out
	}
	out := *rec
	out.Header = rec.Header.Clone()
	delete(out.Header, "Content-Range")
	out.Header["Content-Length"] = []string{strconv.FormatInt(cr.Length, 10)}
	out.StatusCode = http.StatusOK
	return &out
}
