package policy

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseSFDictionary(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []sfMember // nil with ok false for a parse error
		ok   bool
	}{
		{"RFC8941 4.2.2 boolean member without value", "no-store", []sfMember{{"no-store", sfItem{kind: sfBoolean, b: true}}}, true},
		{"RFC8941 4.2.2 integer member", "max-age=60", []sfMember{{"max-age", sfItem{kind: sfInteger, num: 60}}}, true},
		{"RFC8941 4.2.2 several members with OWS", "max-age=60 ,\tpublic", []sfMember{
			{"max-age", sfItem{kind: sfInteger, num: 60}}, {"public", sfItem{kind: sfBoolean, b: true}}}, true},
		{"RFC8941 4.2.2 duplicate key overwrites in place", "max-age=1, public, max-age=2", []sfMember{
			{"max-age", sfItem{kind: sfInteger, num: 2}}, {"public", sfItem{kind: sfBoolean, b: true}}}, true},
		{"RFC8941 4.2.5 string with escapes", `no-cache="a\"b\\c"`, []sfMember{{"no-cache", sfItem{kind: sfString, str: `a"b\c`}}}, true},
		{"RFC8941 4.2.6 token", "x=abc/def:1", []sfMember{{"x", sfItem{kind: sfToken, str: "abc/def:1"}}}, true},
		{"RFC8941 4.2.4 decimal", "max-age=1.5", []sfMember{{"max-age", sfItem{kind: sfDecimal}}}, true},
		{"RFC8941 4.2.4 negative integer", "max-age=-5", []sfMember{{"max-age", sfItem{kind: sfInteger, num: -5}}}, true},
		{"RFC8941 4.2.8 boolean false", "no-store=?0", []sfMember{{"no-store", sfItem{kind: sfBoolean}}}, true},
		{"RFC8941 4.2.7 byte sequence", "x=:aGVsbG8=:", []sfMember{{"x", sfItem{kind: sfBytes}}}, true},
		{"RFC8941 4.2.1.2 inner list", "x=(1 \"a\";p);q", []sfMember{{"x", sfItem{kind: sfInnerList}}}, true},
		{"RFC8941 4.2.3.2 parameters dropped", "max-age=60;a=1;b, public;c", []sfMember{
			{"max-age", sfItem{kind: sfInteger, num: 60}}, {"public", sfItem{kind: sfBoolean, b: true}}}, true},
		{"RFC8941 4.2 leading and trailing spaces", "  max-age=1  ", []sfMember{{"max-age", sfItem{kind: sfInteger, num: 1}}}, true},
		{"RFC8941 4.2 empty is an empty dictionary", "", nil, true},
		{"RFC8941 4.2.3.3 upper-case key fails", "Max-Age=60", nil, false},
		{"RFC8941 4.2.2 trailing comma fails", "max-age=60,", nil, false},
		{"RFC8941 4.2.2 missing comma fails", "max-age=60 public", nil, false},
		{"RFC8941 4.2.2 space before = fails", "max-age =60", nil, false},
		{"RFC8941 4.2.4 sixteen digits fail", "max-age=1234567890123456", nil, false},
		{"RFC8941 4.2.4 four decimal places fail", "max-age=1.2345", nil, false},
		{"RFC8941 4.2.4 thirteen digits before the point fail", "x=1234567890123.1", nil, false},
		{"RFC8941 4.2.4 point without fraction fails", "x=1.", nil, false},
		{"RFC8941 4.2.5 unterminated string fails", `no-cache="a`, nil, false},
		{"RFC8941 4.2.5 bad escape fails", `no-cache="\a"`, nil, false},
		{"RFC8941 4.2.5 non-ASCII string fails", "no-cache=\"\xc3\xa9\"", nil, false},
		{"RFC8941 4.2.7 bad base64 fails", "x=:a=b:", nil, false},
		{"RFC8941 4.2.8 bad boolean fails", "x=?2", nil, false},
		{"RFC8941 4.2.1.2 unterminated inner list fails", "x=(1 2", nil, false},
		{"RFC8941 4.2.3.1 date item (RFC 9651) fails", "x=@1659578233", nil, false},
		{"RFC8941 4.2.3.1 quoted delta fails as a key", `"max-age"=1`, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseSFDictionary(tt.in)
			if ok != tt.ok || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseSFDictionary(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestTargetedDirectives(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		want  Directives
		ok    bool
	}{
		{"RFC9213 2.1 max-age", []string{"max-age=600"}, Directives{MaxAge: Delta{Present: true, Arg: true, Valid: true, Seconds: 600}}, true},
		{"RFC9213 2.1 field lines are one dictionary", []string{"max-age=600", "must-revalidate"},
			Directives{MaxAge: Delta{Present: true, Arg: true, Valid: true, Seconds: 600}, MustRevalidate: true}, true},
		{"RFC9213 2.1 decimal max-age is not consumed: stale", []string{"max-age=1.5"}, Directives{MaxAge: Delta{Present: true, Arg: true}}, true},
		{"RFC9213 2.1 string max-age is not consumed: stale", []string{`max-age="60"`}, Directives{MaxAge: Delta{Present: true, Arg: true}}, true},
		{"RFC9213 2.1 negative max-age is not consumed: stale", []string{"max-age=-1"}, Directives{MaxAge: Delta{Present: true, Arg: true}}, true},
		{"RFC9213 2.1 huge max-age saturates", []string{"s-maxage=999999999999999"},
			Directives{SMaxAge: Delta{Present: true, Arg: true, Valid: true, Seconds: maxDeltaSeconds}}, true},
		{"RFC9213 2.1 qualified no-cache is a string", []string{`no-cache="Set-Cookie, x-a"`}, Directives{NoCacheFields: []string{"Set-Cookie", "X-A"}}, true},
		{"RFC9213 2.1 no-cache as boolean", []string{"no-cache"}, Directives{NoCache: true}, true},
		{"RFC9213 2.1 no-cache as token is read unqualified", []string{"no-cache=x"}, Directives{NoCache: true}, true},
		{"RFC9213 2.1 qualified private", []string{`private="X-Secret"`}, Directives{PrivateFields: []string{"X-Secret"}}, true},
		{"RFC9213 2.1 no-store false is absent", []string{"no-store=?0, public"}, Directives{Public: true}, true},
		{"RFC9213 2.1 no-store with a value still restricts", []string{"no-store=1"}, Directives{NoStore: true}, true},
		{"RFC9213 2.1 public with a value is not consumed", []string{"public=1, immutable=?1"}, Directives{Immutable: true}, true},
		{"RFC9213 2.1 stale extensions", []string{"stale-while-revalidate=30, stale-if-error=60"}, Directives{
			StaleWhileRevalidate: Delta{Present: true, Arg: true, Valid: true, Seconds: 30},
			StaleIfError:         Delta{Present: true, Arg: true, Valid: true, Seconds: 60}}, true},
		{"RFC9213 2.1 request directives ignored", []string{"max-stale=5, only-if-cached, min-fresh=1"}, Directives{}, true},
		{"RFC9213 2.1 unknown directive alone is valid and non-empty", []string{"none"}, Directives{}, true},
		{"RFC9213 2.1 parameters ignored", []string{"max-age=60;foo=bar"}, Directives{MaxAge: Delta{Present: true, Arg: true, Valid: true, Seconds: 60}}, true},
		{"RFC9213 2.1 absent field", nil, Directives{}, false},
		{"RFC9213 2.1 empty field ignored", []string{" "}, Directives{}, false},
		{"RFC9213 2.1 parse error ignores the field", []string{"max-age=60, Public"}, Directives{}, false},
		{"RFC9213 2.1 one bad line ignores the whole field", []string{"max-age=60", "no-cache=\"a"}, Directives{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := targetedDirectives(tt.lines)
			if ok != tt.ok || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("targetedDirectives(%q) = %+v, %v; want %+v, %v", tt.lines, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestStorableTargeted(t *testing.T) {
	d := httpDate(t0)
	cdn := Policy{Shared: true, TargetedFields: []string{"CDN-Cache-Control"}}
	two := Policy{Shared: true, TargetedFields: []string{"Example-Cache-Control", "CDN-Cache-Control"}}
	tests := []storeCase{
		{name: "RFC9213 2.2 targeted max-age beats Cache-Control", p: cdn,
			respH: []string{"Date", d, "Cache-Control", "max-age=60", "CDN-Cache-Control", "max-age=600"}, ok: true, expires: 10 * time.Minute,
			check: func(t *testing.T, st Store) {
				if st.Header.Get("CDN-Cache-Control") != "max-age=600" {
					t.Errorf("targeted field not kept: %v", st.Header)
				}
			}},
		{name: "RFC9213 3.1 Cache-Control no-store ignored by the targeted cache", p: cdn,
			respH: []string{"Date", d, "Cache-Control", "no-store", "CDN-Cache-Control", "max-age=600"}, ok: true, expires: 10 * time.Minute},
		{name: "RFC9213 3.1 targeted none lets the CDN store what Cache-Control forbids", p: cdn,
			respH: []string{"Date", d, "Cache-Control", "no-store", "CDN-Cache-Control", "none", "Last-Modified", httpDate(at(-100 * time.Minute))},
			ok:    true, expires: 10 * time.Minute},
		{name: "RFC9213 2.2 targeted no-store refuses", p: cdn,
			respH: []string{"Date", d, "Cache-Control", "max-age=60", "CDN-Cache-Control", "no-store"}, reason: "no-store"},
		{name: "RFC9213 2.2 Expires ignored with a targeted field", p: cdn,
			respH: []string{"Date", d, "Expires", httpDate(at(time.Hour)), "CDN-Cache-Control", "public",
				"Last-Modified", httpDate(at(-100 * time.Minute))}, ok: true, expires: 10 * time.Minute},
		{name: "RFC9213 2.2 targeted field without freshness and Cache-Control max-age is not fresh", p: cdn,
			respH: []string{"Date", d, "Cache-Control", "max-age=60", "CDN-Cache-Control", "must-revalidate", "Etag", `"e"`}, ok: true, expires: 0},
		{name: "RFC9213 2.2 targeted s-maxage applies to a shared cache", p: cdn,
			respH: []string{"Date", d, "CDN-Cache-Control", "max-age=60, s-maxage=120"}, ok: true, expires: 2 * time.Minute},
		{name: "RFC9213 2.2 targeted private refuses", p: cdn,
			respH: []string{"Date", d, "Cache-Control", "public, max-age=60", "CDN-Cache-Control", "private"}, reason: "private"},
		{name: "RFC9213 2.2 targeted qualified no-cache strips its fields", p: cdn,
			respH: []string{"Date", d, "CDN-Cache-Control", `max-age=60, no-cache="X-Token"`, "X-Token", "t", "X-Other", "o"},
			ok:    true, expires: time.Minute, check: func(t *testing.T, st Store) {
				if st.Header.Get("X-Token") != "" || st.Header.Get("X-Other") != "o" {
					t.Errorf("header = %v", st.Header)
				}
			}},
		{name: "RFC9213 2.2 Cache-Control qualified no-cache ignored with a targeted field", p: cdn,
			respH: []string{"Date", d, "Cache-Control", `no-cache="X-Token"`, "CDN-Cache-Control", "max-age=60", "X-Token", "t"},
			ok:    true, expires: time.Minute, check: func(t *testing.T, st Store) {
				if st.Header.Get("X-Token") != "t" {
					t.Errorf("header = %v", st.Header)
				}
			}},
		{name: "RFC9213 2.1 invalid targeted field falls back to Cache-Control", p: cdn,
			respH: []string{"Date", d, "Cache-Control", "max-age=60", "CDN-Cache-Control", "MAX-AGE=600"}, ok: true, expires: time.Minute},
		{name: "RFC9213 2.1 empty targeted field falls back to Cache-Control", p: cdn,
			respH: []string{"Date", d, "Cache-Control", "max-age=60", "CDN-Cache-Control", ""}, ok: true, expires: time.Minute},
		{name: "RFC9213 2.1 decimal targeted max-age is stale", p: cdn,
			respH: []string{"Date", d, "Cache-Control", "max-age=60", "CDN-Cache-Control", "max-age=600.5", "Etag", `"e"`}, ok: true, expires: 0},
		{name: "RFC9213 2.2 first field of the target list wins", p: two,
			respH: []string{"Date", d, "CDN-Cache-Control", "max-age=600", "Example-Cache-Control", "max-age=900"}, ok: true, expires: 15 * time.Minute},
		{name: "RFC9213 2.2 next field when the first is invalid", p: two,
			respH: []string{"Date", d, "CDN-Cache-Control", "max-age=600", "Example-Cache-Control", "max-age=x y"}, ok: true, expires: 10 * time.Minute},
		{name: "RFC9213 2.2 fields not on the target list change nothing", p: cdn,
			respH: []string{"Date", d, "Cache-Control", "max-age=60", "Example-Cache-Control", "no-store"}, ok: true, expires: time.Minute},
		{name: "RFC9213 2.2 private cache has no target list", p: Policy{TargetedFields: []string{"CDN-Cache-Control"}},
			respH: []string{"Date", d, "Cache-Control", "max-age=60", "CDN-Cache-Control", "max-age=600"}, ok: true, expires: time.Minute},
		{name: "RFC9213 2.2 IgnoreCacheControl ignores targeted fields too",
			p:     Policy{Shared: true, TargetedFields: []string{"CDN-Cache-Control"}, IgnoreCacheControl: true, Expire: Expiry(time.Hour)},
			respH: []string{"Date", d, "CDN-Cache-Control", "no-store"}, ok: true, expires: time.Hour},
		{name: "RFC9111 3.5 targeted public allows Authorization", p: cdn, reqH: []string{"Authorization", "Bearer x"},
			respH: []string{"Date", d, "CDN-Cache-Control", "public, max-age=60"}, ok: true, expires: time.Minute},
		{name: "RFC9111 3.5 Cache-Control public ignored when a targeted field decides", p: cdn, reqH: []string{"Authorization", "Bearer x"},
			respH: []string{"Date", d, "Cache-Control", "public", "CDN-Cache-Control", "max-age=60"}, reason: "authorization"},
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.run)
	}
}

func TestLookupTargeted(t *testing.T) {
	cdn := Policy{Shared: true, TargetedFields: []string{"CDN-Cache-Control"}}
	tests := []lookupCase{
		{name: "RFC9213 2.2 targeted must-revalidate forbids max-stale", p: cdn, reqH: []string{"Cache-Control", "max-stale"},
			respH: []string{"Cache-Control", "max-age=60", "CDN-Cache-Control", "max-age=60, must-revalidate", "Etag", `"e"`},
			now:   2 * time.Minute, action: Revalidate, reason: ReasonMustRevalidate, stale: true, inm: `"e"`},
		{name: "RFC9213 2.2 Cache-Control must-revalidate ignored by the targeted cache", p: cdn, reqH: []string{"Cache-Control", "max-stale"},
			respH: []string{"Cache-Control", "max-age=60, must-revalidate", "CDN-Cache-Control", "max-age=60", "Etag", `"e"`},
			now:   2 * time.Minute, action: Serve, reason: ReasonMaxStale, stale: true},
		{name: "RFC9213 2.2 targeted no-cache revalidates a fresh response", p: cdn,
			respH: []string{"Cache-Control", "max-age=60", "CDN-Cache-Control", "max-age=60, no-cache", "Etag", `"e"`},
			now:   10 * time.Second, action: Revalidate, reason: ReasonNoCache, inm: `"e"`},
		{name: "RFC9213 2.2 targeted stale-while-revalidate", p: cdn,
			respH: []string{"Cache-Control", "max-age=60", "CDN-Cache-Control", "max-age=60, stale-while-revalidate=60", "Etag", `"e"`},
			now:   90 * time.Second, action: ServeStaleAndRevalidate, reason: ReasonStaleWhileRevalidate, stale: true, inm: `"e"`},
		{name: "RFC9213 2.2 targeted s-maxage implies proxy-revalidate", p: cdn, reqH: []string{"Cache-Control", "max-stale"},
			respH: []string{"CDN-Cache-Control", "s-maxage=60", "Etag", `"e"`},
			now:   2 * time.Minute, action: Revalidate, reason: ReasonMustRevalidate, stale: true, inm: `"e"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.run)
	}
}

func TestStaleIfErrorTargeted(t *testing.T) {
	cdn := Policy{Shared: true, TargetedFields: []string{"CDN-Cache-Control"}}
	for _, tt := range []struct {
		name  string
		respH []string
		want  bool
	}{
		{"RFC9213 2.2 targeted stale-if-error allows", []string{"Cache-Control", "max-age=60", "CDN-Cache-Control", "max-age=60, stale-if-error=600"}, true},
		{"RFC9213 2.2 Cache-Control stale-if-error ignored", []string{"Cache-Control", "max-age=60, stale-if-error=600", "CDN-Cache-Control", "max-age=60"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req := get(t)
			rec := stored(t, &cdn, req, newResp(req, 200, append([]string{"Date", httpDate(t0), "Etag", `"e"`}, tt.respH...)...), t0)
			if got := cdn.StaleIfError(req, rec, http.StatusServiceUnavailable, at(5*time.Minute)); got != tt.want {
				t.Errorf("StaleIfError = %v, want %v", got, tt.want)
			}
		})
	}
}

func FuzzTargetedDirectives(f *testing.F) {
	for _, s := range []string{
		"max-age=60", `no-cache="a, b", private`, "max-age=1.5;p=?1", "x=(1 2);q, s-maxage=9", "x=:aGk=:", "Max-Age=1", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := targetedDirectives([]string{s})
		if !ok {
			if !reflect.DeepEqual(d, Directives{}) {
				t.Fatalf("ignored field %q gave %+v", s, d)
			}
			return
		}
		for name, dl := range map[string]Delta{"max-age": d.MaxAge, "s-maxage": d.SMaxAge, "sie": d.StaleIfError, "swr": d.StaleWhileRevalidate} {
			checkDelta(t, name, dl)
		}
		if d.MaxStale.Present || d.MinFresh.Present || d.OnlyIfCached {
			t.Fatalf("%q: request directives taken from a response field: %+v", s, d)
		}
		for _, f := range append(d.NoCacheFields, d.PrivateFields...) {
			if f == "" || f != http.CanonicalHeaderKey(f) {
				t.Fatalf("field name %q not canonical", f)
			}
		}
		// An accepted field is a dictionary with at least one member
		// (an empty one is ignored, RFC 9213 §2.1).
		members, _ := parseSFDictionary(strings.Trim(s, " \t"))
		if len(members) == 0 {
			t.Fatalf("%q accepted with no member", s)
		}
	})
}
