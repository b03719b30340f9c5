package cachedhttp

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/backends/memory"
)

func TestMaintenanceQueries(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, counter("max-age=60"), WithWriteQueue(0))
	h.get("/old")
	h.clk.Advance(2 * time.Minute) // /old is now stale and 2 min old
	h.get("/new")
	h.get("/api/v1/x")

	// Contains, by key, URL and request.
	if ok, err := h.tr.ContainsURL(ctx, h.o.URL+"/new", nil); err != nil || !ok {
		t.Fatalf("ContainsURL(/new) = %v, %v", ok, err)
	}
	if ok, _ := h.tr.ContainsURL(ctx, h.o.URL+"/none", nil); ok {
		t.Fatal("ContainsURL(/none) = true")
	}
	req, _ := http.NewRequest(http.MethodGet, h.o.URL+"/old", nil)
	key, _ := h.tr.Key(req)
	if ok, _ := h.tr.Contains(ctx, key); !ok {
		t.Fatal("Contains(key of /old) = false")
	}

	paths := func(f Filter) []string {
		var out []string
		for r := range h.tr.Find(ctx, f) {
			if r.Err != nil {
				t.Fatal(r.Err)
			}
			u := r.Response.Request.URL
			out = append(out, u[len(h.o.URL):])
		}
		slices.Sort(out)
		return out
	}
	if got := paths(Filter{Expired: true}); !slices.Equal(got, []string{"/old"}) {
		t.Fatalf("expired: %v", got)
	}
	if got := paths(Filter{Valid: true}); !slices.Equal(got, []string{"/api/v1/x", "/new"}) {
		t.Fatalf("valid: %v", got)
	}
	if got := paths(Filter{OlderThan: time.Minute}); !slices.Equal(got, []string{"/old"}) {
		t.Fatalf("older than 1m: %v", got)
	}
	host := h.o.URL[len("http://"):]
	if got := paths(Filter{URL: host + "/api/*"}); !slices.Equal(got, []string{"/api/v1/x"}) {
		t.Fatalf("URL glob: %v", got)
	}
	var urls []string
	for u, err := range h.tr.URLs(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		urls = append(urls, u)
	}
	if len(urls) != 3 {
		t.Fatalf("URLs: %v", urls)
	}

	// ResetExpiration makes everything fresh for an hour from now.
	if n, err := h.tr.ResetExpiration(ctx, time.Hour); err != nil || n != 3 {
		t.Fatalf("ResetExpiration = %d, %v", n, err)
	}
	if got := paths(Filter{Expired: true}); len(got) != 0 {
		t.Fatalf("expired after reset: %v", got)
	}
	if r := h.get("/old"); !r.info.FromCache {
		t.Fatal("/old not served after ResetExpiration")
	}

	// DeleteOlderThan.
	if n, err := h.tr.DeleteOlderThan(ctx, time.Minute); err != nil || n != 1 {
		t.Fatalf("DeleteOlderThan = %d, %v", n, err)
	}
	if ok, _ := h.tr.ContainsURL(ctx, h.o.URL+"/old", nil); ok {
		t.Fatal("/old still stored after DeleteOlderThan")
	}
}

// Import (requests-cache's update) copies records between caches with other
// serializers; RecreateKeys moves records after the key options changed,
// but never one keyed by a credential it cannot see.
func TestImportAndRecreateKeys(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, counter("max-age=60"), WithWriteQueue(0))
	h.get("/a?utm=1")
	h.get("/private", "Authorization", "Bearer alice")

	dst, err := NewTransport(WithBackend(memory.New(memory.Options{})), WithClock(h.clk.Now), WithSerializer(retainingSerializer))
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if n, err := dst.Import(ctx, h.tr); err != nil || n != 2 {
		t.Fatalf("Import = %d, %v", n, err)
	}
	if ok, _ := dst.ContainsURL(ctx, h.o.URL+"/a?utm=1", nil); !ok {
		t.Fatal("imported record missing")
	}

	// Re-key under WithIgnoredParams("utm"): /a moves; the Authorization
	// record cannot be re-keyed safely and stays where it is.
	h.tr.Close()
	tr2, err := NewTransport(WithBackend(h.be), WithClock(h.clk.Now), WithIgnoredParams("utm"), WithWriteQueue(0))
	if err != nil {
		t.Fatal(err)
	}
	defer tr2.Close()
	moved, skipped, err := tr2.RecreateKeys(ctx)
	if err != nil || moved != 1 || skipped != 1 {
		t.Fatalf("RecreateKeys = moved %d, skipped %d, %v; want 1, 1", moved, skipped, err)
	}
	if ok, _ := tr2.ContainsURL(ctx, h.o.URL+"/a?utm=2", nil); !ok {
		t.Fatal("re-keyed record not found under the new key")
	}
	if ok, _ := tr2.ContainsURL(ctx, h.o.URL+"/private", nil); ok {
		t.Fatal("a credential-keyed record was moved to the anonymous key")
	}
}
