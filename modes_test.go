package cachedhttp

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// requests-cache only_if_cached=True: nothing reaches the origin; a stored
// response, else stale when stale-if-error allows it, else 504.
func TestOnlyIfCachedSessionMode(t *testing.T) {
	h := newHarness(t, counter("max-age=60"))
	h.get("/a") // stored while online
	off, err := NewTransport(WithBackend(h.be), WithClock(h.clk.Now), WithOnlyIfCached(), WithStaleIfError(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	h.tr.Close()
	defer off.Close()
	h.tr, h.c = off, &http.Client{Transport: off}
	if r := h.get("/a"); !r.info.FromCache || r.info.Stale {
		t.Fatalf("fresh entry offline: %+v", r.info)
	}
	h.clk.Advance(2 * time.Minute) // stale now
	if r := h.get("/a"); r.resp.StatusCode != 200 || !r.info.Stale {
		t.Fatalf("stale entry offline with stale-if-error: status %d %+v", r.resp.StatusCode, r.info)
	}
	if r := h.get("/never"); r.resp.StatusCode != http.StatusGatewayTimeout {
		t.Fatalf("uncached URL offline: %d, want 504", r.resp.StatusCode)
	}
	h.wantHits(1)
}

// Per-request OnlyIfCached with an expired entry and stale-if-error
// configured serves the stale entry (RFC 5861 §4), as requests-cache does.
func TestOnlyIfCachedServesStaleWithStaleIfError(t *testing.T) {
	h := newHarness(t, counter("max-age=60"), WithStaleIfError(time.Hour))
	h.get("/s")
	h.clk.Advance(2 * time.Minute)
	r := h.getCtx(OnlyIfCached(context.Background()), "/s")
	if r.resp.StatusCode != 200 || !r.info.Stale {
		t.Fatalf("status %d, info %+v; want the stale entry", r.resp.StatusCode, r.info)
	}
	h.wantHits(1)
}

// requests-cache read_only=True: serve what is stored, never write, delete
// or sweep.
func TestReadOnlyMode(t *testing.T) {
	h := newHarness(t, counter("max-age=60"))
	h.get("/a")
	h.tr.Close()
	ro, err := NewTransport(WithBackend(h.be), WithClock(h.clk.Now), WithReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	h.tr, h.c = ro, &http.Client{Transport: ro}
	if r := h.get("/a"); !r.info.FromCache {
		t.Fatal("read-only cache did not serve a stored entry")
	}
	if r := h.get("/b"); strings.Contains(r.resp.Header.Get("Cache-Status"), "stored") {
		t.Fatalf("read-only cache claims stored: %q", r.resp.Header.Get("Cache-Status"))
	}
	h.get("/b")
	h.wantHits(3) // /a once before; /b twice: never stored
	req, _ := http.NewRequest(http.MethodPost, h.o.URL+"/a", nil)
	h.do(req) // would invalidate /a
	if r := h.get("/a"); !r.info.FromCache {
		t.Fatal("read-only cache deleted an entry on invalidation")
	}
	ctx := context.Background()
	if err := ro.Clear(ctx); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("Clear: %v, want ErrReadOnly", err)
	}
	if err := ro.Delete(ctx, "k"); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("Delete: %v, want ErrReadOnly", err)
	}
	if _, err := ro.DeleteExpired(ctx); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("DeleteExpired: %v, want ErrReadOnly", err)
	}
}

// Disable is scoped, nests, and is safe while other goroutines make
// requests (run with -race).
func TestDisableIsScopedAndThreadSafe(t *testing.T) {
	h := newHarness(t, counter("max-age=60"))
	h.get("/d")
	restore := h.tr.Disable()
	inner := h.tr.Disable()
	if r := h.get("/d"); r.info.FromCache {
		t.Fatal("served from cache while disabled")
	}
	inner()
	inner() // a second call does nothing
	if r := h.get("/d"); r.info.FromCache {
		t.Fatal("served from cache while the outer Disable holds")
	}
	restore()
	if r := h.get("/d"); !r.info.FromCache {
		t.Fatal("cache still off after restore")
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				h.get("/d")
				r := h.tr.Disable()
				r()
			}
		}()
	}
	wg.Wait()
}
