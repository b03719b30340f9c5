package policy

import (
	"net/http"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/models"
)

func TestStorableShared(t *testing.T) {
	d := httpDate(t0)
	shared := Policy{Shared: true}
	strip := Policy{Shared: true, StripSetCookie: true}
	cdn := Policy{Shared: true, TargetedFields: []string{"CDN-Cache-Control"}}
	noCookie := func(t *testing.T, st Store) {
		if st.Header.Get("Set-Cookie") != "" || st.Header.Get("Set-Cookie2") != "" {
			t.Errorf("cookie stored: %v", st.Header)
		}
		if st.Header.Get("X-Kept") != "k" {
			t.Errorf("other fields lost: %v", st.Header)
		}
	}
	tests := []storeCase{
		{name: "RFC9111 3.5 Authorization refused by a shared cache without public, must-revalidate or s-maxage", p: shared,
			reqH: []string{"Authorization", "Bearer x"}, respH: []string{"Date", d, "Cache-Control", "max-age=60"}, reason: "authorization"},
		{name: "RFC9111 3.5 Authorization with public stored by a shared cache", p: shared,
			reqH: []string{"Authorization", "Bearer x"}, respH: []string{"Date", d, "Cache-Control", "public, max-age=60"}, ok: true, expires: time.Minute},
		{name: "RFC9111 3.5 Authorization with must-revalidate stored by a shared cache", p: shared,
			reqH: []string{"Authorization", "Bearer x"}, respH: []string{"Date", d, "Cache-Control", "must-revalidate, max-age=60"}, ok: true, expires: time.Minute},
		{name: "RFC9111 3.5 Authorization with s-maxage stored by a shared cache", p: shared,
			reqH: []string{"Authorization", "Bearer x"}, respH: []string{"Date", d, "Cache-Control", "s-maxage=60"}, ok: true, expires: time.Minute},
		{name: "RFC9111 3.5 Authorization with public but no freshness and a validator stored stale", p: shared,
			reqH: []string{"Authorization", "Bearer x"}, respH: []string{"Date", d, "Cache-Control", "public", "Etag", `"e"`}, ok: true, expires: 0},
		{name: "RFC9111 3.5 empty Authorization is no credential", p: shared,
			reqH: []string{"Authorization", ""}, respH: []string{"Date", d, "Cache-Control", "max-age=60"}, ok: true, expires: time.Minute},
		{name: "RFC9111 7.3 shared cache does not store Set-Cookie", p: shared,
			respH: []string{"Date", d, "Cache-Control", "public, max-age=60", "Set-Cookie", "sid=1"}, reason: "set-cookie"},
		{name: "RFC9111 7.3 shared cache does not store Set-Cookie2", p: shared,
			respH: []string{"Date", d, "Cache-Control", "max-age=60", "Set-Cookie2", "sid=1"}, reason: "set-cookie"},
		{name: "RFC9111 7.3 StripSetCookie stores without the cookie", p: strip,
			respH: []string{"Date", d, "Cache-Control", "max-age=60", "Set-Cookie", "sid=1", "Set-Cookie", "lang=en", "X-Kept", "k"},
			ok:    true, expires: time.Minute, check: noCookie},
		{name: "RFC9111 5.2.2.4 qualified no-cache Set-Cookie lets a shared cache store", p: shared,
			respH: []string{"Date", d, "Cache-Control", `max-age=60, no-cache="Set-Cookie"`, "Set-Cookie", "sid=1", "X-Kept", "k"},
			ok:    true, expires: time.Minute, check: noCookie},
		{name: "RFC9111 5.2.2.7 qualified private Set-Cookie lets a shared cache store", p: shared,
			respH: []string{"Date", d, "Cache-Control", `max-age=60, private="set-cookie"`, "Set-Cookie", "sid=1", "X-Kept", "k"},
			ok:    true, expires: time.Minute, check: noCookie},
		{name: "RFC9213 2.2 targeted no-cache Set-Cookie lets a shared cache store", p: cdn,
			respH: []string{"Date", d, "CDN-Cache-Control", `max-age=60, no-cache="Set-Cookie"`, "Set-Cookie", "sid=1", "X-Kept", "k"},
			ok:    true, expires: time.Minute, check: noCookie},
		{name: "RFC9111 7.3 private cache stores Set-Cookie",
			respH: []string{"Date", d, "Cache-Control", "max-age=60", "Set-Cookie", "sid=1"}, ok: true, expires: time.Minute,
			check: func(t *testing.T, st Store) {
				if st.Header.Get("Set-Cookie") != "sid=1" {
					t.Errorf("header = %v", st.Header)
				}
			}},
		{name: "RFC9111 7.3 StripSetCookie changes nothing in a private cache", p: Policy{StripSetCookie: true},
			respH: []string{"Date", d, "Cache-Control", "max-age=60", "Set-Cookie", "sid=1"}, ok: true, expires: time.Minute,
			check: func(t *testing.T, st Store) {
				if st.Header.Get("Set-Cookie") != "sid=1" {
					t.Errorf("header = %v", st.Header)
				}
			}},
		{name: "RFC9111 5.2.2.7 private named before Set-Cookie", p: shared,
			respH: []string{"Date", d, "Cache-Control", "private, max-age=60", "Set-Cookie", "sid=1"}, reason: "private"},
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.run)
	}
}

func TestLookupShared(t *testing.T) {
	shared := Policy{Shared: true}
	addCookie := func(r *models.Response) { r.Header.Set("Set-Cookie", "sid=1") }
	tests := []lookupCase{
		{name: "RFC9111 3.5 shared cache does not use a record without public for Authorization", p: shared,
			reqH: []string{"Authorization", "Bearer x"}, respH: []string{"Cache-Control", "max-age=60"},
			now: 10 * time.Second, action: Fetch, reason: ReasonAuthorization},
		{name: "RFC9111 3.5 shared cache uses a public record for Authorization", p: shared,
			reqH: []string{"Authorization", "Bearer x"}, respH: []string{"Cache-Control", "public, max-age=60"},
			now: 10 * time.Second, action: Serve, reason: ReasonFresh},
		{name: "RFC9111 3.5 shared cache uses an s-maxage record for Authorization", p: shared,
			reqH: []string{"Authorization", "Bearer x"}, respH: []string{"Cache-Control", "s-maxage=60"},
			now: 10 * time.Second, action: Serve, reason: ReasonFresh},
		{name: "RFC9111 3.5 must-revalidate record used for Authorization only after revalidation once stale", p: shared,
			reqH: []string{"Authorization", "Bearer x", "Cache-Control", "max-stale"}, respH: []string{"Cache-Control", "must-revalidate, max-age=60", "Etag", `"e"`},
			now: 2 * time.Minute, action: Revalidate, reason: ReasonMustRevalidate, stale: true, inm: `"e"`},
		{name: "RFC9111 3.5 private cache uses any record for Authorization",
			reqH: []string{"Authorization", "Bearer x"}, respH: []string{"Cache-Control", "max-age=60"},
			now: 10 * time.Second, action: Serve, reason: ReasonFresh},
		{name: "RFC9111 5.2.1.7 only-if-cached with an unusable Authorization record", p: shared,
			reqH: []string{"Authorization", "Bearer x", "Cache-Control", "only-if-cached"}, respH: []string{"Cache-Control", "max-age=60"},
			now: 10 * time.Second, action: GatewayTimeout, reason: ReasonOnlyIfCached},
		{name: "RFC9111 7.3 shared cache does not serve a record with Set-Cookie", p: shared,
			respH: []string{"Cache-Control", "max-age=60"}, mutate: addCookie,
			now: 10 * time.Second, action: Fetch, reason: ReasonSetCookie},
		{name: "RFC9111 7.3 private cache serves a record with Set-Cookie",
			respH: []string{"Cache-Control", "max-age=60"}, mutate: addCookie,
			now: 10 * time.Second, action: Serve, reason: ReasonFresh},
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.run)
	}
}

func TestFreshenSetCookie(t *testing.T) {
	tests := []struct {
		name       string
		p          Policy
		respH      []string // the 304's header
		storeOK    bool
		reason     Reason
		served     string // Set-Cookie of the record served
		storedCook bool   // Store.Header carries Set-Cookie
	}{
		{name: "RFC9111 7.3 shared 304 with Set-Cookie: served once, not stored", p: Policy{Shared: true},
			respH: []string{"Set-Cookie", "sid=2"}, reason: ReasonSetCookie, served: "sid=2"},
		{name: "RFC9111 7.3 StripSetCookie 304 with Set-Cookie: stored without, served with", p: Policy{Shared: true, StripSetCookie: true},
			respH: []string{"Set-Cookie", "sid=2"}, storeOK: true, reason: ReasonStored, served: "sid=2"},
		{name: "RFC9111 7.3 StripSetCookie 304 without Set-Cookie", p: Policy{Shared: true, StripSetCookie: true},
			storeOK: true, reason: ReasonStored},
		{name: "RFC9111 7.3 private 304 with Set-Cookie stored with it", p: Policy{},
			respH: []string{"Set-Cookie", "sid=2"}, storeOK: true, reason: ReasonStored, served: "sid=2", storedCook: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := get(t)
			rec := stored(t, &tt.p, req, newResp(req, 200, "Date", httpDate(t0), "Cache-Control", "max-age=60", "Etag", `"e"`), t0)
			got, st := tt.p.Freshen(req, Controls{}, rec, newResp(req, http.StatusNotModified, append([]string{"Etag", `"e"`}, tt.respH...)...), at(later), at(later))
			if got == nil || st.OK != tt.storeOK || st.Reason != tt.reason {
				t.Fatalf("Freshen = %v, %+v; want OK %v reason %s", got, st, tt.storeOK, tt.reason)
			}
			if c := got.Header.Get("Set-Cookie"); c != tt.served {
				t.Errorf("served Set-Cookie %q, want %q", c, tt.served)
			}
			if st.OK && (st.Header.Get("Set-Cookie") != "") != tt.storedCook {
				t.Errorf("stored header %v", st.Header)
			}
			if rec.Header.Get("Set-Cookie") != "" {
				t.Errorf("rec modified: %v", rec.Header)
			}
		})
	}
}
