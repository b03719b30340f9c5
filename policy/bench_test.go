package policy

import (
	"net/http"
	"testing"
	"time"
)

func BenchmarkLookupFresh(b *testing.B) {
	p := &Policy{}
	req := get(b, "Accept", "application/json")
	resp := newResp(req, 200, "Date", httpDate(t0), "Cache-Control", "public, max-age=3600", "Etag", `"v1"`,
		"Content-Type", "application/json", "Last-Modified", httpDate(at(-time.Hour)))
	rec := stored(b, p, req, resp, t0)
	now := at(time.Minute)
	b.ReportAllocs()
	for b.Loop() {
		if d := p.Lookup(req, Controls{}, rec, now); d.Action != Serve {
			b.Fatal(d)
		}
	}
}

func BenchmarkLookupFreshWithRules(b *testing.B) {
	p := &Policy{Rules: []Rule{{Glob: "*.example.org/static", Expire: NeverExpire}, {Glob: "example.com/api/*", Expire: Expiry(time.Hour)}}}
	req := get(b, "Cache-Control", "max-age=600")
	resp := newResp(req, 200, "Date", httpDate(t0), "Cache-Control", "max-age=3600", "Etag", `"v1"`)
	rec := stored(b, p, req, resp, t0)
	now := at(time.Minute)
	b.ReportAllocs()
	for b.Loop() {
		if d := p.Lookup(req, Controls{}, rec, now); d.Action != Serve {
			b.Fatal(d)
		}
	}
}

func BenchmarkParseCacheControl(b *testing.B) {
	h := http.Header{"Cache-Control": {`public, max-age=3600, s-maxage=7200, stale-while-revalidate=60, stale-if-error=86400, must-revalidate`}}
	b.ReportAllocs()
	for b.Loop() {
		if d := ParseCacheControl(h); !d.MaxAge.Valid {
			b.Fatal(d)
		}
	}
}

func BenchmarkParseCacheControlQualified(b *testing.B) {
	h := http.Header{"Cache-Control": {`private="Set-Cookie", no-cache="X-Token, X-Trace", MAX-AGE="60"`}}
	b.ReportAllocs()
	for b.Loop() {
		ParseCacheControl(h)
	}
}

func BenchmarkStorable(b *testing.B) {
	p := &Policy{}
	req := get(b)
	resp := newResp(req, 200, "Date", httpDate(t0), "Cache-Control", "max-age=3600", "Etag", `"v1"`, "Vary", "Accept-Encoding")
	b.ReportAllocs()
	for b.Loop() {
		if st := p.Storable(req, Controls{}, nil, resp, t0, t0); !st.OK {
			b.Fatal(st)
		}
	}
}

func BenchmarkParseHTTPDate(b *testing.B) {
	s := httpDate(t0)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := ParseHTTPDate(s); !ok {
			b.Fatal(s)
		}
	}
}
