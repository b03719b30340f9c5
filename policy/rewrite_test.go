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
