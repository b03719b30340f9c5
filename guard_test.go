package cachedhttp

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/memory"
)

// faultyBackend is a network-like store (not backends.Local) whose calls
// can hang ignoring their context, as a client without read deadlines does.
type faultyBackend struct {
	backends.Backend
	calls  atomic.Int64
	mu     sync.Mutex
	hung   bool
	unhang chan struct{}
}

func newFaulty() *faultyBackend {
	return &faultyBackend{Backend: memory.New(memory.Options{}), unhang: make(chan struct{})}
}

func (f *faultyBackend) IsLocal() bool { return false }

func (f *faultyBackend) setHung(h bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.hung && !h {
		close(f.unhang)
		f.unhang = make(chan struct{})
	}
	f.hung = h
}

func (f *faultyBackend) wait() {
	f.calls.Add(1)
	f.mu.Lock()
	hung, ch := f.hung, f.unhang
	f.mu.Unlock()
	if hung {
		<-ch // ignores the context, as a hung client does
	}
}

func (f *faultyBackend) Get(ctx context.Context, k string) ([]byte, error) {
	f.wait()
	return f.Backend.Get(ctx, k)
}

func (f *faultyBackend) Set(ctx context.Context, k string, v []byte, ttl time.Duration) error {
	f.wait()
	return f.Backend.Set(ctx, k, v, ttl)
}

func (f *faultyBackend) Delete(ctx context.Context, k ...string) error {
	f.wait()
	return f.Backend.Delete(ctx, k...)
}

// A hung store costs each request at most the read budget while the
// breaker is closed, no backend call at all once it is open, and caching
// resumes after the backoff once the store answers again. No error reaches
// the caller.
func TestHungBackendIsBoundedAndBreakerOpens(t *testing.T) {
	fb := newFaulty()
	t.Cleanup(func() { fb.setHung(false) })
	h := newHarness(t, counter("max-age=60"), WithBackend(fb), WithBackendBudget(20*time.Millisecond, 20*time.Millisecond),
		WithBreaker(3, time.Minute), WithWriteQueue(0))
	fb.setHung(true)
	for i := range 3 {
		r := h.get("/x") // would hang forever without the budget
		if r.info.FromCache || r.resp.StatusCode != 200 {
			t.Fatalf("request %d: %d from cache %v", i, r.resp.StatusCode, r.info.FromCache)
		}
	}
	if st := h.tr.Stats(); st.Breaker != BreakerOpen || st.BreakerOpens != 1 {
		t.Fatalf("after 3 timeouts: breaker %s, opens %d; want open, 1", st.Breaker, st.BreakerOpens)
	}
	calls := fb.calls.Load()
	for range 5 {
		h.get("/x")
	}
	if n := fb.calls.Load(); n != calls {
		t.Fatalf("open breaker let %d backend calls through", n-calls)
	}
	if st := h.tr.Stats(); st.BackendSkipped == 0 {
		t.Fatal("BackendSkipped not counted")
	}
	// The store recovers; after the backoff one probe closes the breaker.
	fb.setHung(false)
	h.clk.Advance(2 * time.Minute)
	h.get("/y") // probe (a miss), then stored
	if st := h.tr.Stats(); st.Breaker != BreakerClosed {
		t.Fatalf("after a good probe: breaker %s, want closed", st.Breaker)
	}
	if r := h.get("/y"); !r.info.FromCache {
		t.Fatal("caching did not resume after the breaker closed")
	}
}

// A burst of calls in flight when the breaker opens fails afterwards, call
// by call; those failures neither open it again nor double its backoff, so
// the first probe comes one backoff later. (Each of them used to double it:
// 64 concurrent misses over a hung store pushed the backoff to its 30 s
// maximum at once.)
func TestBurstInFlightDoesNotExtendTheBackoff(t *testing.T) {
	fb := newFaulty()
	t.Cleanup(func() { fb.setHung(false) })
	h := newHarness(t, counter("max-age=60"), WithBackend(fb), WithBackendBudget(20*time.Millisecond, 20*time.Millisecond),
		WithBreaker(3, time.Second))
	fb.setHung(true)
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Go(func() {
			resp, err := h.c.Get(h.o.URL + "/burst/" + strconv.Itoa(i))
			if err != nil {
				t.Errorf("request %d: %v", i, err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		})
	}
	wg.Wait()
	if st := h.tr.Stats(); st.BreakerOpens != 1 || st.Breaker != BreakerOpen {
		t.Fatalf("after a burst: breaker %s, opened %d times; want open, once", st.Breaker, st.BreakerOpens)
	}
	h.clk.Advance(1100 * time.Millisecond)
	if st := h.tr.Stats(); st.Breaker != BreakerHalfOpen {
		t.Fatalf("one backoff after the burst: breaker %s, want half-open (a probe due)", st.Breaker)
	}
}

// The caller's deadline holds even when it is shorter than the budget.
func TestCallerDeadlineHoldsOverHungBackend(t *testing.T) {
	fb := newFaulty()
	t.Cleanup(func() { fb.setHung(false) })
	h := newHarness(t, counter("max-age=60"), WithBackend(fb), WithBackendBudget(time.Hour, time.Hour))
	fb.setHung(true)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, h.o.URL+"/d", nil)
	resp, err := h.c.Do(req)
	// The backend's share of the deadline ends it: either the origin answered
	// in what was left, or the caller's deadline error. Never a hang.
	if err == nil {
		resp.Body.Close()
	} else if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want a deadline error", err)
	}
}

// Close is bounded: with the store hung, queued writes are dropped when the
// close timeout ends, and counted.
func TestCloseIsBoundedWithHungBackend(t *testing.T) {
	fb := newFaulty()
	t.Cleanup(func() { fb.setHung(false) })
	clk := newClock()
	o := newOrigin(t, clk, counter("max-age=60"))
	tr, err := NewTransport(WithBackend(fb), WithClock(clk.Now), WithBackendBudget(20*time.Millisecond, time.Hour),
		WithCloseTimeout(50*time.Millisecond), WithBreaker(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	fb.setHung(true)
	c := &http.Client{Transport: tr}
	for i := range 16 {
		resp, err := c.Get(o.URL + "/w" + string(rune('a'+i)))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body) // queues a write; the writer hangs on the first
		resp.Body.Close()
	}
	err = tr.Close()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close = %v, want a deadline error naming the dropped writes", err)
	}
	if st := tr.Stats(); st.DroppedWrites == 0 {
		t.Fatalf("no dropped writes counted: %+v", st)
	}
}

var (
	flakyOnce  sync.Once
	flakyFails atomic.Int64 // opens to fail before one succeeds
	flakyOpens atomic.Int64
)

func registerFlaky() {
	flakyOnce.Do(func() {
		backends.Register("flakytest", func(ctx context.Context, u *url.URL) (backends.Backend, error) {
			flakyOpens.Add(1)
			if flakyFails.Add(-1) >= 0 {
				return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
			}
			return memory.New(memory.Options{}), nil
		})
	})
}

// A store that cannot be reached at start leaves the Transport serving
// plain HTTP, and is opened in the background; WithRequireBackend makes it
// a hard failure.
func TestUnreachableBackendAtStart(t *testing.T) {
	registerFlaky()
	flakyFails.Store(1)
	if _, err := NewTransport(WithBackendDSN("flakytest://x"), WithRequireBackend()); err == nil {
		t.Fatal("WithRequireBackend: no error for an unreachable store")
	}
	flakyFails.Store(1)
	clk := newClock()
	o := newOrigin(t, clk, counter("max-age=60"))
	tr, err := NewTransport(WithBackendDSN("flakytest://x"), WithClock(clk.Now))
	if err != nil {
		t.Fatalf("unreachable store at start: %v", err)
	}
	defer tr.Close()
	if tr.Backend() != nil {
		t.Fatal("Backend() before the store opened")
	}
	resp, err := (&http.Client{Transport: tr}).Get(o.URL + "/a")
	if err != nil {
		t.Fatalf("request while the store is down: %v", err)
	}
	resp.Body.Close()
	waitFor(t, func() bool { return tr.Backend() != nil })
	c := &http.Client{Transport: tr}
	for range 2 {
		resp, err := c.Get(o.URL + "/b")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	if o.hits.Load() != 2 {
		t.Fatalf("origin hits %d, want 2: caching did not resume after the background open", o.hits.Load())
	}
}

// hungClose is a network-like store whose Close waits until released, as a
// client does that waits for operations in flight on a hung server.
type hungClose struct {
	backends.Backend
	release chan struct{}
}

func (h *hungClose) IsLocal() bool { return false }

func (h *hungClose) Close() error {
	<-h.release
	return h.Backend.Close()
}

var hungCloseRelease = make(chan struct{})

func init() {
	backends.Register("test-hung-close", func(context.Context, *url.URL) (backends.Backend, error) {
		return &hungClose{Backend: memory.New(memory.Options{}), release: hungCloseRelease}, nil
	})
}

// Shutdown returns by its context even when the store it owns takes longer
// to close; the store finishes closing in the background.
func TestShutdownDoesNotWaitForAHungBackendClose(t *testing.T) {
	tr, err := NewTransport(WithBackendDSN("test-hung-close://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { close(hungCloseRelease) })
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- tr.Shutdown(ctx) }()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Shutdown = %v, want its context's deadline error", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Shutdown waited for the store's Close past its context (hang detection)")
	}
}
