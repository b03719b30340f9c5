package inspect

import (
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp"
)

func TestRedactURL(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"https://api.example/v1/items", "https://api.example/v1/items"},
		{"https://user:pw@api.example/x?token=s3cret&page=2#frag", "https://api.example/x?token=…&page=…"},
		{"http://h/p?flag&&a=", "http://h/p?flag=…&a=…"},
	} {
		u, err := url.Parse(c.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := redactURL(u); got != c.want {
			t.Errorf("redactURL(%s) = %s, want %s", c.in, got, c.want)
		}
	}
}

func TestRingKeepsTheLatest(t *testing.T) {
	r := NewRecorder(3, nil)
	for i := range 5 {
		r.ObserveRequest(cachedhttp.RequestEvent{Outcome: cachedhttp.OutcomeHit, Status: 200 + i, BytesFromCache: 10})
	}
	ev := r.recent(10)
	if len(ev) != 3 || ev[0].Status != 204 || ev[2].Status != 202 {
		t.Errorf("recent: %+v", ev)
	}
	tot := r.totals()
	if tot.Bytes != 50 || tot.Outcomes[0] != (outcomeCount{cachedhttp.OutcomeHit, 5}) || tot.Wrapped {
		t.Errorf("totals: %+v", tot)
	}
}

type rtFunc func(*http.Request) (*http.Response, error)

func (f rtFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestWrapRecordsCacheStatus(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	r := NewRecorder(0, func() time.Time { return now })
	// A response that did not come through a Transport: Info reads the
	// Cache-Status header, and the key is unknown.
	rt := r.Wrap(rtFunc(func(req *http.Request) (*http.Response, error) {
		if req.URL.Path == "/fail" {
			return nil, errors.New("boom")
		}
		h := http.Header{"Cache-Status": {"cachedhttp; hit; ttl=30"}}
		return &http.Response{StatusCode: 200, Header: h, Body: http.NoBody, Request: req}, nil
	}))
	req, _ := http.NewRequest("", "http://u:p@h/a?k=v", nil)
	if _, err := rt.RoundTrip(req); err != nil {
		t.Fatal(err)
	}
	req, _ = http.NewRequest(http.MethodGet, "http://h/fail", nil)
	if _, err := rt.RoundTrip(req); err == nil {
		t.Fatal("the error was lost")
	}
	ev := r.recentKeyed(10)
	if len(ev) != 2 {
		t.Fatalf("%d events", len(ev))
	}
	if e := ev[1]; e.Outcome != cachedhttp.OutcomeHit || e.CacheStatus != "cachedhttp; hit; ttl=30" || e.URL != "http://h/a?k=…" || e.Method != "GET" || !e.Time.Equal(now) {
		t.Errorf("hit event: %+v", e)
	}
	if e := ev[0]; e.Outcome != cachedhttp.OutcomeError || e.Status != 0 {
		t.Errorf("error event: %+v", e)
	}
	if !r.totals().Wrapped || len(r.recent(10)) != 0 {
		t.Error("Wrap events went to the Observer's ring")
	}
}
