// Package scenario drives a cachedhttp Transport through a known sequence of
// requests against an httptest origin, for the exporters' tests: each
// exporter runs the same Sequence and checks what it exports against
// Want.
package scenario

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp"
	"github.com/cachedhttp/cachedhttp/backends/memory"
)

// BodySize is the length of every response body the origin sends.
const BodySize = 100

// Counts are the numbers an exporter must report after Sequence.
type Counts struct {
	// Requests by outcome; all GET but the bypasses, which are POST.
	Hit, Stale, Revalidated, Miss, Bypass int64
	// OriginRequests counts calls to the origin; OriginErrors those
	// without a response.
	OriginRequests, OriginErrors int64
	// BackendGets, BackendSets and BackendDeletes count backend calls by
	// operation (the write queue is off: each store is one Set).
	BackendGets, BackendSets, BackendDeletes int64
	// ServedBytes is the body bytes served from the cache.
	ServedBytes int64
	// Transport.Stats and the backend.
	Stores, Revalidations, StaleIfError, Invalidations, Collapsed, Evictions int64
}

// Want is what Sequence does, step by step:
//
//  1. GET /a, /b, /e: 3 misses, 3 stores (3 Gets, 3 Sets).
//  2. GET /a 3 times and /b twice: 5 hits (2 Gets: the first hit of each
//     URL reads and decodes its record; the others reuse the decoded record,
//     the memory store being unchanged since, backends.Versioned).
//  3. Two minutes later (the records are stale), GET /a: a conditional
//     request answered 304: revalidated, the record stored again (1 Get,
//     1 Set).
//  4. The origin fails; GET /e: the conditional request gets a 500 and the
//     stale record is served (stale-if-error) (1 Get).
//  5. POST /submit twice: 2 bypasses, each invalidating its URL (2 Deletes).
//  6. GET /z: a miss, stored; the memory backend holds 3 entries, so the
//     least recently used one (/b) is evicted (1 Get, 1 Set).
var Want = Counts{
	Hit: 5, Stale: 1, Revalidated: 1, Miss: 4, Bypass: 2,
	OriginRequests: 4 + 1 + 1 + 2, OriginErrors: 0,
	BackendGets: 3 + 2 + 1 + 1 + 1, BackendSets: 3 + 1 + 1, BackendDeletes: 2,
	ServedBytes: (5 + 1 + 1) * BodySize,
	Stores:      4 + 1, Revalidations: 2, StaleIfError: 1, Invalidations: 2, Collapsed: 0, Evictions: 1,
}

// Clock is a settable clock for cachedhttp.WithClock and the origin's Date
// header.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a Clock at a fixed date.
func NewClock() *Clock {
	return &Clock{now: time.Date(2026, time.January, 2, 3, 4, 5, 0, time.UTC)}
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Origin is an httptest server whose responses are fresh for a minute,
// stale-if-error for an hour, and revalidate with a 304; once Fail is set
// it answers 500 to every GET.
type Origin struct {
	*httptest.Server
	Fail  atomic.Bool
	clock *Clock
}

// NewOrigin starts an Origin whose Date header reads clock; t's cleanup
// closes it.
func NewOrigin(t testing.TB, clock *Clock) *Origin {
	o := &Origin{clock: clock}
	o.Server = httptest.NewServer(http.HandlerFunc(o.serve))
	t.Cleanup(o.Close)
	return o
}

func (o *Origin) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Date", o.clock.Now().UTC().Format(http.TimeFormat))
	if r.Method != http.MethodGet {
		io.Copy(io.Discard, r.Body)
		w.Write([]byte("ok"))
		return
	}
	if o.Fail.Load() {
		http.Error(w, "origin down", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Cache-Control", "max-age=60, stale-if-error=3600")
	w.Header().Set("ETag", `"v1"`)
	if r.Header.Get("If-None-Match") == `"v1"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Write([]byte(strings.Repeat("x", BodySize)))
}

// NewTransport returns a Transport for Sequence: observed by obs, on a
// memory backend bounded to 3 entries, with clock and writes made
// synchronously (so that the counts do not depend on a writer goroutine).
func NewTransport(t testing.TB, obs cachedhttp.Observer, clock *Clock) *cachedhttp.Transport {
	tr, err := cachedhttp.NewTransport(
		cachedhttp.WithBackend(memory.New(memory.Options{MaxEntries: 3})),
		cachedhttp.WithObserver(obs),
		cachedhttp.WithClock(clock.Now),
		cachedhttp.WithWriteQueue(0),
	)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}

// Sequence makes the requests Want describes through tr to origin.
func Sequence(t testing.TB, tr *cachedhttp.Transport, origin *Origin, clock *Clock) {
	t.Helper()
	c := &http.Client{Transport: tr}
	do := func(method, path string, want cachedhttp.Outcome) {
		t.Helper()
		req, err := http.NewRequest(method, origin.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := outcome(resp); got != want {
			t.Fatalf("%s %s: outcome %s (Cache-Status %q), want %s", method, path, got, resp.Header.Values("Cache-Status"), want)
		}
	}
	for _, p := range []string{"/a", "/b", "/e"} {
		do(http.MethodGet, p, cachedhttp.OutcomeMiss)
	}
	for _, p := range []string{"/a", "/a", "/a", "/b", "/b"} {
		do(http.MethodGet, p, cachedhttp.OutcomeHit)
	}
	clock.Advance(2 * time.Minute)
	do(http.MethodGet, "/a", cachedhttp.OutcomeRevalidated)
	origin.Fail.Store(true)
	do(http.MethodGet, "/e", cachedhttp.OutcomeStale)
	origin.Fail.Store(false)
	do(http.MethodPost, "/submit", cachedhttp.OutcomeBypass)
	do(http.MethodPost, "/submit", cachedhttp.OutcomeBypass)
	do(http.MethodGet, "/z", cachedhttp.OutcomeMiss)
}

// outcome classifies resp as the Transport's Observer does, so that a
// wrong step fails here, before the exporter is looked at.
func outcome(resp *http.Response) cachedhttp.Outcome {
	in := cachedhttp.Info(resp)
	switch {
	case in.Revalidated:
		return cachedhttp.OutcomeRevalidated
	case in.Stale:
		return cachedhttp.OutcomeStale
	case in.FromCache:
		return cachedhttp.OutcomeHit
	}
	for _, v := range in.CacheStatus {
		if strings.Contains(v, "fwd=method") || strings.Contains(v, "fwd=bypass") {
			return cachedhttp.OutcomeBypass
		}
	}
	return cachedhttp.OutcomeMiss
}
