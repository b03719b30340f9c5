package cachedhttp

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/backends/bbolt"
)

// opCounter counts backend calls by operation.
type opCounter struct {
	mu  sync.Mutex
	ops map[BackendOp]int
}

func (c *opCounter) ObserveRequest(RequestEvent)        {}
func (c *opCounter) ObserveOrigin(time.Duration, error) {}
func (c *opCounter) ObserveBackend(op BackendOp, _ time.Duration, _ error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ops == nil {
		c.ops = map[BackendOp]int{}
	}
	c.ops[op]++
}

func (c *opCounter) gets() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ops[BackendGet]
}

// TestVersionedStoreHitSkipsRead: with bbolt, which no other process can
// write (backends.Versioned), a fresh record decoded once is served again
// without reading the file while nothing was written; any write, a delete
// or the end of freshness makes the next request read it again.
func TestVersionedStoreHitSkipsRead(t *testing.T) {
	be, err := bbolt.Open(t.TempDir()+"/cache.db", nil)
	if err != nil {
		t.Fatal(err)
	}
	obs := &opCounter{}
	h := newHarnessWith(t, be, counter("max-age=60"), WithObserver(obs), WithWriteQueue(0))
	first := h.get("/a")
	if first.info.FromCache {
		t.Fatal("first request served from the cache")
	}
	h.get("/a") // reads and decodes the record
	before := obs.gets()
	for range 3 {
		if r := h.get("/a"); !r.info.FromCache || r.body != first.body {
			t.Fatalf("hit: from cache %v, body %q", r.info.FromCache, r.body)
		}
	}
	if got := obs.gets() - before; got != 0 {
		t.Fatalf("%d backend reads for hits on an unchanged store, want 0", got)
	}

	h.get("/b") // a write elsewhere: the store's version moves
	before = obs.gets()
	if r := h.get("/a"); !r.info.FromCache || r.body != first.body {
		t.Fatalf("hit after a write: from cache %v, body %q", r.info.FromCache, r.body)
	}
	if obs.gets() == before {
		t.Fatal("no backend read after the store changed")
	}

	req, _ := http.NewRequest(http.MethodGet, h.o.URL+"/a", nil)
	key, err := h.tr.Key(req)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.tr.Delete(context.Background(), key); err != nil {
		t.Fatal(err)
	}
	if r := h.get("/a"); r.info.FromCache {
		t.Fatal("served from the decoded cache after Delete")
	}
	h.get("/a")
	h.clk.Advance(2 * time.Minute) // stale: the read is not skipped
	before = obs.gets()
	h.get("/a")
	if obs.gets() == before {
		t.Fatal("a stale record was used without reading the store")
	}
}
