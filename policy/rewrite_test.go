package policy_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/models"
	"github.com/cachedhttp/cachedhttp/policy"
)

// TestNeedsRewrite_RFC9111_4_3_4 pins when a freshened record is written
// back: RFC 9111 §4.3.4 updates the stored response with the 304's fields;
// for a response revalidated on every use (§5.2.2.4 no-cache) an update
// that moves only Date changes nothing later requests can observe, and is
// not written.
func TestNeedsRewrite_RFC9111_4_3_4(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	body := []byte("hello")
	old := &models.Response{
		StatusCode: 200, Body: body, Revalidate: true, ResponseTime: t0,
		Header: http.Header{"Date": {"Mon, 30 Nov 2026 12:00:00 GMT"}, "Cache-Control": {"no-cache"}, "Etag": {`"v1"`}},
	}
	fresh := func(edit func(*models.Response)) *models.Response {
		f := *old
		f.Header = old.Header.Clone()
		f.Header["Date"] = []string{"Mon, 30 Nov 2026 12:00:10 GMT"}
		f.ResponseTime = t0.Add(10 * time.Second)
		if edit != nil {
			edit(&f)
		}
		return &f
	}
	ok := policy.Store{OK: true, TTL: 24 * time.Hour}
	tests := []struct {
		name  string
		fresh *models.Response
		st    policy.Store
		want  bool
	}{
		{"only Date moved: no write", fresh(nil), ok, false},
		{"not storable: nothing to write", fresh(nil), policy.Store{}, false},
		{"a new field: write (§3.2 update)", fresh(func(r *models.Response) { r.Header["X-New"] = []string{"1"} }), ok, true},
		{"a changed field: write", fresh(func(r *models.Response) { r.Header["Cache-Control"] = []string{"no-cache, max-age=5"} }), ok, true},
		{"a removed field: write", fresh(func(r *models.Response) { delete(r.Header, "Etag") }), ok, true},
		{"fresh for a while now: write (its freshness must be stored)", fresh(func(r *models.Response) { r.Revalidate = false }), ok, true},
		{"a stale-if-error window moves with Date: write (RFC 5861 §4)", fresh(func(r *models.Response) { r.StaleUntil = r.ResponseTime.Add(time.Hour) }), ok, true},
		{"a different body: write", fresh(func(r *models.Response) { r.Body = []byte("other") }), ok, true},
		{"the same bytes in another array: no write", fresh(func(r *models.Response) { r.Body = []byte("hello") }), ok, false},
		{"older than half the backend lifetime: write (refresh the TTL)", fresh(func(r *models.Response) { r.ResponseTime = t0.Add(13 * time.Hour) }), ok, true},
		{"no backend lifetime (kept forever): no write", fresh(nil), policy.Store{OK: true}, false},
		{"clock went back: write", fresh(func(r *models.Response) { r.ResponseTime = t0.Add(-time.Minute) }), ok, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := policy.NeedsRewrite(old, tt.fresh, tt.st); got != tt.want {
				t.Errorf("NeedsRewrite = %v, want %v", got, tt.want)
			}
		})
	}
	if policy.NeedsRewrite(nil, fresh(nil), ok) != true {
		t.Error("NeedsRewrite with no stored record: want true")
	}
}

// TestFreshenOnlyDate_RFC9111_3_2: Freshen reports Store.OnlyDate exactly
// when the 304's fields, other than Date and the ones §3.1 and §3.2 keep
// from the stored response, give the stored header no new value; and
// NeedsRewrite decides the same with the report as by comparing headers.
func TestFreshenOnlyDate_RFC9111_3_2(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	p := &policy.Policy{}
	stored := &models.Response{
		StatusCode: 200, Body: []byte("hello"), Revalidate: true, RequestTime: t0, ResponseTime: t0,
		Header: http.Header{"Date": {"Mon, 30 Nov 2026 12:00:00 GMT"}, "Cache-Control": {"no-cache"}, "Etag": {`"v1"`},
			"Content-Length": {"5"}},
		Request: models.Request{Method: http.MethodGet, URL: "https://example.test/a"},
	}
	req, _ := http.NewRequest(http.MethodGet, "https://example.test/a", nil)
	base := func() http.Header {
		return http.Header{"Date": {"Mon, 30 Nov 2026 12:00:10 GMT"}, "Etag": {`"v1"`}, "Cache-Control": {"no-cache"}}
	}
	tests := []struct {
		name string
		edit func(http.Header)
		want bool
	}{
		{"Date alone", nil, true},
		{"Date and the same Cache-Control and ETag", func(h http.Header) {}, true},
		{"hop-by-hop fields are not merged (§3.1)", func(h http.Header) {
			h["Connection"] = []string{"keep-alive, X-Hop"}
			h["Keep-Alive"] = []string{"timeout=5"}
			h["X-Hop"] = []string{"1"}
			h["Transfer-Encoding"] = []string{"chunked"}
		}, true},
		{"Content-Length is not merged (§3.2)", func(h http.Header) { h["Content-Length"] = []string{"0"} }, true},
		{"a changed Cache-Control", func(h http.Header) { h["Cache-Control"] = []string{"no-cache, max-age=60"} }, false},
		{"a new field", func(h http.Header) { h["X-Request-Id"] = []string{"7"} }, false},
		{"a field in lower case, canonicalised", func(h http.Header) { h["x-new"] = []string{"1"} }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := base()
			if tt.edit != nil {
				tt.edit(h)
			}
			resp := &http.Response{StatusCode: http.StatusNotModified, Header: h, Request: req}
			rec, st := p.Freshen(req, policy.Controls{}, stored, resp, t0.Add(10*time.Second), t0.Add(10*time.Second))
			if rec == nil || !st.OK {
				t.Fatalf("Freshen = %v, %+v", rec, st)
			}
			if st.OnlyDate != tt.want {
				t.Errorf("OnlyDate = %v, want %v (merged header %v)", st.OnlyDate, tt.want, rec.Header)
			}
			withReport := policy.NeedsRewrite(stored, rec, st)
			st.OnlyDate = false
			if byComparing := policy.NeedsRewrite(stored, rec, st); withReport != byComparing {
				t.Errorf("NeedsRewrite with OnlyDate = %v, by comparing headers = %v", withReport, byComparing)
			}
			if got := rec.Header.Get("Date"); got != "Mon, 30 Nov 2026 12:00:10 GMT" {
				t.Errorf("merged Date = %q", got)
			}
			for _, f := range []string{"Connection", "Keep-Alive", "X-Hop", "Transfer-Encoding"} {
				if _, ok := rec.Header[f]; ok {
					t.Errorf("merged header holds %s", f)
				}
			}
			if got := rec.Header.Get("Content-Length"); got != "5" {
				t.Errorf("merged Content-Length = %q, want the stored 5", got)
			}
		})
	}
}
