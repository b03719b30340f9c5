package policy

import (
	"testing"
	"time"
)

func TestKeepUnvalidated(t *testing.T) {
	const day = 24 * time.Hour
	tests := []struct {
		name  string
		p     Policy
		respH []string
		ttl   time.Duration
	}{
		{name: "RFC9111 5.2.1.2 without validator nor stale signal kept until freshness ends",
			respH: []string{"Cache-Control", "max-age=60"}, ttl: time.Minute},
		{name: "RFC5861 4 StaleIfErrorWindow keeps an unvalidated response KeepStale past its window",
			p: Policy{StaleIfErrorWindow: time.Hour}, respH: []string{"Cache-Control", "max-age=60"}, ttl: time.Minute + time.Hour + day},
		{name: "RFC5861 3 StaleWhileRevalidate keeps an unvalidated response KeepStale past its window",
			p: Policy{StaleWhileRevalidate: time.Hour}, respH: []string{"Cache-Control", "max-age=60"}, ttl: time.Minute + time.Hour + day},
		{name: "RFC5861 4 response stale-if-error keeps an unvalidated response",
			respH: []string{"Cache-Control", "max-age=60, stale-if-error=60"}, ttl: 2*time.Minute + day},
		{name: "RFC5861 3 response stale-while-revalidate keeps an unvalidated response",
			respH: []string{"Cache-Control", "max-age=60, stale-while-revalidate=60"}, ttl: 2*time.Minute + day},
		{name: "RFC5861 4 bounded by KeepStale",
			p: Policy{StaleIfErrorWindow: time.Hour, KeepStale: 2 * time.Hour}, respH: []string{"Cache-Control", "max-age=60"},
			ttl: time.Minute + 3*time.Hour},
		{name: "RFC5861 4 negative KeepStale keeps nothing past the window",
			p: Policy{StaleIfErrorWindow: time.Hour, KeepStale: -1}, respH: []string{"Cache-Control", "max-age=60"}, ttl: time.Minute + time.Hour},
		{name: "RFC9111 5.2.1.2 KeepStaleUnvalidated keeps for max-stale without any signal",
			p: Policy{KeepStaleUnvalidated: 2 * time.Hour}, respH: []string{"Cache-Control", "max-age=60"}, ttl: time.Minute + 2*time.Hour},
		{name: "RFC9111 5.2.1.2 KeepStaleUnvalidated replaces KeepStale for unvalidated responses",
			p: Policy{KeepStaleUnvalidated: 2 * time.Hour, StaleIfErrorWindow: time.Hour}, respH: []string{"Cache-Control", "max-age=60"},
			ttl: time.Minute + 3*time.Hour},
		{name: "RFC9111 5.2.1.2 negative KeepStaleUnvalidated never keeps",
			p: Policy{KeepStaleUnvalidated: -1, StaleIfErrorWindow: time.Hour}, respH: []string{"Cache-Control", "max-age=60"},
			ttl: time.Minute + time.Hour},
		{name: "RFC9111 4.3.1 a validator is kept KeepStale whatever KeepStaleUnvalidated says",
			p: Policy{KeepStaleUnvalidated: -1}, respH: []string{"Cache-Control", "max-age=60", "Etag", `"e"`}, ttl: time.Minute + day},
		{name: "RFC9111 5.2.2.2 must-revalidate forbids stale use: not kept",
			p: Policy{StaleIfErrorWindow: time.Hour, KeepStaleUnvalidated: time.Hour}, respH: []string{"Cache-Control", "max-age=60, must-revalidate"},
			ttl: time.Minute + time.Hour},
		{name: "RFC9111 5.2.2.4 no-cache forbids stale use: not kept",
			p: Policy{KeepStaleUnvalidated: time.Hour}, respH: []string{"Cache-Control", "max-age=60, no-cache"}, ttl: time.Minute},
		{name: "RFC9111 5.2.2.10 s-maxage forbids stale use in a shared cache: not kept",
			p: Policy{Shared: true, KeepStaleUnvalidated: time.Hour}, respH: []string{"Cache-Control", "s-maxage=60"}, ttl: time.Minute},
		{name: "RFC9111 5.2.2.10 s-maxage ignored by a private cache",
			p: Policy{KeepStaleUnvalidated: time.Hour}, respH: []string{"Cache-Control", "max-age=60, s-maxage=60"}, ttl: time.Minute + time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := get(t)
			st := tt.p.Storable(req, Controls{}, nil, newResp(req, 200, append([]string{"Date", httpDate(t0)}, tt.respH...)...), t0, t0)
			if !st.OK || st.TTL != tt.ttl {
				t.Errorf("Storable = OK %v %s TTL %v, want TTL %v", st.OK, st.Reason, st.TTL, tt.ttl)
			}
		})
	}
}

// TestMaxStaleWithoutValidator follows a response without validator from
// Storable to a max-stale request two hours after it went stale: the
// backend still holds it (TTL) and Lookup serves it.
func TestMaxStaleWithoutValidator(t *testing.T) {
	tests := []struct {
		name string
		p    Policy
		kept bool
	}{
		{"RFC9111 5.2.1.2 max-stale served from a record kept for stale-if-error", Policy{StaleIfErrorWindow: time.Minute}, true},
		{"RFC9111 5.2.1.2 max-stale served from a record kept by KeepStaleUnvalidated", Policy{KeepStaleUnvalidated: 3 * time.Hour}, true},
		{"RFC9111 5.2.1.2 record gone without a reason to keep it", Policy{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := get(t)
			resp := newResp(req, 200, "Date", httpDate(t0), "Cache-Control", "max-age=60")
			st := tt.p.Storable(req, Controls{}, nil, resp, t0, t0)
			now := at(time.Minute + 2*time.Hour)
			if kept := st.OK && now.Before(t0.Add(st.TTL)); kept != tt.kept {
				t.Fatalf("kept at %v = %v, want %v (TTL %v)", now, kept, tt.kept, st.TTL)
			}
			if !tt.kept {
				return
			}
			rec := stored(t, &tt.p, req, resp, t0)
			d := tt.p.Lookup(get(t, "Cache-Control", "max-stale"), Controls{}, rec, now)
			if d.Action != Serve || d.Reason != ReasonMaxStale {
				t.Errorf("Lookup = %v %s, want Serve max-stale", d.Action, d.Reason)
			}
			if !tt.p.StaleIfError(get(t, "Cache-Control", "stale-if-error=86400"), rec, 0, now) {
				t.Errorf("request stale-if-error not honoured")
			}
		})
	}
}
