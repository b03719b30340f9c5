package cachedhttp

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cachedhttp/cachedhttp/backends"
)

// guard is the backend as the request path and the writer see it: every
// call runs under a budget (the earlier of the caller's deadline and a
// per-operation bound) and a circuit breaker, so a slow, hung or down store
// costs a request at most its budget, and nothing once the breaker is open.
//
// Invariants:
//   - A call returns by its budget even when the store's client ignores
//     contexts: for stores that are not backends.Local the call runs in its
//     own goroutine, which is abandoned (and finishes by the client's own
//     timeouts) when the budget ends.
//   - While the breaker is open no call reaches the store; calls fail at
//     once with errBreakerOpen, which the request path treats as a miss.
//   - The store may be absent (opening it failed): calls fail at once with
//     errUnavailable until a background open succeeds.
type guard struct {
	b           atomic.Pointer[backends.Backend] // nil until opened
	mu          sync.Mutex                       // orders set against Close
	closed      bool
	local       atomic.Bool // the store never blocks on a network
	readBudget  time.Duration
	writeBudget time.Duration
	br          *breaker
	obs         Observer
}

// errBreakerOpen is returned by guarded calls while the breaker is open.
var errBreakerOpen = errors.New("cachedhttp: backend skipped: circuit breaker open")

// errUnavailable is returned by guarded calls while the store is not open.
var errUnavailable = errors.New("cachedhttp: backend not open yet")

func newGuard(b backends.Backend, read, write time.Duration, br *breaker, obs Observer) *guard {
	g := &guard{readBudget: read, writeBudget: write, br: br, obs: obs}
	if b != nil {
		g.set(b)
	}
	return g
}

// failing reports whether the breaker has counted a failure since the store
// last answered (or is open): an optional read is then not worth its
// budget.
func (g *guard) failing() bool { return !g.br.healthy.Load() }

// set makes b the store, unless the guard is closed: then it closes b and
// reports false.
func (g *guard) set(b backends.Backend) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		b.Close()
		return false
	}
	g.local.Store(isLocal(b))
	g.b.Store(&b)
	return true
}

func (g *guard) backend() backends.Backend {
	if p := g.b.Load(); p != nil {
		return *p
	}
	return nil
}

// isLocal reports whether b is an in-process or local-file store.
func isLocal(b backends.Backend) bool {
	l, ok := b.(backends.Local)
	return ok && l.IsLocal()
}

// call runs op under budget and the breaker.
func call[T any](g *guard, ctx context.Context, name BackendOp, budget time.Duration, op func(context.Context, backends.Backend) (T, error)) (T, error) {
	if g.obs != nil {
		start := time.Now()
		v, err := callBounded(g, ctx, budget, op)
		if errors.Is(err, backends.ErrNotFound) {
			g.obs.ObserveBackend(name, time.Since(start), nil)
		} else if !errors.Is(err, errBreakerOpen) && !errors.Is(err, errUnavailable) {
			g.obs.ObserveBackend(name, time.Since(start), err)
		}
		return v, err
	}
	return callBounded(g, ctx, budget, op)
}

func callBounded[T any](g *guard, ctx context.Context, budget time.Duration, op func(context.Context, backends.Backend) (T, error)) (T, error) {
	var zero T
	b := g.backend()
	if b == nil {
		return zero, errUnavailable
	}
	ok, probe := g.br.allow()
	if !ok {
		return zero, errBreakerOpen
	}
	if g.local.Load() {
		v, err := op(ctx, b)
		g.br.record(err, probe)
		return v, err
	}
	ctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := op(ctx, b)
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		g.br.record(r.err, probe)
		return r.v, r.err
	case <-ctx.Done():
		err := fmt.Errorf("cachedhttp: backend call abandoned after its budget: %w", ctx.Err())
		g.br.record(err, probe)
		return zero, err
	}
}

func (g *guard) Get(ctx context.Context, key string) ([]byte, error) {
	if g.obs == nil && g.local.Load() {
		// The hit path of a local store: no budget, no closure.
		b := g.backend()
		ok, probe := g.br.allow()
		if !ok {
			return nil, errBreakerOpen
		}
		v, err := b.Get(ctx, key)
		g.br.record(err, probe)
		return v, err
	}
	return call(g, ctx, BackendGet, g.readBudget, func(ctx context.Context, b backends.Backend) ([]byte, error) {
		return b.Get(ctx, key)
	})
}

func (g *guard) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	_, err := call(g, ctx, BackendSet, g.writeBudget, func(ctx context.Context, b backends.Backend) (struct{}, error) {
		return struct{}{}, b.Set(ctx, key, value, ttl)
	})
	return err
}

// SetMany stores items in one call where the store batches, else one by one
// under one budget.
func (g *guard) SetMany(ctx context.Context, items []backends.Item) error {
	_, err := call(g, ctx, BackendSetMany, g.writeBudget, func(ctx context.Context, b backends.Backend) (struct{}, error) {
		if bt, ok := b.(backends.Batcher); ok {
			return struct{}{}, bt.SetMany(ctx, items)
		}
		var errs []error
		for _, it := range items {
			if err := b.Set(ctx, it.Key, it.Value, it.TTL); err != nil {
				errs = append(errs, err)
			}
		}
		return struct{}{}, errors.Join(errs...)
	})
	return err
}

func (g *guard) Delete(ctx context.Context, keys ...string) error {
	_, err := call(g, ctx, BackendDelete, g.readBudget, func(ctx context.Context, b backends.Backend) (struct{}, error) {
		return struct{}{}, b.Delete(ctx, keys...)
	})
	return err
}

// Clear is maintenance: it runs with the caller's context, unbudgeted.
func (g *guard) Clear(ctx context.Context) error {
	b := g.backend()
	if b == nil {
		return errUnavailable
	}
	return b.Clear(ctx)
}

// Scan is maintenance: it runs with the caller's context, unbudgeted.
func (g *guard) Scan(ctx context.Context) iter.Seq2[backends.Entry, error] {
	b := g.backend()
	if b == nil {
		return func(yield func(backends.Entry, error) bool) { yield(backends.Entry{}, errUnavailable) }
	}
	return b.Scan(ctx)
}

// Close closes the store if it is open; a store opened later is closed at
// once.
func (g *guard) Close() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.closed = true
	if b := g.backend(); b != nil {
		return b.Close()
	}
	return nil
}

// closeWithin is Close bounded by ctx for a network store, whose client may
// wait on a hung server to close (the MongoDB driver waits for operations
// in flight): past ctx, Close finishes in the background.
func (g *guard) closeWithin(ctx context.Context) error {
	if g.local.Load() {
		return g.Close()
	}
	done := make(chan error, 1)
	go func() { done <- g.Close() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("cachedhttp: close backend: left closing in the background: %w", ctx.Err())
	}
}

// breaker is a circuit breaker over one backend. Closed, it lets calls
// through and counts consecutive failures; at threshold it opens for a
// backoff that doubles (up to maxBackoff) each time a probe fails. Once the
// backoff has passed it lets one call through (the probe): success closes
// it, failure opens it again.
type breaker struct {
	threshold  int
	backoff    time.Duration
	maxBackoff time.Duration
	now        func() time.Time
	log        *slog.Logger

	mu       sync.Mutex
	state    BreakerState
	fails    int
	until    time.Time     // open: no calls before this
	wait     time.Duration // the current backoff
	probing  bool          // half-open: a probe is out
	opens    atomic.Int64
	rejected atomic.Int64
	// healthy is true while the breaker is closed with no failure counted:
	// allow and a successful record then take no lock (the hit path).
	healthy atomic.Bool
}

// BreakerState is the state of a Transport's circuit breaker, in Stats.
type BreakerState string

// The breaker states.
const (
	// BreakerClosed: the backend is called.
	BreakerClosed BreakerState = "closed"
	// BreakerOpen: the backend failed repeatedly and is skipped (requests
	// go to the origin, uncached) until the backoff ends.
	BreakerOpen BreakerState = "open"
	// BreakerHalfOpen: one probe call is let through to see whether the
	// backend answers again.
	BreakerHalfOpen BreakerState = "half-open"
)

func newBreaker(threshold int, backoff, maxBackoff time.Duration, now func() time.Time, log *slog.Logger) *breaker {
	br := &breaker{threshold: threshold, backoff: backoff, maxBackoff: maxBackoff, now: now, log: log, state: BreakerClosed}
	br.healthy.Store(true)
	return br
}

// allow reports whether a call may go to the backend now, and whether that
// call is the probe of a half-open breaker.
func (br *breaker) allow() (ok, probe bool) {
	if br.threshold <= 0 || br.healthy.Load() {
		return true, false
	}
	br.mu.Lock()
	defer br.mu.Unlock()
	switch br.state {
	case BreakerClosed:
		return true, false
	case BreakerOpen:
		if br.now().Before(br.until) {
			br.rejected.Add(1)
			return false, false
		}
		br.state, br.probing = BreakerHalfOpen, true
		return true, true
	default: // half-open: one probe at a time
		if br.probing {
			br.rejected.Add(1)
			return false, false
		}
		br.probing = true
		return true, true
	}
}

// record counts the outcome of a call that allow let through (probe: as
// the probe). A miss (backends.ErrNotFound) is a success; a caller's own
// cancellation is neither. Only the threshold-th failure while closed, or a
// failed probe, opens the breaker: calls let through before it opened
// (a burst in flight against a hung store) that fail afterwards change
// nothing, or each of them would double the backoff.
func (br *breaker) record(err error, probe bool) {
	if br.threshold <= 0 {
		return
	}
	if err != nil && (errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)) {
		if probe {
			br.mu.Lock()
			br.probing = false
			br.mu.Unlock()
		}
		return
	}
	ok := err == nil || errors.Is(err, backends.ErrNotFound) || errors.Is(err, backends.ErrTooLarge) || errors.Is(err, backends.ErrNotInteger)
	if ok && !probe && br.healthy.Load() {
		return // nothing to change: closed, no failures
	}
	br.mu.Lock()
	defer br.mu.Unlock()
	defer func() { br.healthy.Store(br.state == BreakerClosed && br.fails == 0) }()
	if ok {
		if br.state != BreakerClosed {
			br.log.Info("cachedhttp: backend answers again; circuit breaker closed")
		}
		br.state, br.fails, br.wait, br.probing = BreakerClosed, 0, 0, false
		return
	}
	br.fails++
	switch {
	case probe && br.state == BreakerHalfOpen:
		br.wait = min(2*br.wait, br.maxBackoff)
	case br.state == BreakerClosed && br.fails >= br.threshold:
		br.wait = br.backoff
	default:
		return // already open, or a late failure while a probe is out
	}
	br.state, br.until, br.probing = BreakerOpen, br.now().Add(br.wait), false
	br.opens.Add(1)
	br.log.Warn("cachedhttp: backend failing; circuit breaker open, requests go to the origin uncached",
		slog.Int("failures", br.fails), slog.Duration("backoff", br.wait), slog.Any("error", err))
}

// snapshot returns the state for Stats.
func (br *breaker) snapshot() BreakerState {
	br.mu.Lock()
	defer br.mu.Unlock()
	if br.state == BreakerOpen && !br.now().Before(br.until) {
		return BreakerHalfOpen
	}
	return br.state
}
