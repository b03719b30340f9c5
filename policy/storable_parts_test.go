package policy

import (
	"net/http"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/models"
)

// part describes one exchange for the tests of Storable's questions: a
// request to https://example.com/a and its response, received at t0.
type part struct {
	p       Policy
	ctl     Controls
	method  string // GET by default
	reqH    []string
	code    int // 200 by default
	respH   []string
	reqTime time.Duration // from t0
}

func (c part) exchange(t *testing.T) exchange {
	t.Helper()
	method := c.method
	if method == "" {
		method = http.MethodGet
	}
	code := c.code
	if code == 0 {
		code = http.StatusOK
	}
	req := newReq(t, method, "https://example.com/a", c.reqH...)
	return c.p.newExchange(req, c.ctl, newResp(req, code, c.respH...), t0)
}

func TestStoreRefusal(t *testing.T) {
	d := httpDate(t0)
	ok := []string{"Date", d, "Cache-Control", "max-age=60"}
	tests := []struct {
		name string
		part
		want Reason
	}{
		{"RFC9111 3 response with explicit freshness may be stored", part{respH: ok}, ""},
		{"Controls Bypass refuses", part{ctl: Controls{Bypass: true}, respH: ok}, ReasonBypass},
		{"Controls Bypass named before the method", part{ctl: Controls{Bypass: true}, method: http.MethodPost, respH: ok}, ReasonBypass},
		{"RFC9111 3 method not understood as cacheable", part{method: http.MethodPost, respH: ok}, ReasonMethod},
		{"RFC9111 3 non-final status", part{code: 103, respH: ok}, ReasonStatus},
		{"RFC9111 3 status past 999", part{code: 1000, respH: ok}, ReasonStatus},
		{"RFC9111 3.3 206 without Range request or Content-Range", part{code: 206, respH: ok}, ReasonPartialContent},
		{"RFC9111 3.3 206 of one bytes part with a strong validator", part{code: 206, reqH: []string{"Range", "bytes=0-1"},
			respH: []string{"Date", d, "Cache-Control", "max-age=60", "Content-Range", "bytes 0-1/2", "Etag", `"x"`}}, ""},
		{"RFC9111 4.3.3 304 is not a record", part{code: 304, respH: ok}, ReasonStatus},
		{"RFC9111 3 status named before request no-store",
			part{code: 103, reqH: []string{"Cache-Control", "no-store"}, respH: ok}, ReasonStatus},
		{"RFC9111 5.2.1.5 request no-store", part{reqH: []string{"Cache-Control", "no-store"}, respH: ok}, ReasonNoStoreRequest},
		{"DoNotCache rule refuses", part{p: Policy{Rules: []Rule{{Glob: "example.com", Expire: DoNotCache}}}, respH: ok}, ReasonDoNotCache},
		{"Controls Expire overrides a DoNotCache rule",
			part{p: Policy{Expire: DoNotCache}, ctl: Controls{Expire: Expiry(time.Minute)}, respH: ok}, ""},
		{"RFC9111 4.1 Vary star", part{respH: []string{"Cache-Control", "max-age=60", "Vary", "*"}}, ReasonVaryStar},
		{"RFC9111 5.2.2.5 response no-store", part{respH: []string{"Cache-Control", "no-store, max-age=60"}}, ReasonNoStore},
		{"RFC9111 5.2.2.3 must-understand with understood status overrides no-store",
			part{respH: []string{"Cache-Control", "must-understand, no-store, max-age=60"}}, ""},
		{"RFC9111 5.2.2.3 must-understand with unknown status", part{code: 299,
			respH: []string{"Cache-Control", "must-understand, max-age=60"}}, ReasonMustUnderstand},
		{"RFC9111 5.2.2.7 private refused by shared cache", part{p: Policy{Shared: true},
			respH: []string{"Cache-Control", "private, max-age=60"}}, ReasonPrivate},
		{"RFC9111 5.2.2.7 private stored by private cache", part{respH: []string{"Cache-Control", "private, max-age=60"}}, ""},
		{"RFC9111 3.5 Authorization refused by shared cache", part{p: Policy{Shared: true},
			reqH: []string{"Authorization", "Bearer x"}, respH: ok}, ReasonAuthorization},
		{"RFC9111 3.5 Authorization with s-maxage stored by shared cache", part{p: Policy{Shared: true},
			reqH: []string{"Authorization", "Bearer x"}, respH: []string{"Cache-Control", "s-maxage=60"}}, ""},
		{"RFC9111 3 status not heuristically cacheable needs explicit freshness",
			part{code: 500, respH: []string{"Last-Modified", d}}, ReasonStatus},
		{"RFC9111 3 status with explicit freshness stored", part{code: 500, respH: ok}, ""},
		{"Policy Codes refuse others", part{p: Policy{Codes: []int{200}}, code: 404, respH: ok}, ReasonStatus},
		{"Policy Codes admit a status without freshness", part{p: Policy{Codes: []int{500}}, code: 500}, ""},
		{"IgnoreCacheControl ignores response no-store",
			part{p: Policy{IgnoreCacheControl: true}, respH: []string{"Cache-Control", "no-store"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := tt.exchange(t)
			if got := tt.p.storeRefusal(&x, tt.ctl); got != tt.want {
				t.Errorf("storeRefusal = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFreshUntil(t *testing.T) {
	d := httpDate(t0)
	rule := func(e Expiry) []Rule { return []Rule{{Glob: "example.com/a", Expire: e}} }
	tests := []struct {
		name string
		part
		at        time.Duration // from t0
		never     bool
		immediate bool
		reason    Reason
	}{
		{name: "RFC9111 4.2.1 max-age", part: part{respH: []string{"Date", d, "Cache-Control", "max-age=60"}}, at: time.Minute},
		{name: "RFC9111 4.2.1 Expires minus Date",
			part: part{respH: []string{"Date", d, "Expires", httpDate(at(time.Hour))}}, at: time.Hour},
		{name: "RFC9111 4.2.3 corrected initial age shortens freshness",
			part: part{reqTime: -5 * time.Second, respH: []string{"Date", d, "Cache-Control", "max-age=60", "Age", "20"}},
			at:   35 * time.Second},
		{name: "RFC9111 4.2.2 heuristic 10% since Last-Modified",
			part: part{respH: []string{"Date", d, "Last-Modified", httpDate(at(-10 * time.Hour))}}, at: time.Hour},
		{name: "RFC9111 4.2.2 heuristic for public response of another status", part: part{code: 302,
			respH: []string{"Date", d, "Cache-Control", "public", "Last-Modified", httpDate(at(-10 * time.Hour))}}, at: time.Hour},
		{name: "RFC9111 4.3.1 validator only: stale at once",
			part: part{code: 302, respH: []string{"Date", d, "Last-Modified", httpDate(at(-10 * time.Hour))}}, at: 0},
		{name: "RFC9111 4.2.2 no freshness and no validator", part: part{respH: []string{"Date", d}}, reason: ReasonNoFreshness},
		{name: "Controls Expire beats response max-age",
			part: part{ctl: Controls{Expire: Expiry(10 * time.Minute)}, respH: []string{"Cache-Control", "max-age=60"}},
			at:   10 * time.Minute},
		{name: "Controls NeverExpire never expires",
			part: part{ctl: Controls{Expire: NeverExpire}, respH: []string{"Cache-Control", "max-age=60"}}, never: true},
		{name: "Controls ExpireImmediately expires at once",
			part: part{ctl: Controls{Expire: ExpireImmediately}, respH: []string{"Cache-Control", "max-age=60"}}, immediate: true},
		{name: "rule ExpireImmediately applies whatever the response says",
			part: part{p: Policy{Rules: rule(ExpireImmediately)}, respH: []string{"Cache-Control", "max-age=600"}}, immediate: true},
		{name: "RFC9111 4.2.1 response freshness beats rule",
			part: part{p: Policy{Rules: rule(Expiry(time.Hour))}, respH: []string{"Date", d, "Cache-Control", "max-age=60"}},
			at:   time.Minute},
		{name: "rule beats heuristic", part: part{p: Policy{Rules: rule(Expiry(time.Hour))},
			respH: []string{"Date", d, "Last-Modified", httpDate(at(-100 * time.Hour))}}, at: time.Hour},
		{name: "session default when no rule matches", part: part{p: Policy{Expire: Expiry(2 * time.Hour)}}, at: 2 * time.Hour},
		{name: "IgnoreCacheControl without rule never expires",
			part: part{p: Policy{IgnoreCacheControl: true}, respH: []string{"Cache-Control", "max-age=60"}}, never: true},
		{name: "IgnoreCacheControl uses the rule", part: part{p: Policy{IgnoreCacheControl: true, Rules: rule(Expiry(time.Hour))},
			respH: []string{"Cache-Control", "max-age=60"}}, at: time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := tt.exchange(t)
			f, r := tt.p.freshUntil(&x, tt.ctl, at(tt.reqTime), t0)
			if r != tt.reason {
				t.Fatalf("freshUntil reason = %q, want %q", r, tt.reason)
			}
			if r != "" {
				return
			}
			want := freshness{never: tt.never, immediate: tt.immediate}
			if !tt.never {
				want.at = at(tt.at)
			}
			if f.never != want.never || f.immediate != want.immediate || !f.at.Equal(want.at) {
				t.Errorf("freshUntil = %+v, want %+v", f, want)
			}
		})
	}
}

func TestKeep(t *testing.T) {
	tests := []struct {
		name       string
		p          Policy
		respH      []string
		expires    time.Duration // from t0
		staleUntil time.Duration // from t0; 0 for none
		ttl        time.Duration
	}{
		{name: "RFC9111 4.3.1 validator kept 24h past freshness for a 304",
			respH: []string{"Etag", `"v"`}, expires: time.Minute, ttl: time.Minute + 24*time.Hour},
		{name: "no validator kept until freshness ends", expires: time.Minute, ttl: time.Minute},
		{name: "no validator and stale at once: never usable", expires: 0, ttl: 0},
		{name: "RFC5861 4 stale-if-error window", p: Policy{KeepStaleUnvalidated: -1}, respH: []string{"Cache-Control", "stale-if-error=300"},
			expires: time.Minute, staleUntil: 6 * time.Minute, ttl: 6 * time.Minute},
		{name: "RFC5861 3 largest stale window wins", p: Policy{StaleIfErrorWindow: time.Minute, KeepStaleUnvalidated: -1},
			respH: []string{"Cache-Control", "stale-while-revalidate=600"}, expires: time.Minute,
			staleUntil: 11 * time.Minute, ttl: 11 * time.Minute},
		{name: "Policy StaleWhileRevalidate window", p: Policy{StaleWhileRevalidate: time.Hour, KeepStaleUnvalidated: -1},
			expires: 0, staleUntil: time.Hour, ttl: time.Hour},
		{name: "KeepStale after the stale window", p: Policy{KeepStale: time.Hour},
			respH: []string{"Cache-Control", "stale-if-error=60", "Last-Modified", httpDate(t0)}, expires: time.Minute,
			staleUntil: 2 * time.Minute, ttl: 2*time.Minute + time.Hour},
		{name: "negative KeepStale keeps nothing extra", p: Policy{KeepStale: -1},
			respH: []string{"Etag", `"v"`}, expires: time.Minute, ttl: time.Minute},
		{name: "expired before it was received", respH: []string{"Etag", `"v"`}, expires: -time.Hour, ttl: 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := hdr(tt.respH...)
			cc := ParseCacheControl(h)
			su, ttl := tt.p.keep(h, &cc, at(tt.expires), t0)
			want := time.Time{}
			if tt.staleUntil != 0 {
				want = at(tt.staleUntil)
			}
			if !su.Equal(want) || ttl != tt.ttl {
				t.Errorf("keep = %v, %v; want %v, %v", su, ttl, want, tt.ttl)
			}
		})
	}
}

func TestStoredRevalidate(t *testing.T) {
	tests := []struct {
		name string
		p    Policy
		cc   string
		h    []string
		f    freshness
		want bool
	}{
		{name: "RFC9111 4.2 fresh response is used without validation", cc: "max-age=60", want: false},
		{name: "RFC9111 5.2.2.4 unqualified no-cache validates every use", cc: "no-cache", want: true},
		{name: "RFC9111 5.2.2.4 qualified no-cache does not", cc: `no-cache="Set-Cookie"`, want: false},
		{name: "ExpireImmediately validates every use", f: freshness{at: t0, immediate: true}, want: true},
		{name: "AlwaysRevalidate validates every use", p: Policy{AlwaysRevalidate: true}, h: []string{"Etag", `"e"`}, want: true},
		{name: "AlwaysRevalidate does not mark a response without validator", p: Policy{AlwaysRevalidate: true}, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cc := ParseCacheControlValue(tt.cc)
			if got := tt.p.storedRevalidate(hdr(tt.h...), &cc, tt.f); got != tt.want {
				t.Errorf("storedRevalidate = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestStorableOwnRefusals(t *testing.T) {
	d := httpDate(t0)
	refuse := func(*http.Response) bool { return false }
	accept := func(*http.Response) bool { return true }
	getRec := &models.Response{StatusCode: 200, Request: models.Request{Method: http.MethodGet}}
	varyIndex := &models.Response{VaryIndex: []string{"accept"}}
	tests := []struct {
		name   string
		p      Policy
		method string
		rec    *models.Response
		length int64
		respCC string
		want   Reason
	}{
		{name: "Filter refuses", p: Policy{Filter: refuse}, want: ReasonFilter},
		{name: "Filter accepts", p: Policy{Filter: accept}, want: ReasonStored},
		{name: "RFC9111 5.2.2.5 Filter not asked when RFC 9111 refuses", p: Policy{Filter: refuse}, respCC: "no-store",
			want: ReasonNoStore},
		{name: "RFC9111 4.3.5 HEAD response does not replace a stored response", method: http.MethodHead, rec: getRec,
			want: ReasonHead},
		{name: "HEAD response stored when nothing is", method: http.MethodHead, want: ReasonStored},
		{name: "HEAD response stored over a Vary index", method: http.MethodHead, rec: varyIndex, want: ReasonStored},
		{name: "GET response replaces a stored response", rec: getRec, want: ReasonStored},
		{name: "MaxBodySize exceeded", p: Policy{MaxBodySize: 10}, length: 11, want: ReasonTooLarge},
		{name: "MaxBodySize reached", p: Policy{MaxBodySize: 10}, length: 10, want: ReasonStored},
		{name: "MaxBodySize unknown length passes", p: Policy{MaxBodySize: 10}, length: -1, want: ReasonStored},
		{name: "MaxBodySize zero is no limit", length: 1 << 40, want: ReasonStored},
		{name: "Filter named before HEAD", p: Policy{Filter: refuse}, method: http.MethodHead, rec: getRec, want: ReasonFilter},
		{name: "HEAD named before size", p: Policy{MaxBodySize: 1}, method: http.MethodHead, rec: getRec, length: 2,
			want: ReasonHead},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := tt.method
			if method == "" {
				method = http.MethodGet
			}
			req := newReq(t, method, "https://example.com/a")
			cc := "max-age=60"
			if tt.respCC != "" {
				cc = tt.respCC
			}
			resp := newResp(req, 200, "Date", d, "Cache-Control", cc)
			resp.ContentLength = tt.length
			st := tt.p.Storable(req, Controls{}, tt.rec, resp, t0, t0)
			if st.Reason != tt.want || st.OK != (tt.want == ReasonStored) {
				t.Errorf("Storable = OK %v reason %q, want %q", st.OK, st.Reason, tt.want)
			}
		})
	}
}

func TestStorableFilterSeesResponse(t *testing.T) {
	var seen *http.Response
	p := &Policy{Filter: func(r *http.Response) bool { seen = r; return true }}
	req := get(t)
	resp := newResp(req, 200, "Cache-Control", "max-age=60")
	if st := p.Storable(req, Controls{}, nil, resp, t0, t0); !st.OK {
		t.Fatalf("not stored: %s", st.Reason)
	}
	if seen != resp {
		t.Errorf("Filter saw %p, want the response %p", seen, resp)
	}
}
