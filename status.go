package cachedhttp

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cachedhttp/cachedhttp/policy"
)

// status is one Cache-Status member (RFC 9211 §2) for this cache.
type status struct {
	hit       bool          // answered from the cache without going forward
	fwd       string        // why the request went forward (§2.2)
	fwdStatus int           // status the next hop answered (§2.3)
	ttl       time.Duration // remaining freshness (§2.4)
	noTTL     bool          // the response never expires: no ttl parameter
	// stored (§2.5) is claimed when the forwarded response is being stored:
	// it may be stored and its body is teed into the cache, which keeps it
	// once the caller has read the body to the end. It is never claimed
	// for a response already known not to be stored (not storable, a
	// declared length over WithMaxBodySize, read-only). A body that turns
	// out longer than WithMaxBodySize without a Content-Length, one the
	// caller abandons, an invalidation of the URL meanwhile, or a failed
	// write behind the caller still leave it unstored; Stats counts those
	// (Truncated, NotStored, BackendErrors, DroppedWrites).
	stored    bool
	collapsed bool          // the request was collapsed with another (§2.6)
	detail    policy.Reason // extra information (§2.8)

	// age is the served record's current age when the caller already
	// computed it (the policy's Decision), so serving does not parse the
	// stored Date again; ageKnown says it is set.
	age      time.Duration
	ageKnown bool
}

// String renders the member, e.g. `cachedhttp; hit; ttl=59` or
// `cachedhttp; fwd=uri-miss; fwd-status=200; stored; ttl=60`.
func (s status) String() string {
	var buf [128]byte
	return string(s.appendTo(buf[:0]))
}

// appendTo appends the member String returns to b.
func (s status) appendTo(b []byte) []byte {
	b = append(b, cacheName...)
	if s.hit {
		b = append(b, "; hit"...)
	}
	if s.fwd != "" {
		b = append(b, "; fwd="...)
		b = append(b, s.fwd...)
	}
	if s.fwdStatus != 0 {
		b = append(b, "; fwd-status="...)
		b = strconv.AppendInt(b, int64(s.fwdStatus), 10)
	}
	if s.stored {
		b = append(b, "; stored"...)
	}
	if s.collapsed {
		b = append(b, "; collapsed"...)
	}
	if !s.noTTL && (s.hit || s.stored || s.ttl != 0) {
		b = append(b, "; ttl="...)
		b = strconv.AppendInt(b, int64(s.ttl.Round(time.Second)/time.Second), 10)
	}
	if s.detail != "" {
		b = append(b, "; detail="...)
		if isToken(string(s.detail)) {
			b = append(b, s.detail...)
		} else {
			b = strconv.AppendQuote(b, string(s.detail))
		}
	}
	return b
}

// setStatus appends this cache's member to the Cache-Status field: members
// of caches nearer the origin stay first (RFC 9211 §2).
func setStatus(h http.Header, s status) {
	h.Add("Cache-Status", s.String())
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~:/", c) >= 0) {
			return false
		}
	}
	return true
}
