package cachedhttp

import (
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// With the user's expiry, every hop of a redirect chain is stored, so a
// repeated request for the first URL makes no network request (as
// requests-cache aliases each hop to the final response).
func TestRedirectChainReplayedFromCache(t *testing.T) {
	for _, code := range []int{301, 302, 303, 307, 308} {
		t.Run(http.StatusText(code), func(t *testing.T) {
			h := newHarness(t, func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case "/a":
					http.Redirect(w, r, "/b", code)
				case "/b":
					http.Redirect(w, r, "/c", http.StatusFound)
				default:
					w.Write([]byte("final"))
				}
			}, WithExpireAfter(time.Hour))
			for i := range 2 {
				resp, err := h.c.Get(h.o.URL + "/a")
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body) // a body is stored once read whole
				resp.Body.Close()
				if resp.Request.URL.Path != "/c" {
					t.Fatalf("round %d ended at %s", i, resp.Request.URL)
				}
			}
			h.wantHits(3) // the first chain only
		})
	}
}

// Under pure HTTP semantics (no user expiry), a 302 is stored only with
// explicit freshness (RFC 9111 §3, RFC 9110 §15.4.3), a 301 on heuristics
// (RFC 9110 §15.4.2: heuristically cacheable).
func TestRFC9111_3_RedirectsUnderHTTPSemantics(t *testing.T) {
	var hits atomic.Int64
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		switch r.URL.Path {
		case "/302-fresh":
			w.Header().Set("Cache-Control", "max-age=60")
			http.Redirect(w, r, "/x", http.StatusFound)
		case "/302":
			http.Redirect(w, r, "/x", http.StatusFound)
		case "/301":
			w.Header().Set("Last-Modified", time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat))
			http.Redirect(w, r, "/x", http.StatusMovedPermanently)
		}
	})
	noFollow := &http.Client{Transport: h.tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, c := range []struct {
		path   string
		stored bool
	}{{"/302-fresh", true}, {"/302", false}, {"/301", true}} {
		for range 2 {
			resp, err := noFollow.Get(h.o.URL + c.path)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		before := hits.Load()
		resp, _ := noFollow.Get(h.o.URL + c.path)
		resp.Body.Close()
		if got := hits.Load() == before; got != c.stored {
			t.Errorf("%s: served from cache %v, want %v", c.path, got, c.stored)
		}
	}
}

// Info carries requests-cache's size and is_expired.
func TestInfoSizeAndExpired(t *testing.T) {
	h := newHarness(t, counter("max-age=60"), WithStaleIfError(time.Hour))
	r := h.get("/i")
	r = h.get("/i")
	if r.info.Size != int64(len(r.body)) || r.info.Expired || r.info.IsExpired() {
		t.Fatalf("fresh hit: size %d (body %d), expired %v", r.info.Size, len(r.body), r.info.Expired)
	}
	h.clk.Advance(2 * time.Minute)
	h.o.Close() // the origin fails: stale-if-error serves the expired record
	r = h.get("/i")
	if !r.info.Expired || !r.info.IsExpired() {
		t.Fatalf("stale-if-error hit: expired %v, want true", r.info.Expired)
	}
}

// The filter applies on read too: a stored response it now rejects is a
// miss and is deleted (requests-cache's filter_fn).
func TestFilterAppliedOnRead(t *testing.T) {
	var reject atomic.Bool
	h := newHarness(t, counter("max-age=60"), WithFilter(func(r *http.Response) bool {
		return !reject.Load() || !strings.Contains(r.Request.URL.Path, "/bad")
	}), WithWriteQueue(0))
	h.get("/bad")
	if r := h.get("/bad"); !r.info.FromCache {
		t.Fatal("not stored while the filter accepted it")
	}
	reject.Store(true)
	if r := h.get("/bad"); r.info.FromCache {
		t.Fatal("a record the filter now rejects was served")
	}
	h.wantHits(2)
}

// X-HTTP-Method-Override: a GET the origin will treat as DELETE is never
// answered from the cache.
func TestMethodOverrideIsNotServedFromCache(t *testing.T) {
	h := newHarness(t, counter("max-age=60"))
	h.get("/m")
	if r := h.get("/m", "X-HTTP-Method-Override", "DELETE"); r.info.FromCache {
		t.Fatal("a GET overridden to DELETE was served from the cache")
	}
	h.wantHits(2)
}
