package policy

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/models"
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

// BenchmarkLookupPreparedFresh is BenchmarkLookupFresh on a record
// prepared once, as the transport's decoded-record cache keeps it.
func BenchmarkLookupPreparedFresh(b *testing.B) {
	p := &Policy{}
	req := get(b, "Accept", "application/json")
	resp := newResp(req, 200, "Date", httpDate(t0), "Cache-Control", "public, max-age=3600", "Etag", `"v1"`,
		"Content-Type", "application/json", "Last-Modified", httpDate(at(-time.Hour)))
	pr := p.Prepare(stored(b, p, req, resp, t0))
	now := at(time.Minute)
	b.ReportAllocs()
	for b.Loop() {
		if d := p.LookupPrepared(req, Controls{}, pr, now); d.Action != Serve {
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

func BenchmarkRuleForGlobWithQuery(b *testing.B) {
	p := &Policy{Rules: []Rule{
		{Glob: "*.example.org/static", Expire: NeverExpire},
		{Glob: "API.example.com/v[12]/*?page=[0-9]*", Expire: Expiry(time.Hour)},
	}}
	u, err := url.Parse("https://api.example.com/v2/items/list?page=7&sort=asc")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := p.RuleFor(u); !ok {
			b.Fatal("no match")
		}
	}
}

func BenchmarkStorableTargeted(b *testing.B) {
	p := &Policy{Shared: true, TargetedFields: []string{"Example-Cache-Control", "CDN-Cache-Control"}}
	req := get(b)
	resp := newResp(req, 200, "Date", httpDate(t0), "Cache-Control", "no-store",
		"CDN-Cache-Control", `max-age=600, stale-if-error=60, no-cache="X-Token"`, "Etag", `"v1"`)
	b.ReportAllocs()
	for b.Loop() {
		if st := p.Storable(req, Controls{}, nil, resp, t0, t0); !st.OK {
			b.Fatal(st.Reason)
		}
	}
}

// BenchmarkFreshen304 merges a 304 that moves only Date into a stored
// no-cache response with six fields, as the transport does on every
// revalidation of such a response.
func BenchmarkFreshen304(b *testing.B) {
	p := &Policy{}
	req := get(b)
	stored := newResp(req, 200, "Date", httpDate(t0), "Cache-Control", "no-cache", "Etag", `"v1"`,
		"Last-Modified", httpDate(t0.Add(-time.Hour)), "Content-Type", "application/octet-stream", "Content-Length", "1024")
	st := p.Storable(req, Controls{}, nil, stored, t0, t0)
	rec := &models.Response{StatusCode: 200, Header: st.Header, Body: make([]byte, 1024), Expires: st.Expires, Revalidate: st.Revalidate,
		RequestTime: t0, ResponseTime: t0, Request: models.Request{Method: http.MethodGet, URL: req.URL.String()}}
	nm := newResp(req, http.StatusNotModified, "Date", httpDate(t0.Add(time.Minute)), "Cache-Control", "no-cache", "Etag", `"v1"`,
		"Last-Modified", httpDate(t0.Add(-time.Hour)), "Content-Type", "application/octet-stream")
	b.ReportAllocs()
	for b.Loop() {
		if out, st := p.Freshen(req, Controls{}, rec, nm, t0.Add(time.Minute), t0.Add(time.Minute)); out == nil || !st.OK || !st.OnlyDate {
			b.Fatal(st)
		}
	}
}
