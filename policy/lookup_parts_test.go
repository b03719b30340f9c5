package policy

import (
	"net/http"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/models"
)

func TestPassReason(t *testing.T) {
	tests := []struct {
		name   string
		p      Policy
		ctl    Controls
		method string
		user   Expiry
		want   Reason
	}{
		{name: "RFC9111 3 GET uses the cache", method: http.MethodGet},
		{name: "RFC9111 3 HEAD uses the cache", method: http.MethodHead},
		{name: "RFC9111 3 POST does not", method: http.MethodPost, want: ReasonMethod},
		{name: "RFC9110 9.1 methods are case-sensitive", method: "get", want: ReasonMethod},
		{name: "Policy Methods admit POST", p: Policy{Methods: []string{http.MethodPost}}, method: http.MethodPost},
		{name: "Controls Bypass", ctl: Controls{Bypass: true}, method: http.MethodGet, want: ReasonBypass},
		{name: "Controls Bypass named before the method", ctl: Controls{Bypass: true}, method: http.MethodPost, want: ReasonBypass},
		{name: "DoNotCache", method: http.MethodGet, user: DoNotCache, want: ReasonDoNotCache},
		{name: "ExpireImmediately still uses the cache", method: http.MethodGet, user: ExpireImmediately},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.passReason(tt.method, tt.ctl, tt.user); got != tt.want {
				t.Errorf("passReason = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestMissReason(t *testing.T) {
	rec := func(method string) *models.Response {
		return &models.Response{StatusCode: 200, Request: models.Request{Method: method}}
	}
	tests := []struct {
		name   string
		method string
		ctl    Controls
		rec    *models.Response
		want   Reason
	}{
		{name: "nothing stored", method: http.MethodGet, want: ReasonMiss},
		{name: "RFC9111 4.1 a Vary index is not a response", method: http.MethodGet,
			rec: &models.Response{VaryIndex: []string{"accept"}}, want: ReasonMiss},
		{name: "GET record answers GET", method: http.MethodGet, rec: rec(http.MethodGet)},
		{name: "RFC9110 9.3.2 GET record answers HEAD", method: http.MethodHead, rec: rec(http.MethodGet)},
		{name: "RFC9110 9.3.2 HEAD record answers HEAD", method: http.MethodHead, rec: rec(http.MethodHead)},
		{name: "RFC9110 9.3.2 HEAD record has no body for GET", method: http.MethodGet, rec: rec(http.MethodHead),
			want: ReasonHeadOnly},
		{name: "Controls ForceRefresh", method: http.MethodGet, ctl: Controls{ForceRefresh: true}, rec: rec(http.MethodGet),
			want: ReasonForceRefresh},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := missReason(tt.method, tt.ctl, tt.rec); got != tt.want {
				t.Errorf("missReason = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRevalidationReason(t *testing.T) {
	fresh := Decision{Age: 30 * time.Second, TTL: 30 * time.Second}
	stale := Decision{Age: 90 * time.Second, TTL: -30 * time.Second, Stale: true}
	tests := []struct {
		name   string
		p      Policy
		ctl    Controls
		user   Expiry
		rc, cc string
		rec    record
		d      Decision
		want   Reason
	}{
		{name: "RFC9111 4.2 fresh response needs no validation", cc: "max-age=60", d: fresh},
		{name: "RFC9111 4.2 stale response is left to serveStale", cc: "max-age=60", d: stale},
		{name: "RFC9111 5.2.1.4 request no-cache", rc: "no-cache", d: fresh, want: ReasonNoCacheRequest},
		{name: "RFC9111 5.2.1.4 request no-cache with field names", rc: `no-cache="X"`, d: fresh, want: ReasonNoCacheRequest},
		{name: "RFC9111 5.2.1.4 request no-cache named before Refresh", rc: "no-cache", ctl: Controls{Refresh: true}, d: fresh,
			want: ReasonNoCacheRequest},
		{name: "Controls Refresh", ctl: Controls{Refresh: true}, d: fresh, want: ReasonRefresh},
		{name: "RFC8246 2 Refresh spares a fresh immutable response", ctl: Controls{Refresh: true}, cc: "immutable", d: fresh},
		{name: "RFC8246 2 Refresh revalidates a stale immutable response", ctl: Controls{Refresh: true}, cc: "immutable", d: stale,
			want: ReasonRefresh},
		{name: "ExpireImmediately", user: ExpireImmediately, d: fresh, want: ReasonExpireImmediately},
		{name: "AlwaysRevalidate", p: Policy{AlwaysRevalidate: true}, rec: record{validated: true}, d: fresh, want: ReasonAlwaysRevalidate},
		{name: "AlwaysRevalidate spares a fresh response without validator", p: Policy{AlwaysRevalidate: true}, d: fresh},
		{name: "AlwaysRevalidate leaves a stale response without validator to serveStale", p: Policy{AlwaysRevalidate: true}, d: stale},
		{name: "RFC9111 5.2.2.4 response no-cache", cc: "no-cache", d: fresh, want: ReasonNoCache},
		{name: "RFC9111 5.2.2.4 user named before response no-cache", p: Policy{AlwaysRevalidate: true}, rec: record{validated: true},
			cc: "no-cache", d: fresh, want: ReasonAlwaysRevalidate},
		{name: "RFC9111 5.2.2.4 response no-cache without validator still forces a refetch", p: Policy{AlwaysRevalidate: true},
			cc: "no-cache", d: fresh, want: ReasonNoCache},
		{name: "record marked Revalidate", rec: record{marked: true}, d: fresh, want: ReasonRevalidate},
		{name: "RFC9111 5.2.1.1 older than request max-age", rc: "max-age=10", d: fresh, want: ReasonMaxAgeRequest},
		{name: "RFC9111 5.2.1.1 as old as request max-age", rc: "max-age=30", d: fresh},
		{name: "RFC9111 5.2.1.1 invalid request max-age ignored", rc: "max-age=soon", d: fresh},
		{name: "Controls Expire bounds age", ctl: Controls{Expire: Expiry(10 * time.Second)}, d: fresh, want: ReasonExpire},
		{name: "Controls Expire within bound", ctl: Controls{Expire: Expiry(time.Minute)}, d: fresh},
		{name: "RFC9111 5.2.1.3 min-fresh not left", rc: "min-fresh=40", d: fresh, want: ReasonMinFreshRequest},
		{name: "RFC9111 5.2.1.3 min-fresh left", rc: "min-fresh=20", d: fresh},
		{name: "RFC9111 5.2.1.3 min-fresh is for fresh responses only", rc: "min-fresh=40", d: stale},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc, cc := ParseCacheControlValue(tt.rc), ParseCacheControlValue(tt.cc)
			if got := tt.p.revalidationReason(&rc, &cc, &tt.ctl, tt.user, tt.rec, &tt.d); got != tt.want {
				t.Errorf("revalidationReason = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestServeStale(t *testing.T) {
	withETag := &models.Response{Header: hdr("Etag", `"v1"`)}
	bare := &models.Response{Header: hdr()}
	stale := func(by time.Duration) Decision { return Decision{Age: time.Minute + by, TTL: -by, Stale: true} }
	tests := []struct {
		name         string
		p            Policy
		rc, cc       string
		rec          *models.Response
		onlyIfCached bool
		d            Decision
		action       Action
		reason       Reason
	}{
		{name: "RFC9111 4.2.4 stale without permission revalidates", d: stale(time.Second),
			action: Revalidate, reason: ReasonStale},
		{name: "RFC9111 4.3.1 stale without validator fetches", rec: bare, d: stale(time.Second),
			action: Fetch, reason: ReasonStale},
		{name: "RFC9111 5.2.1.2 max-stale without value", rc: "max-stale", d: stale(time.Hour),
			action: Serve, reason: ReasonMaxStale},
		{name: "RFC9111 5.2.1.2 max-stale covers staleness", rc: "max-stale=60", d: stale(time.Minute),
			action: Serve, reason: ReasonMaxStale},
		{name: "RFC9111 5.2.1.2 max-stale exceeded", rc: "max-stale=60", d: stale(61 * time.Second),
			action: Revalidate, reason: ReasonStale},
		{name: "RFC9111 5.2.2.2 must-revalidate beats max-stale", rc: "max-stale", cc: "must-revalidate", d: stale(time.Second),
			action: Revalidate, reason: ReasonMustRevalidate},
		{name: "RFC9111 5.2.2.8 proxy-revalidate forbids stale in shared cache", p: Policy{Shared: true}, rc: "max-stale",
			cc: "proxy-revalidate", d: stale(time.Second), action: Revalidate, reason: ReasonMustRevalidate},
		{name: "RFC9111 5.2.2.8 proxy-revalidate ignored by private cache", rc: "max-stale",
			cc: "proxy-revalidate", d: stale(time.Second), action: Serve, reason: ReasonMaxStale},
		{name: "RFC9111 5.2.2.10 s-maxage forbids stale in shared cache", p: Policy{Shared: true}, rc: "max-stale",
			cc: "s-maxage=60", d: stale(time.Second), action: Revalidate, reason: ReasonMustRevalidate},
		{name: "RFC5861 3 within stale-while-revalidate", cc: "stale-while-revalidate=60", d: stale(time.Minute),
			action: ServeStaleAndRevalidate, reason: ReasonStaleWhileRevalidate},
		{name: "RFC5861 3 past stale-while-revalidate", cc: "stale-while-revalidate=60", d: stale(61 * time.Second),
			action: Revalidate, reason: ReasonStale},
		{name: "RFC5861 3 Policy StaleWhileRevalidate", p: Policy{StaleWhileRevalidate: time.Minute}, d: stale(time.Second),
			action: ServeStaleAndRevalidate, reason: ReasonStaleWhileRevalidate},
		{name: "RFC5861 3 no window at zero staleness", d: stale(0), action: Revalidate, reason: ReasonStale},
		{name: "RFC9111 5.2.1.7 only-if-cached never revalidates in the background", cc: "stale-while-revalidate=60",
			onlyIfCached: true, d: stale(time.Second), action: GatewayTimeout, reason: ReasonOnlyIfCached},
		{name: "RFC9111 5.2.1.7 only-if-cached with max-stale serves", rc: "max-stale", onlyIfCached: true, d: stale(time.Hour),
			action: Serve, reason: ReasonMaxStale},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := tt.rec
			if rec == nil {
				rec = withETag
			}
			rc, cc := ParseCacheControlValue(tt.rc), ParseCacheControlValue(tt.cc)
			got := tt.p.serveStale(tt.d, &rc, &cc, rec, tt.onlyIfCached)
			if got.Action != tt.action || got.Reason != tt.reason {
				t.Fatalf("serveStale = %v %q, want %v %q", got.Action, got.Reason, tt.action, tt.reason)
			}
			if got.Age != tt.d.Age || got.TTL != tt.d.TTL || !got.Stale {
				t.Errorf("serveStale lost Age/TTL/Stale: %+v", got)
			}
			wantCond := (got.Action == Revalidate || got.Action == ServeStaleAndRevalidate) && rec.Header.Get("Etag") != ""
			if (got.Conditional.Get("If-None-Match") != "") != wantCond {
				t.Errorf("Conditional = %v", got.Conditional)
			}
		})
	}
}

func TestForbidsStaleAndAcceptsStale(t *testing.T) {
	for _, tt := range []struct {
		name   string
		shared bool
		cc     string
		want   bool
	}{
		{"RFC9111 5.2.2.2 must-revalidate", false, "must-revalidate", true},
		{"RFC9111 5.2.2.8 proxy-revalidate in shared cache", true, "proxy-revalidate", true},
		{"RFC9111 5.2.2.8 proxy-revalidate in private cache", false, "proxy-revalidate", false},
		{"RFC9111 5.2.2.10 s-maxage in shared cache", true, "s-maxage=1", true},
		{"RFC9111 5.2.2.10 s-maxage in private cache", false, "s-maxage=1", false},
		{"RFC9111 4.2.4 max-age alone", true, "max-age=1", false},
	} {
		t.Run("forbidsStale "+tt.name, func(t *testing.T) {
			cc := ParseCacheControlValue(tt.cc)
			if got := (&Policy{Shared: tt.shared}).forbidsStale(&cc); got != tt.want {
				t.Errorf("forbidsStale(%q) = %v", tt.cc, got)
			}
		})
	}
	for _, tt := range []struct {
		name      string
		rc        string
		staleness time.Duration
		want      bool
	}{
		{"RFC9111 5.2.1.2 absent", "", time.Second, false},
		{"RFC9111 5.2.1.2 without value accepts any", "max-stale", 1000 * time.Hour, true},
		{"RFC9111 5.2.1.2 value covers", "max-stale=10", 10 * time.Second, true},
		{"RFC9111 5.2.1.2 value exceeded", "max-stale=10", 11 * time.Second, false},
		{"RFC9111 5.2.1.2 invalid value accepts nothing", "max-stale=soon", 0, false},
	} {
		t.Run("acceptsStale "+tt.name, func(t *testing.T) {
			rc := ParseCacheControlValue(tt.rc)
			if got := acceptsStale(&rc, tt.staleness); got != tt.want {
				t.Errorf("acceptsStale(%q, %v) = %v", tt.rc, tt.staleness, got)
			}
		})
	}
}
