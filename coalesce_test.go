package cachedhttp

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// With a Vary index stored, a cold miss for one variant coalesces on its own
// variant key and never waits on another variant's request in flight
// (RFC 9111 §4.1: the variants are different responses).
func TestCoalescingVariantDoesNotWaitOnAnother(t *testing.T) {
	release := make(chan struct{})
	var once sync.Once
	open := func() { once.Do(func() { close(release) }) }
	t.Cleanup(open)
	var frSeen atomic.Bool
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Accept-Language") == "fr" {
			frSeen.Store(true)
			<-release
		}
		w.Header().Set("Cache-Control", "max-age=60")
		w.Header().Set("Vary", "Accept-Language")
		io.WriteString(w, "lang "+r.Header.Get("Accept-Language"))
	})
	h.get("/v", "Accept-Language", "en") // stores the Vary index
	frDone := make(chan struct{})
	go func() {
		defer close(frDone)
		h.get("/v", "Accept-Language", "fr")
	}()
	waitFor(t, frSeen.Load)
	// The fr request is in flight and blocked at the origin; de must not
	// wait for it. (The deadline only turns a hang into a failure.)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if r := h.getCtx(ctx, "/v", "Accept-Language", "de"); r.body != "lang de" {
		t.Fatalf("de got %q", r.body)
	}
	open()
	<-frDone
	h.wantHits(3)
}

// A leader whose origin request fails hands its followers to a new leader:
// 8 callers make 2 requests (the failed one and one more), not 8.
func TestCoalescingFailedLeaderElectsANewOne(t *testing.T) {
	for _, how := range []string{"transport error", "leader cancelled"} {
		t.Run(how, func(t *testing.T) {
			const n = 8
			var calls atomic.Int64
			var h *harness
			leaderCtx, cancelLeader := context.WithCancel(context.Background())
			defer cancelLeader()
			next := roundTripFunc(func(r *http.Request) (*http.Response, error) {
				if calls.Add(1) == 1 {
					waitFor(t, func() bool { return h.tr.flights.waiting.Load() == n-1 })
					if how == "leader cancelled" {
						cancelLeader()
						<-r.Context().Done()
						return nil, r.Context().Err()
					}
					return nil, errors.New("connection reset by peer")
				}
				return http.DefaultTransport.RoundTrip(r)
			})
			h = newHarness(t, counter("max-age=60"), WithTransport(next))
			var wg sync.WaitGroup
			var errs atomic.Int64
			ctxs := make([]context.Context, n)
			for i := range ctxs {
				ctxs[i] = context.Background()
			}
			ctxs[0] = leaderCtx
			start := make(chan struct{})
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if i > 0 {
						<-start // the leader goes first
					}
					req, _ := http.NewRequestWithContext(ctxs[i], http.MethodGet, h.o.URL+"/f", nil)
					resp, err := h.c.Do(req)
					if i == 0 {
						if err == nil {
							resp.Body.Close()
							t.Error("the failing leader got no error")
						}
						return
					}
					if err != nil {
						errs.Add(1)
						t.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}()
				if i == 0 {
					waitFor(t, func() bool { return calls.Load() == 1 })
					close(start)
				}
			}
			wg.Wait()
			if got := calls.Load(); got != 2 {
				t.Fatalf("next transport called %d times for %d callers, want 2", got, n)
			}
			h.wantHits(1)
		})
	}
}

// A response whose request began before an unsafe request invalidated its
// URL (RFC 9111 §4.4) is not stored over the invalidation: the caller's own
// POST is never followed by an older version from the cache.
func TestResponseOlderThanInvalidationNotStored(t *testing.T) {
	release := make(chan struct{})
	var once sync.Once
	open := func() { once.Do(func() { close(release) }) }
	t.Cleanup(open)
	var gets atomic.Int64
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			io.WriteString(w, "posted")
			return
		}
		n := gets.Add(1)
		w.Header().Set("Cache-Control", "max-age=60")
		if n == 1 {
			w.WriteHeader(http.StatusOK)
			w.(http.Flusher).Flush()
			<-release // the body ends after the POST
			io.WriteString(w, "version 1")
			return
		}
		io.WriteString(w, "version 2")
	})
	first := make(chan result)
	go func() { first <- h.get("/doc") }()
	waitFor(t, func() bool { return gets.Load() == 1 })
	req, _ := http.NewRequest(http.MethodPost, h.o.URL+"/doc", nil)
	h.do(req)
	open()
	if r := <-first; r.body != "version 1" {
		t.Fatalf("first GET got %q", r.body)
	}
	h.tr.Close() // flush queued writes
	tr, err := NewTransport(WithBackend(h.be), WithClock(h.clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	resp, err := (&http.Client{Transport: tr}).Get(h.o.URL + "/doc")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "version 2" {
		t.Fatalf("GET after the POST got %q (from cache: %v), want version 2 from the origin", b, Info(resp).FromCache)
	}
}
