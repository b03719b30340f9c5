package policy

import (
	"net/http"
	"slices"

	"github.com/cachedhttp/cachedhttp/models"
)

// NeedsRewrite reports whether fresh, the record Freshen made from old and
// a 304 (or a HEAD response), must be written back to the store, given the
// Store decision st that Freshen returned with it.
//
// RFC 9111 §4.3.4 has the cache update the stored response with the fields
// of the 304. Writing that update costs a full record write on every
// revalidation, which for a response revalidated on every use (no-cache,
// §5.2.2.4) changes nothing a later request can observe when only Date
// moved: such a record is never served without asking the origin again,
// and the response given to the caller is built from fresh, in memory,
// either way. So the write is skipped when all of these hold:
//
//   - both old and fresh must be revalidated on every use (Revalidate);
//   - neither has a stale-if-error or stale-while-revalidate window (RFC
//     5861), which a new Date would move;
//   - the status, body, trailers and stored request are the same, and the
//     headers differ at most in Date;
//   - the stored copy is younger than half its backend lifetime (st.TTL),
//     so a record in constant use is still rewritten now and then and never
//     falls out of a store that expires it.
func NeedsRewrite(old, fresh *models.Response, st Store) bool {
	if !st.OK || old == nil || fresh == nil {
		return st.OK
	}
	if !old.Revalidate || !fresh.Revalidate || !old.StaleUntil.IsZero() || !fresh.StaleUntil.IsZero() {
		return true
	}
	if old.StatusCode != fresh.StatusCode || !sameBytes(old.Body, fresh.Body) ||
		!sameHeaderBut(old.Trailer, fresh.Trailer, "") || old.IsVaryIndex() != fresh.IsVaryIndex() {
		return true
	}
	if !st.OnlyDate && !sameHeaderBut(old.Header, fresh.Header, "Date") {
		return true
	}
	if st.TTL > 0 && fresh.ResponseTime.Sub(old.ResponseTime) > st.TTL/2 {
		return true
	}
	// A record without a response time, or a clock that went back, is
	// written so that the stored times stay the newest known.
	return old.ResponseTime.IsZero() || fresh.ResponseTime.Before(old.ResponseTime)
}

// sameBytes reports whether a and b hold the same bytes (the same array, as
// Freshen keeps it, is checked first).
func sameBytes(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	return len(a) == 0 || &a[0] == &b[0] || string(a) == string(b)
}

// sameHeaderBut reports whether a and b hold the same fields with the same
// values, leaving out the field named except.
func sameHeaderBut(a, b http.Header, except string) bool {
	n := 0
	for k, va := range a {
		if k == except {
			continue
		}
		vb, ok := b[k]
		if !ok || !slices.Equal(va, vb) {
			return false
		}
		n++
	}
	for k := range b {
		if k != except {
			n--
		}
	}
	return n == 0
}
