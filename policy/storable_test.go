package policy

import (
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"testing"
	"time"
)

const rfc850 = "Monday, 02-Jan-06 15:04:05 GMT"

// never marks an expected zero Expires (never expires).
const never = time.Duration(-1 << 63)

type storeCase struct {
	name    string
	p       Policy
	ctl     Controls
	method  string
	reqH    []string
	code    int
	respH   []string
	reqTime time.Time

	ok         bool
	reason     Reason
	expires    time.Duration // from t0; never for zero
	staleUntil time.Duration // from t0; 0 for zero
	revalidate bool
	ttl        time.Duration
	check      func(t *testing.T, st Store)
}

func (c storeCase) run(t *testing.T) {
	t.Helper()
	method := c.method
	if method == "" {
		method = http.MethodGet
	}
	req := newReq(t, method, "https://example.com/a", c.reqH...)
	code := c.code
	if code == 0 {
		code = 200
	}
	resp := newResp(req, code, c.respH...)
	reqTime := c.reqTime
	if reqTime.IsZero() {
		reqTime = t0
	}
	st := c.p.Storable(req, c.ctl, nil, resp, reqTime, t0)
	if st.OK != c.ok || (c.reason != "" && st.Reason != c.reason) {
		t.Fatalf("Storable = OK %v reason %q; want OK %v reason %q", st.OK, st.Reason, c.ok, c.reason)
	}
	if !c.ok {
		return
	}
	wantExp := time.Time{}
	if c.expires != never {
		wantExp = t0.Add(c.expires)
	}
	if !st.Expires.Equal(wantExp) {
		t.Errorf("Expires = %v, want %v", st.Expires, wantExp)
	}
	wantSU := time.Time{}
	if c.staleUntil != 0 {
		wantSU = t0.Add(c.staleUntil)
	}
	if !st.StaleUntil.Equal(wantSU) {
		t.Errorf("StaleUntil = %v, want %v", st.StaleUntil, wantSU)
	}
	if st.Revalidate != c.revalidate {
		t.Errorf("Revalidate = %v, want %v", st.Revalidate, c.revalidate)
	}
	if c.ttl != 0 && st.TTL != c.ttl {
		t.Errorf("TTL = %v, want %v", st.TTL, c.ttl)
	}
	if c.check != nil {
		c.check(t, st)
	}
}

func TestStorableFreshness(t *testing.T) {
	d := httpDate(t0)
	tests := []storeCase{
		{name: "RFC9111 4.2.1 max-age", respH: []string{"Cache-Control", "max-age=60", "Date", d},
			ok: true, reason: "stored", expires: time.Minute, ttl: time.Minute},
		{name: "RFC9111 4.2.1 s-maxage only in shared caches", p: Policy{Shared: true},
			respH: []string{"Cache-Control", "max-age=60, s-maxage=120", "Date", d}, ok: true, expires: 2 * time.Minute},
		{name: "RFC9111 4.2.1 s-maxage ignored by private caches",
			respH: []string{"Cache-Control", "max-age=60, s-maxage=120", "Date", d}, ok: true, expires: time.Minute},
		{name: "RFC9111 4.2.1 max-age beats Expires",
			respH: []string{"Cache-Control", "max-age=60", "Date", d, "Expires", httpDate(at(time.Hour))}, ok: true, expires: time.Minute},
		{name: "RFC9111 4.2.1 Expires minus Date with apparent age",
			respH: []string{"Date", httpDate(at(-10 * time.Minute)), "Expires", httpDate(at(50 * time.Minute))},
			ok:    true, expires: 50 * time.Minute},
		{name: "RFC9111 4.2.1 Expires without Date uses response time",
			respH: []string{"Expires", httpDate(at(30 * time.Minute))}, ok: true, expires: 30 * time.Minute},
		{name: "RFC9110 5.6.7 rfc850 Expires accepted",
			respH: []string{"Date", d, "Expires", at(time.Hour).Format(rfc850)}, ok: true, expires: time.Hour},
		{name: "RFC9110 5.6.7 asctime Expires accepted",
			respH: []string{"Date", d, "Expires", at(time.Hour).Format(time.ANSIC)}, ok: true, expires: time.Hour},
		{name: "RFC9111 5.3 invalid Expires means stale",
			respH: []string{"Date", d, "Expires", "0", "Etag", `"v1"`}, ok: true, expires: 0, ttl: 24 * time.Hour},
		{name: "RFC9111 5.3 wrongly formatted Expires means stale",
			respH: []string{"Date", d, "Expires", "2026-03-04T13:00:00Z", "Etag", `"v1"`}, ok: true, expires: 0},
		{name: "RFC9111 5.3 invalid Expires and no validator not stored",
			respH: []string{"Date", d, "Expires", "0"}, reason: "stale-no-validator"},
		{name: "RFC9111 4.2.1 multiple Expires means stale",
			respH: []string{"Date", d, "Expires", httpDate(at(time.Hour)), "Expires", httpDate(at(2 * time.Hour)), "Etag", `"v1"`},
			ok:    true, expires: 0},
		{name: "RFC9111 4.2.1 conflicting duplicate max-age is stale",
			respH: []string{"Date", d, "Cache-Control", "max-age=60", "Cache-Control", "max-age=3600", "Etag", `"v1"`},
			ok:    true, expires: 0},
		{name: "RFC9111 4.2.1 invalid max-age is stale",
			respH: []string{"Date", d, "Cache-Control", "max-age=soon", "Last-Modified", d}, ok: true, expires: 0},
		{name: "RFC9111 4.2.3 Age reduces remaining freshness",
			respH: []string{"Date", d, "Cache-Control", "max-age=60", "Age", "20"}, ok: true, expires: 40 * time.Second},
		{name: "RFC9111 4.2.3 response delay counts as age", reqTime: at(-5 * time.Second),
			respH: []string{"Date", d, "Cache-Control", "max-age=60"}, ok: true, expires: 55 * time.Second},
		{name: "RFC9111 4.2.3 apparent age from Date",
			respH: []string{"Date", httpDate(at(-15 * time.Second)), "Cache-Control", "max-age=60"}, ok: true, expires: 45 * time.Second},
		{name: "RFC9111 5.1 list-based Age uses first member",
			respH: []string{"Date", d, "Cache-Control", "max-age=60", "Age", "10, 30"}, ok: true, expires: 50 * time.Second},
		{name: "RFC9111 5.1 invalid Age ignored",
			respH: []string{"Date", d, "Cache-Control", "max-age=60", "Age", "ten"}, ok: true, expires: time.Minute},
		{name: "RFC9111 5.1 negative Age ignored",
			respH: []string{"Date", d, "Cache-Control", "max-age=60", "Age", "-30"}, ok: true, expires: time.Minute},
		{name: "RFC9111 1.2.2 huge Age saturates at 2^31 seconds",
			respH: []string{"Date", d, "Cache-Control", "max-age=60", "Age", "999999999999999999999", "Etag", `"v"`},
			ok:    true, expires: time.Minute - maxAge, ttl: 24 * time.Hour},
		{name: "RFC9111 4.2.2 heuristic 10% of Last-Modified",
			respH: []string{"Date", d, "Last-Modified", httpDate(at(-10 * time.Hour))}, ok: true, expires: time.Hour,
			ttl: time.Hour + 24*time.Hour},
		{name: "RFC9111 4.2.2 heuristic capped at 24h",
			respH: []string{"Date", d, "Last-Modified", httpDate(at(-1000 * time.Hour))}, ok: true, expires: 24 * time.Hour},
		{name: "RFC9111 4.2.2 heuristic needs a heuristically cacheable status", p: Policy{Codes: []int{200, 302}},
			code: 302, respH: []string{"Date", d, "Last-Modified", httpDate(at(-10 * time.Hour))}, ok: true, expires: 0},
		{name: "RFC9111 4.2.2 public allows heuristic freshness", p: Policy{Codes: []int{200, 302}},
			code: 302, respH: []string{"Date", d, "Cache-Control", "public", "Last-Modified", httpDate(at(-10 * time.Hour))},
			ok: true, expires: time.Hour},
		{name: "RFC9111 4.2.2 no heuristic when Last-Modified is after Date",
			respH: []string{"Date", d, "Last-Modified", httpDate(at(time.Hour))}, ok: true, expires: 0},
		{name: "RFC9111 3 no explicit freshness and no validator not stored",
			respH: []string{"Date", d}, reason: "no-freshness"},
		{name: "RFC9111 4.3.1 validator-only response stored stale for revalidation",
			respH: []string{"Date", d, "Etag", `"v1"`}, ok: true, expires: 0, ttl: 24 * time.Hour},
		{name: "RFC5861 4 stale-if-error window extends StaleUntil",
			respH: []string{"Date", d, "Cache-Control", "max-age=60, stale-if-error=300"},
			ok:    true, expires: time.Minute, staleUntil: 6 * time.Minute, ttl: 6*time.Minute + 24*time.Hour},
		{name: "RFC5861 3 largest stale window wins", p: Policy{StaleWhileRevalidate: 10 * time.Minute, StaleIfErrorWindow: time.Minute},
			respH: []string{"Date", d, "Cache-Control", "max-age=60, stale-while-revalidate=30"},
			ok:    true, expires: time.Minute, staleUntil: 11 * time.Minute},
		{name: "TTL keeps a validated response 24h past its windows",
			respH: []string{"Date", d, "Cache-Control", "max-age=60", "Etag", `"v"`}, ok: true, expires: time.Minute,
			ttl: time.Minute + 24*time.Hour},
		{name: "TTL honours KeepStale", p: Policy{KeepStale: time.Hour},
			respH: []string{"Date", d, "Cache-Control", "max-age=60", "Last-Modified", d}, ok: true, expires: time.Minute,
			ttl: time.Minute + time.Hour},
		{name: "TTL negative KeepStale keeps nothing extra", p: Policy{KeepStale: -1},
			respH: []string{"Date", d, "Cache-Control", "max-age=60", "Etag", `"v"`}, ok: true, expires: time.Minute,
			ttl: time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.run)
	}
}

func TestStorableRules(t *testing.T) {
	d := httpDate(t0)
	rule := func(e Expiry) []Rule { return []Rule{{Glob: "example.com/a", Expire: e}} }
	tests := []storeCase{
		{name: "RFC9111 3 no-store response not stored", respH: []string{"Cache-Control", "max-age=60, no-store"}, reason: "no-store"},
		{name: "RFC9111 5.2.1.5 no-store request not stored", reqH: []string{"Cache-Control", "no-store"},
			respH: []string{"Cache-Control", "max-age=60"}, reason: "no-store-request"},
		{name: "RFC9111 5.2.2.3 must-understand with understood status ignores no-store",
			respH: []string{"Date", d, "Cache-Control", "must-understand, no-store, max-age=60"}, ok: true, expires: time.Minute},
		{name: "RFC9111 5.2.2.3 must-understand with unknown status not stored", code: 299,
			respH: []string{"Cache-Control", "must-understand, no-store, max-age=60"}, reason: "must-understand"},
		{name: "RFC9111 5.2.2.7 private not stored in shared cache", p: Policy{Shared: true},
			respH: []string{"Cache-Control", "private, max-age=60"}, reason: "private"},
		{name: "RFC9111 5.2.2.7 private stored in private cache",
			respH: []string{"Date", d, "Cache-Control", "private, max-age=60"}, ok: true, expires: time.Minute},
		{name: "RFC9111 5.2.2.7 qualified private strips field in shared cache", p: Policy{Shared: true},
			respH: []string{"Date", d, "Cache-Control", `private="X-Secret", max-age=60`, "X-Secret", "s", "X-Other", "o"},
			ok:    true, expires: time.Minute, check: func(t *testing.T, st Store) {
				if st.Header.Get("X-Secret") != "" || st.Header.Get("X-Other") != "o" {
					t.Errorf("header = %v", st.Header)
				}
			}},
		{name: "RFC9111 5.2.2.7 qualified private kept by private cache",
			respH: []string{"Date", d, "Cache-Control", `private="X-Secret", max-age=60`, "X-Secret", "s"},
			ok:    true, expires: time.Minute, check: func(t *testing.T, st Store) {
				if st.Header.Get("X-Secret") != "s" {
					t.Errorf("header = %v", st.Header)
				}
			}},
		{name: "RFC9111 3.5 Authorization not stored in shared cache", p: Policy{Shared: true},
			reqH: []string{"Authorization", "Bearer x"}, respH: []string{"Cache-Control", "max-age=60"}, reason: "authorization"},
		{name: "RFC9111 3.5 Authorization with public stored in shared cache", p: Policy{Shared: true},
			reqH: []string{"Authorization", "Bearer x"}, respH: []string{"Date", d, "Cache-Control", "public, max-age=60"},
			ok: true, expires: time.Minute},
		{name: "RFC9111 3.5 Authorization with s-maxage stored in shared cache", p: Policy{Shared: true},
			reqH: []string{"Authorization", "Bearer x"}, respH: []string{"Date", d, "Cache-Control", "s-maxage=60"},
			ok: true, expires: time.Minute},
		{name: "RFC9111 3.5 Authorization with must-revalidate stored in shared cache", p: Policy{Shared: true},
			reqH: []string{"Authorization", "Bearer x"}, respH: []string{"Date", d, "Cache-Control", "must-revalidate, max-age=60"},
			ok: true, expires: time.Minute},
		{name: "RFC9111 3.5 Authorization stored by private cache",
			reqH: []string{"Authorization", "Bearer x"}, respH: []string{"Date", d, "Cache-Control", "max-age=60"},
			ok: true, expires: time.Minute},
		{name: "RFC9111 3.3 206 to a request without Range not stored", code: 206,
			respH: []string{"Cache-Control", "max-age=60", "Content-Range", "bytes 0-4/10", "Etag", `"v"`}, reason: "partial-content"},
		{name: "RFC9111 3.3 206 with strong ETag stored as a partial", code: 206, reqH: []string{"Range", "bytes=0-4"},
			respH: []string{"Date", d, "Cache-Control", "max-age=60", "Content-Range", "bytes 0-4/10", "Content-Length", "5", "Etag", `"v"`},
			ok:    true, expires: time.Minute, check: func(t *testing.T, st Store) {
				if st.Header.Get("Content-Range") != "bytes 0-4/10" {
					t.Errorf("Content-Range not kept: %v", st.Header)
				}
			}},
		{name: "RFC9111 3.3 206 of unknown complete length stored", code: 206, reqH: []string{"Range", "bytes=0-4"},
			respH: []string{"Date", d, "Cache-Control", "max-age=60", "Content-Range", "bytes 0-4/*", "Etag", `"v"`}, ok: true, expires: time.Minute},
		{name: "RFC9111 3.4 206 with a weak ETag cannot be combined: not stored", code: 206, reqH: []string{"Range", "bytes=0-4"},
			respH: []string{"Cache-Control", "max-age=60", "Content-Range", "bytes 0-4/10", "Etag", `W/"v"`}, reason: "partial-content"},
		{name: "RFC9111 3.4 206 without validator not stored", code: 206, reqH: []string{"Range", "bytes=0-4"},
			respH: []string{"Cache-Control", "max-age=60", "Content-Range", "bytes 0-4/10"}, reason: "partial-content"},
		{name: "RFC9110 8.8.2.2 206 with Last-Modified 60 s before Date stored", code: 206, reqH: []string{"Range", "bytes=0-4"},
			respH: []string{"Date", d, "Last-Modified", httpDate(at(-time.Minute)), "Cache-Control", "max-age=60", "Content-Range", "bytes 0-4/10"},
			ok:    true, expires: time.Minute},
		{name: "RFC9110 8.8.2.2 206 with Last-Modified under 60 s before Date is weak: not stored", code: 206, reqH: []string{"Range", "bytes=0-4"},
			respH:  []string{"Date", d, "Last-Modified", httpDate(at(-59 * time.Second)), "Cache-Control", "max-age=60", "Content-Range", "bytes 0-4/10"},
			reason: "partial-content"},
		{name: "RFC9111 3.3 206 of another range unit not stored", code: 206, reqH: []string{"Range", "items=0-4"},
			respH: []string{"Cache-Control", "max-age=60", "Content-Range", "items 0-4/10", "Etag", `"v"`}, reason: "partial-content"},
		{name: "RFC9110 14.6 multipart/byteranges 206 not stored", code: 206, reqH: []string{"Range", "bytes=0-1,4-5"},
			respH: []string{"Cache-Control", "max-age=60", "Content-Type", "multipart/byteranges; boundary=x", "Etag", `"v"`}, reason: "partial-content"},
		{name: "RFC9110 14.4 206 whose Content-Length disagrees with Content-Range not stored", code: 206, reqH: []string{"Range", "bytes=0-4"},
			respH: []string{"Cache-Control", "max-age=60", "Content-Range", "bytes 0-4/10", "Content-Length", "6", "Etag", `"v"`}, reason: "partial-content"},
		{name: "RFC9111 3.3 206 is stored under the 200's rules: Codes listing 200", p: Policy{Codes: []int{200}}, code: 206,
			reqH: []string{"Range", "bytes=0-4"}, respH: []string{"Date", d, "Cache-Control", "max-age=60", "Content-Range", "bytes 0-4/10", "Etag", `"v"`},
			ok: true, expires: time.Minute},
		{name: "RFC9111 3.3 206 is stored under the 200's rules: Codes without 200", p: Policy{Codes: []int{206}}, code: 206,
			reqH: []string{"Range", "bytes=0-4"}, respH: []string{"Cache-Control", "max-age=60", "Content-Range", "bytes 0-4/10", "Etag", `"v"`},
			reason: "status"},
		{name: "RFC9111 4.3.3 304 is not a record", code: 304, respH: []string{"Cache-Control", "max-age=60"}, reason: "status"},
		{name: "RFC9111 3 non-final status not stored", code: 103, respH: []string{"Cache-Control", "max-age=60"}, reason: "status"},
		{name: "RFC9111 3 final status with explicit freshness stored", code: 302,
			respH: []string{"Date", d, "Cache-Control", "max-age=60"}, ok: true, expires: time.Minute},
		{name: "RFC9110 15.1 heuristically cacheable 404 stored with heuristic", code: 404,
			respH: []string{"Date", d, "Last-Modified", httpDate(at(-10 * time.Hour))}, ok: true, expires: time.Hour},
		{name: "RFC9111 3 status without explicit freshness not heuristically cacheable", code: 500,
			respH: []string{"Last-Modified", d}, reason: "status"},
		{name: "Policy Codes restrict status", p: Policy{Codes: []int{200}}, code: 404,
			respH: []string{"Cache-Control", "max-age=60"}, reason: "status"},
		{name: "RFC9111 3 method not cacheable", method: http.MethodPost, respH: []string{"Cache-Control", "max-age=60"}, reason: "method"},
		{name: "Policy Methods allow POST", p: Policy{Methods: []string{http.MethodPost}}, method: http.MethodPost,
			respH: []string{"Date", d, "Cache-Control", "max-age=60"}, ok: true, expires: time.Minute},
		{name: "RFC9111 4.1 Vary star not stored", respH: []string{"Cache-Control", "max-age=60", "Vary", "Accept, *"}, reason: "vary-star"},
		{name: "RFC9111 4.1 Vary names lower-case sorted unique",
			respH: []string{"Date", d, "Cache-Control", "max-age=60", "Vary", "Accept-Encoding, ACCEPT", "Vary", "accept"},
			ok:    true, expires: time.Minute, check: func(t *testing.T, st Store) {
				if !reflect.DeepEqual(st.Vary, []string{"accept", "accept-encoding"}) {
					t.Errorf("Vary = %q", st.Vary)
				}
			}},
		{name: "RFC9111 3.1 hop-by-hop and Connection fields not stored",
			respH: []string{"Date", d, "Cache-Control", "max-age=60", "Connection", "X-Hop, close", "X-Hop", "1",
				"Keep-Alive", "timeout=5", "Transfer-Encoding", "chunked", "Trailer", "X-T", "Upgrade", "h2c",
				"Proxy-Authenticate", "Basic", "Proxy-Connection", "keep-alive", "Te", "trailers", "X-Keep", "k"},
			ok: true, expires: time.Minute, check: func(t *testing.T, st Store) {
				var names []string
				for k := range st.Header {
					names = append(names, k)
				}
				slices.Sort(names)
				if want := []string{"Cache-Control", "Date", "X-Keep"}; !reflect.DeepEqual(names, want) {
					t.Errorf("stored fields %q, want %q", names, want)
				}
			}},
		{name: "RFC9111 5.2.2.4 unqualified no-cache stored with revalidation",
			respH: []string{"Date", d, "Cache-Control", "no-cache, max-age=60"}, ok: true, expires: time.Minute, revalidate: true},
		{name: "RFC9111 5.2.2.4 qualified no-cache strips field without revalidation",
			respH: []string{"Date", d, "Cache-Control", `no-cache="Set-Cookie", max-age=60`, "Set-Cookie", "a=b"},
			ok:    true, expires: time.Minute, check: func(t *testing.T, st Store) {
				if _, ok := st.Header["Set-Cookie"]; ok {
					t.Errorf("Set-Cookie stored: %v", st.Header)
				}
			}},
		{name: "Controls Bypass not stored", ctl: Controls{Bypass: true}, respH: []string{"Cache-Control", "max-age=60"}, reason: "bypass"},
		{name: "Controls Expire beats response max-age", ctl: Controls{Expire: Expiry(10 * time.Minute)},
			respH: []string{"Date", d, "Cache-Control", "max-age=60"}, ok: true, expires: 10 * time.Minute},
		{name: "RFC9111 4.2.1 response freshness beats URL rule", p: Policy{Rules: rule(Expiry(time.Hour))},
			respH: []string{"Date", d, "Cache-Control", "max-age=60"}, ok: true, expires: time.Minute},
		{name: "URL rule beats heuristic", p: Policy{Rules: rule(Expiry(time.Hour))},
			respH: []string{"Date", d, "Last-Modified", httpDate(at(-100 * time.Hour))}, ok: true, expires: time.Hour},
		{name: "URL rule beats session default", p: Policy{Expire: Expiry(2 * time.Hour), Rules: rule(Expiry(time.Hour))},
			respH: []string{"Date", d}, ok: true, expires: time.Hour},
		{name: "session default when no rule matches", p: Policy{Expire: Expiry(2 * time.Hour),
			Rules: []Rule{{Glob: "other.com", Expire: Expiry(time.Hour)}}},
			respH: []string{"Date", d}, ok: true, expires: 2 * time.Hour},
		{name: "DoNotCache rule wins over response freshness", p: Policy{Rules: rule(DoNotCache)},
			respH: []string{"Cache-Control", "max-age=60"}, reason: "do-not-cache"},
		{name: "DoNotCache session default", p: Policy{Expire: DoNotCache}, respH: []string{"Cache-Control", "max-age=60"}, reason: "do-not-cache"},
		{name: "Controls Expire beats DoNotCache rule", p: Policy{Rules: rule(DoNotCache)}, ctl: Controls{Expire: Expiry(time.Hour)},
			respH: []string{"Date", d}, ok: true, expires: time.Hour},
		{name: "NeverExpire stores without expiry", ctl: Controls{Expire: NeverExpire},
			respH: []string{"Date", d, "Cache-Control", "max-age=60"}, ok: true, expires: never, check: func(t *testing.T, st Store) {
				if st.TTL != 0 {
					t.Errorf("TTL = %v, want 0 (forever)", st.TTL)
				}
			}},
		{name: "ExpireImmediately stores stale with revalidation", p: Policy{Rules: rule(ExpireImmediately)},
			respH: []string{"Date", d, "Cache-Control", "max-age=600", "Etag", `"v"`}, ok: true, expires: 0, revalidate: true,
			ttl: 24 * time.Hour},
		{name: "ExpireImmediately without validator is useless and not stored", p: Policy{Expire: ExpireImmediately},
			respH: []string{"Date", d, "Cache-Control", "max-age=600"}, reason: "stale-no-validator"},
		{name: "IgnoreCacheControl ignores no-store and never expires", p: Policy{IgnoreCacheControl: true},
			respH: []string{"Date", d, "Cache-Control", "no-store, max-age=60", "Expires", "0"}, ok: true, expires: never},
		{name: "IgnoreCacheControl uses the URL rule", p: Policy{IgnoreCacheControl: true, Rules: rule(Expiry(time.Hour))},
			respH: []string{"Date", d, "Cache-Control", "max-age=60"}, ok: true, expires: time.Hour},
		{name: "AlwaysRevalidate marks the record", p: Policy{AlwaysRevalidate: true},
			respH: []string{"Date", d, "Cache-Control", "max-age=60", "Last-Modified", d}, ok: true, expires: time.Minute, revalidate: true},
		{name: "AlwaysRevalidate does not mark a record it cannot revalidate", p: Policy{AlwaysRevalidate: true},
			respH: []string{"Date", d, "Cache-Control", "max-age=60"}, ok: true, expires: time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.run)
	}
}

func TestStorableNilSafety(t *testing.T) {
	p := &Policy{}
	if st := p.Storable(nil, Controls{}, nil, nil, t0, t0); st.OK {
		t.Errorf("nil response stored")
	}
	resp := &http.Response{StatusCode: 200, Header: hdr("Cache-Control", "max-age=60")}
	if st := p.Storable(nil, Controls{}, nil, resp, t0, t0); !st.OK || !st.Expires.Equal(at(time.Minute)) {
		t.Errorf("response without request: %+v", st)
	}
	re := regexp.MustCompile(`/a$`)
	p = &Policy{Rules: []Rule{{Regexp: re, Expire: DoNotCache}}}
	if st := p.Storable(nil, Controls{}, nil, resp, t0, t0); !st.OK {
		t.Errorf("no URL to match rules against must not fail: %+v", st)
	}
}
