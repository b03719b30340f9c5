package cachedhttp

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"

	"github.com/cachedhttp/cachedhttp/policy"
)

// refresher runs stale-while-revalidate refreshes (RFC 5861 §3) behind the
// caller: at most one per key at a time, at most cap(limit) overall, each
// bounded by the Transport's background timeout and detached from the
// caller's cancellation.
//
// Invariant: after stop returns nil, no refresh runs and none starts.
type refresher struct {
	limit   chan struct{}
	running sync.Map // key -> struct{}
	wg      sync.WaitGroup
	mu      sync.RWMutex // orders stop against start
	stopped bool
}

func newRefresher(n int) *refresher {
	return &refresher{limit: make(chan struct{}, max(n, 1))}
}

// start runs the work prepare returns in the background for key unless a
// refresh for key is running, the limit is reached, or the refresher is
// stopped. prepare runs synchronously, so it may still read the caller's
// request.
func (r *refresher) start(key string, prepare func() (work func())) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.stopped {
		return
	}
	if _, busy := r.running.LoadOrStore(key, struct{}{}); busy {
		return
	}
	select {
	case r.limit <- struct{}{}:
	default:
		r.running.Delete(key)
		return
	}
	r.wg.Add(1)
	fn := prepare()
	go func() {
		defer r.wg.Done()
		defer func() { <-r.limit; r.running.Delete(key) }()
		fn()
	}()
}

// stop prevents new refreshes and waits for the running ones while ctx
// lasts (each is bounded by the background timeout).
func (r *refresher) stop(ctx context.Context) error {
	r.mu.Lock()
	r.stopped = true
	r.mu.Unlock()
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("cachedhttp: close: background refreshes still running: %w", ctx.Err())
	}
}

// refreshInBackground revalidates a stale record after it was served
// (stale-while-revalidate). It never uses the caller's cancellable context.
func (t *Transport) refreshInBackground(req *http.Request, body []byte, l lookup, ctl policy.Controls, d policy.Decision) {
	t.refresh.start(l.key, func() func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(req.Context()), t.bgTimeout)
		breq := req.Clone(ctx)
		breq.Body = nil
		return func() {
			defer cancel()
			t.backgroundRefresh(ctx, breq, body, l, ctl, d)
		}
	})
}

// backgroundRefresh is one stale-while-revalidate refresh.
func (t *Transport) backgroundRefresh(ctx context.Context, breq *http.Request, body []byte, l lookup, ctl policy.Controls, d policy.Decision) {
	var resp *http.Response
	var err error
	if !d.Conditional.Empty() {
		resp, err = t.revalidate(breq, body, l, ctl, d, t.now())
	} else {
		resp, err = t.forward(breq, body, l, ctl, "stale", nil)
	}
	if err != nil {
		t.log.LogAttrs(ctx, slog.LevelInfo, "cachedhttp: background refresh failed", slog.String("url", breq.URL.String()), slog.Any("error", err))
		return
	}
	// Reading the body to the end stores it.
	drain(resp)
}
