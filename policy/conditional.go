package policy

import (
	"net/http"
	"strings"
	"time"

	"github.com/cachedhttp/cachedhttp/models"
)

// isWeak reports whether an entity-tag is weak ("W/" prefix, RFC 9110
// §8.8.3).
func isWeak(et string) bool { return strings.HasPrefix(strings.TrimSpace(et), "W/") }

// opaque returns the opaque-tag of an entity-tag, quotes included.
func opaque(et string) string {
	et = strings.TrimSpace(et)
	return strings.TrimPrefix(et, "W/")
}

// strongMatch is RFC 9110 §8.8.3.2 strong comparison: both strong and
// character-by-character equal.
func strongMatch(a, b string) bool {
	return !isWeak(a) && !isWeak(b) && opaque(a) == opaque(b)
}

// weakMatch is RFC 9110 §8.8.3.2 weak comparison: opaque-tags equal.
func weakMatch(a, b string) bool {
	oa := opaque(a)
	return oa != "" && oa == opaque(b)
}

// eachETag calls f for each member of an If-None-Match / If-Match field
// value: an entity-tag (commas may occur inside its quotes) or "*". It
// stops when f returns true and reports whether it did.
func eachETag(v string, f func(tag string) bool) bool {
	i := 0
	for i < len(v) {
		c := v[i]
		if isOWS(c) || c == ',' {
			i++
			continue
		}
		start := i
		if strings.HasPrefix(v[i:], "W/") {
			i += 2
		}
		if i < len(v) && v[i] == '"' {
			end := strings.IndexByte(v[i+1:], '"')
			if end < 0 {
				return false // unterminated: ignore the rest
			}
			i += end + 2
		} else {
			for i < len(v) && v[i] != ',' {
				i++
			}
		}
		if f(strings.TrimSpace(v[start:i])) {
			return true
		}
	}
	return false
}

// notModified implements NotModified (RFC 9111 §4.3.2, RFC 9110 §13.1.2,
// §13.1.3, §13.2.2).
func notModified(req *http.Request, rec *models.Response) bool {
	if req == nil || rec == nil || rec.IsVaryIndex() {
		return false
	}
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		return false
	}
	// RFC 9110 §13.2.1: preconditions apply only when the response would
	// be 2xx.
	if rec.StatusCode < 200 || rec.StatusCode > 299 {
		return false
	}
	// §13.2.2 step 3: If-None-Match, when present, decides alone.
	if inm := req.Header["If-None-Match"]; len(inm) > 0 {
		have := value(rec.Header, "Etag")
		for _, v := range inm {
			if eachETag(v, func(tag string) bool {
				return tag == "*" || have != "" && weakMatch(tag, have)
			}) {
				return true
			}
		}
		return false
	}
	// §13.1.3: ignored when invalid or with more than one member.
	ims := req.Header["If-Modified-Since"]
	if len(ims) != 1 {
		return false
	}
	since, ok := ParseHTTPDate(ims[0])
	if !ok {
		return false
	}
	last, ok := lastModified(rec)
	return ok && !last.After(since)
}

// lastModified is the time RFC 9111 §4.3.2 compares an If-Modified-Since
// with: the stored Last-Modified; "If a request contains an
// If-Modified-Since header field and the Last-Modified header field is not
// present in a stored response, a cache SHOULD use the stored response's
// Date field value (or, if no Date field is present, the time that the
// stored response was received) to evaluate the conditional." An invalid
// Last-Modified or Date is taken as not present. The time of receipt is
// truncated to the second, the resolution of an HTTP-date.
func lastModified(rec *models.Response) (time.Time, bool) {
	if t, ok := ParseHTTPDate(value(rec.Header, "Last-Modified")); ok {
		return t, true
	}
	if t, ok := ParseHTTPDate(value(rec.Header, "Date")); ok {
		return t, true
	}
	if rec.ResponseTime.IsZero() {
		return time.Time{}, false
	}
	return rec.ResponseTime.Truncate(time.Second), true
}

// conditional builds the validator fields for revalidating rec (RFC 9110
// §13.1.1, §13.1.3); empty when rec has no validator.
func conditional(rec *models.Response) Validators {
	return Validators{IfNoneMatch: value(rec.Header, "Etag"), IfModifiedSince: value(rec.Header, "Last-Modified")}
}
