package cachedhttp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/bbolt"
	"github.com/cachedhttp/cachedhttp/backends/memory"
	"github.com/cachedhttp/cachedhttp/models"
)

// gatedBackend blocks Set of the key "gate" until open is closed.
type gatedBackend struct {
	backends.Backend
	entered chan struct{}
	open    chan struct{}
}

func newGated() *gatedBackend {
	return &gatedBackend{Backend: memory.New(memory.Options{}), entered: make(chan struct{}), open: make(chan struct{})}
}

func (g *gatedBackend) Set(ctx context.Context, key string, v []byte, ttl time.Duration) error {
	if key == "gate" {
		close(g.entered)
		<-g.open
	}
	return g.Backend.Set(ctx, key, v, ttl)
}

func newTestWriteBehind(b backends.Backend) *writeBehind {
	return newWriteBehind(b, false, retainingSerializer, 16, newLimitedLog(slog.New(slog.DiscardHandler)), &stats{})
}

// put queues rec under key as a response to a request that began now.
func put(w *writeBehind, key string, rec *models.Response) bool {
	return w.enqueue(key, w.generation(key), write{key: key, rec: rec})
}

func storedStatus(t *testing.T, b backends.Backend, key string) int {
	t.Helper()
	data, err := b.Get(context.Background(), key)
	if errors.Is(err, backends.ErrNotFound) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	rec, err := retainingSerializer.Unmarshal(data)
	if err != nil {
		t.Fatal(err)
	}
	return rec.StatusCode
}

// Invariant: a queued record is visible through the queue before the
// backend holds it (read your writes).
func TestWriteBehindReadYourWrites(t *testing.T) {
	g := newGated()
	w := newTestWriteBehind(g)
	put(w, "gate", &models.Response{StatusCode: 299})
	<-g.entered // the writer is busy
	rec := &models.Response{StatusCode: 200}
	put(w, "k", rec)
	if got, ok := w.lookup("k"); !ok || got != rec {
		t.Fatalf("queued record not visible: %v %v", got, ok)
	}
	if s := storedStatus(t, g, "k"); s != 0 {
		t.Fatalf("backend holds k before the writer ran: %d", s)
	}
	close(g.open)
	w.close(context.Background())
	if s := storedStatus(t, g, "k"); s != 200 {
		t.Fatalf("after close the backend holds %d, want 200", s)
	}
	if _, ok := w.lookup("k"); ok {
		t.Fatal("record still pending after it was written")
	}
}

// Invariant: a newer response is never overtaken by an older queued write.
func TestWriteBehindNewerNotOvertaken(t *testing.T) {
	g := newGated()
	w := newTestWriteBehind(g)
	put(w, "gate", &models.Response{StatusCode: 299})
	<-g.entered
	put(w, "k", &models.Response{StatusCode: 201}) // older
	put(w, "k", &models.Response{StatusCode: 202}) // newer
	close(g.open)
	w.close(context.Background())
	if s := storedStatus(t, g, "k"); s != 202 {
		t.Fatalf("stored %d, want the newer 202", s)
	}
}

// Invariant: an invalidation (delete) is never overtaken by a write queued
// before it (RFC 9111 §4.4).
func TestWriteBehindDeleteNotOvertaken(t *testing.T) {
	g := newGated()
	w := newTestWriteBehind(g)
	put(w, "gate", &models.Response{StatusCode: 299})
	<-g.entered
	put(w, "k", &models.Response{StatusCode: 200})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := w.delete(context.Background(), "k"); err != nil {
			t.Error(err)
		}
	}()
	close(g.open)
	wg.Wait()
	w.close(context.Background())
	if s := storedStatus(t, g, "k"); s != 0 {
		t.Fatalf("deleted key holds %d after the queued write drained", s)
	}
}

// After close, nothing is queued any more.
func TestWriteBehindClosedQueuesNothing(t *testing.T) {
	b := memory.New(memory.Options{})
	w := newTestWriteBehind(b)
	w.close(context.Background())
	put(w, "k", &models.Response{StatusCode: 200})
	if _, ok := w.lookup("k"); ok {
		t.Fatal("enqueue after close made the record pending")
	}
	if s := storedStatus(t, b, "k"); s != 0 {
		t.Fatal("enqueue after close stored the record")
	}
}

// Invariant: after stop returns, no refresh runs and none starts; one
// refresh per key at a time.
func TestRefresherStop(t *testing.T) {
	r := newRefresher(4)
	release := make(chan struct{})
	var mu sync.Mutex
	ran := map[string]int{}
	work := func(k string) func() func() {
		return func() func() {
			return func() {
				<-release
				mu.Lock()
				ran[k]++
				mu.Unlock()
			}
		}
	}
	r.start("a", work("a"))
	r.start("a", work("a")) // busy: dropped
	r.start("b", work("b"))
	stopped := make(chan struct{})
	go func() { r.stop(context.Background()); close(stopped) }()
	select {
	case <-stopped:
		t.Fatal("stop returned while refreshes were running")
	case <-time.After(20 * time.Millisecond):
	}
	close(release)
	<-stopped
	r.start("c", work("c"))
	mu.Lock()
	defer mu.Unlock()
	if ran["a"] != 1 || ran["b"] != 1 || ran["c"] != 0 {
		t.Fatalf("ran %v, want a=1 b=1 c=0", ran)
	}
}

// Invariant: a response whose request began before an invalidation of its
// URL is not stored after it.
func TestWriteBehindResponseOlderThanInvalidation(t *testing.T) {
	b := memory.New(memory.Options{})
	w := newTestWriteBehind(b)
	defer w.close(context.Background())
	gen := w.generation("k") // the request begins
	if _, err := w.invalidate(context.Background(), "", "k"); err != nil {
		t.Fatal(err)
	}
	if w.enqueue("k", gen, write{key: "k", rec: &models.Response{StatusCode: 200}}) {
		t.Fatal("a response older than the invalidation was queued")
	}
	if _, ok := w.lookup("k"); ok {
		t.Fatal("older response pending")
	}
	if !put(w, "k", &models.Response{StatusCode: 201}) {
		t.Fatal("a response to a request begun after the invalidation was refused")
	}
}

// countingBatcher counts the SetMany calls to a real bbolt file and the
// records they carry.
type countingBatcher struct {
	*bbolt.Backend
	mu    sync.Mutex
	calls []int
}

func (c *countingBatcher) SetMany(ctx context.Context, items []backends.Item) error {
	c.mu.Lock()
	c.calls = append(c.calls, len(items))
	c.mu.Unlock()
	return c.Backend.SetMany(ctx, items)
}

// writeInBatches queues recs under the keys k0, k1, … on a write-behind
// over a real bbolt file whose writer waits an hour for a batch to fill
// (and stops a batch at batchBytes of body): k0 first, then the rest once
// the writer took k0 and waits for company. Close cuts the wait short, so
// the batches are the same however the writer and the puts interleave. It
// checks that every record was stored and returns the records each
// SetMany call carried.
func writeInBatches(t *testing.T, batchBytes int, recs []*models.Response) []int {
	t.Helper()
	be, err := bbolt.Open(filepath.Join(t.TempDir(), "cache.db"), &bbolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close()
	c := &countingBatcher{Backend: be}
	w := newWriteBehindLinger(c, false, retainingSerializer, 16, newLimitedLog(slog.New(slog.DiscardHandler)), &stats{}, time.Hour)
	w.batchBytes = batchBytes // read by the writer only after it receives k0
	put(w, "k0", recs[0])
	for len(w.queue) > 0 {
		runtime.Gosched() // until the writer took k0 and waits for company
	}
	for i, rec := range recs[1:] {
		put(w, fmt.Sprint("k", i+1), rec)
	}
	if err := w.close(context.Background()); err != nil {
		t.Fatal(err)
	}
	for i, rec := range recs {
		if s := storedStatus(t, c, fmt.Sprint("k", i)); s != rec.StatusCode {
			t.Errorf("k%d: stored status %d, want %d", i, s, rec.StatusCode)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.calls)
}

// Records that queue while the writer waits for a batch to fill join it:
// one SetMany (one bbolt transaction, one fsync) for all of them.
func TestWriteBehindLingersForABatch(t *testing.T) {
	var recs []*models.Response
	for i := range 10 {
		recs = append(recs, &models.Response{StatusCode: 200 + i})
	}
	if calls := writeInBatches(t, maxBatchBytes, recs); fmt.Sprint(calls) != "[10]" {
		t.Errorf("SetMany calls carried %v records; want one call with all 10", calls)
	}
}

// A batch stops growing at batchBytes of body: records taken from the
// queue into a batch are no longer bounded by the queue's length, so large
// bodies must not pile up in one batch. The writer waits an hour for
// company, so only the byte bound (and close) ends a batch.
func TestWriteBehindBatchBoundedByBytes(t *testing.T) {
	body := make([]byte, 1024)
	var recs []*models.Response
	for i := range 8 {
		recs = append(recs, &models.Response{StatusCode: 200 + i, Body: body})
	}
	// Three 1 KiB bodies fill a batch of 3,000 bytes: k0, k1, k2 make the
	// first; the rest follow in batches of at most three.
	calls := writeInBatches(t, 3000, recs)
	total := 0
	for _, n := range calls {
		if n > 3 {
			t.Errorf("a batch carried %d records of 1 KiB past a 3,000-byte bound: %v", n, calls)
		}
		total += n
	}
	if total != 8 || len(calls) == 0 || calls[0] != 3 {
		t.Errorf("SetMany calls carried %v records; want 8 in all, the first 3", calls)
	}
}

// TestPendingMapCount: the count of queued keys follows stores (a key
// stored twice counts once), compare-and-deletes of the current and of a
// superseded record, deletes and clear, from several goroutines (under
// -race); the count is never 0 while a key is stored, and once everything
// is removed it is 0 again, so lookups skip the map.
func TestPendingMapCount(t *testing.T) {
	var p pendingMap
	a, b := &models.Response{}, &models.Response{}
	p.store("k", a)
	p.store("k", b) // supersedes a
	if got, ok := p.load("k"); !ok || got != b {
		t.Fatal("the newest record is not found")
	}
	p.compareAndDelete("k", a) // a superseded write lands: nothing removed
	if p.n.Load() != 1 {
		t.Fatalf("count %d after a superseded delete, want 1", p.n.Load())
	}
	p.compareAndDelete("k", b)
	if _, ok := p.load("k"); ok || p.n.Load() != 0 {
		t.Fatalf("count %d after the last delete, want 0", p.n.Load())
	}

	// Each goroutine stores its own keys (so it must find what it
	// stored) while another clears them all now and then.
	var wg sync.WaitGroup
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
				p.clear()
			}
		}
	}()
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 3000 {
				k := fmt.Sprintf("g%d-k%d", g, i%7)
				rec := &models.Response{}
				p.store(k, rec)
				// Only this goroutine adds k: if k is there after
				// the count was read, it was there when it was read.
				n := p.n.Load()
				if _, ok := p.m.Load(k); ok && n < 1 {
					t.Errorf("count %d with key %s stored", n, k)
					return
				}
				switch i % 3 {
				case 0:
					p.compareAndDelete(k, rec)
				case 1:
					p.delete(k)
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	p.clear()
	if n := p.n.Load(); n != 0 {
		t.Fatalf("count %d once every key is removed, want 0", n)
	}
	p.m.Range(func(k, _ any) bool { t.Fatalf("key %v left", k); return false })
}
