package policy

import (
	"testing"
	"time"
)

// TestStorableRedirects pins how redirects are stored under HTTP's rules
// alone (Policy.Codes nil): 301 and 308 are heuristically cacheable (RFC
// 9110 §15.4.2, §15.4.9, listed in §15.1), 302, 303 and 307 are not and
// need the response's own word (RFC 9111 §3).
func TestStorableRedirects(t *testing.T) {
	d := httpDate(t0)
	lm := httpDate(at(-100 * time.Minute)) // heuristic: 10 minutes
	shared := Policy{Shared: true}
	tests := []storeCase{
		{name: "RFC9110 15.1 301 heuristically cacheable", code: 301,
			respH: []string{"Date", d, "Location", "/b", "Last-Modified", lm}, ok: true, expires: 10 * time.Minute},
		{name: "RFC9110 15.1 308 heuristically cacheable", code: 308,
			respH: []string{"Date", d, "Location", "/b", "Last-Modified", lm}, ok: true, expires: 10 * time.Minute},
		{name: "RFC9110 15.1 300 heuristically cacheable", code: 300,
			respH: []string{"Date", d, "Last-Modified", lm}, ok: true, expires: 10 * time.Minute},
		{name: "RFC9110 15.1 301 with max-age", code: 301,
			respH: []string{"Date", d, "Location", "/b", "Cache-Control", "max-age=3600"}, ok: true, expires: time.Hour},
		{name: "RFC9111 4.2.2 301 without freshness or validator not stored", code: 301,
			respH: []string{"Date", d, "Location", "/b"}, reason: "no-freshness"},
		{name: "RFC9111 4.3.1 301 with only an ETag stored stale", code: 301,
			respH: []string{"Date", d, "Location", "/b", "Etag", `"e"`}, ok: true, expires: 0},
		{name: "RFC9111 3 302 with Last-Modified only not stored", code: 302,
			respH: []string{"Date", d, "Location", "/b", "Last-Modified", lm}, reason: "status"},
		{name: "RFC9111 3 303 with ETag only not stored", code: 303,
			respH: []string{"Date", d, "Location", "/b", "Etag", `"e"`}, reason: "status"},
		{name: "RFC9111 3 307 without anything not stored", code: 307,
			respH: []string{"Date", d, "Location", "/b"}, reason: "status"},
		{name: "RFC9111 3 302 with max-age stored", code: 302,
			respH: []string{"Date", d, "Location", "/b", "Cache-Control", "max-age=60"}, ok: true, expires: time.Minute},
		{name: "RFC9111 3 303 with Expires stored", code: 303,
			respH: []string{"Date", d, "Location", "/b", "Expires", httpDate(at(time.Hour))}, ok: true, expires: time.Hour},
		{name: "RFC9111 3 307 with an invalid Expires stored stale", code: 307,
			respH: []string{"Date", d, "Location", "/b", "Expires", "0", "Etag", `"e"`}, ok: true, expires: 0},
		{name: "RFC9111 3 307 with s-maxage stored by a shared cache", code: 307, p: shared,
			respH: []string{"Date", d, "Location", "/b", "Cache-Control", "s-maxage=60"}, ok: true, expires: time.Minute},
		{name: "RFC9111 3 307 with s-maxage alone not stored by a private cache", code: 307,
			respH: []string{"Date", d, "Location", "/b", "Cache-Control", "s-maxage=60"}, reason: "status"},
		{name: "RFC9111 4.2.2 302 marked public gets heuristic freshness", code: 302,
			respH: []string{"Date", d, "Location", "/b", "Cache-Control", "public", "Last-Modified", lm}, ok: true, expires: 10 * time.Minute},
		{name: "RFC9111 3 302 marked private stored by a private cache, stale, for revalidation", code: 302,
			respH: []string{"Date", d, "Location", "/b", "Cache-Control", "private", "Etag", `"e"`}, ok: true, expires: 0},
		{name: "RFC9111 3 302 marked private without validator has no freshness", code: 302,
			respH: []string{"Date", d, "Location", "/b", "Cache-Control", "private"}, reason: "no-freshness"},
		{name: "RFC9111 3 302 marked private refused by a shared cache", code: 302, p: shared,
			respH: []string{"Date", d, "Location", "/b", "Cache-Control", "private", "Etag", `"e"`}, reason: "private"},
		{name: "RFC9111 3 302 with a qualified private not stored by a shared cache", code: 302, p: shared,
			respH: []string{"Date", d, "Location", "/b", "Cache-Control", `private="X-A"`, "Etag", `"e"`}, reason: "status"},
		{name: "RFC9111 3 302 stored when listed in Codes with a user expiry", code: 302,
			p: Policy{Codes: []int{200, 302}, Expire: Expiry(time.Hour)}, respH: []string{"Date", d, "Location", "/b"}, ok: true, expires: time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.run)
	}
}
