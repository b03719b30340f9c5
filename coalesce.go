package cachedhttp

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cachedhttp/cachedhttp/models"
	"github.com/cachedhttp/cachedhttp/policy"
)

// coalescer makes concurrent misses for one key share one origin request
// (request coalescing): the first caller leads a flight, the others follow
// it and are served what the leader stored.
//
// Invariants:
//   - A stalled leader delays its followers by at most stall. A leader whose
//     caller stops reading its body (or never closes it) makes no progress;
//     a follower that sees no progress for stall fetches on its own.
//   - Variants coalesce on their own keys: once the leader's response
//     headers name its Vary fields, a follower that selects another variant
//     leaves the flight at once for a flight of its variant.
//   - A leader that fails (an error, its caller cancelled or abandoned the
//     body) hands its followers to a new leader: one of them leads the next
//     flight. Each follower follows a failed flight at most maxRetries
//     times, then fetches on its own, so a failing origin costs a follower
//     at most one more round than no cache would.
type coalescer struct {
	mu      sync.Mutex
	flights map[string]*flight
	stall   time.Duration
	// waiting counts callers waiting on another's flight.
	waiting atomic.Int64
}

// coalesceStall is how long followers wait on a leader whose caller makes no
// progress reading the body before they send their own requests.
const coalesceStall = time.Second

// maxRetries is how many failed flights a follower follows before it
// fetches on its own.
const maxRetries = 1

// outcome is how a flight ended, or what a follower saw of it.
type outcome int

const (
	// stored: the leader stored a complete response (flight.rec).
	stored outcome = iota
	// unshared: the response may not be shared (not storable, too large);
	// every follower fetches its own, as without a cache.
	unshared
	// failed: the leader failed before storing; a follower may lead the
	// next flight.
	failed
	// stalled: the leader's caller stopped reading (follow only).
	stalled
	// diverged: the leader's response is of another variant (follow only).
	diverged
)

// flight is one origin request that concurrent misses for the same key wait
// on.
type flight struct {
	c    *coalescer
	key  string // the key the flight is registered under
	done chan struct{}
	// Set before done is closed:
	outcome outcome
	rec     *models.Response // the stored response (outcome stored)
	recKey  string           // the key rec was stored under (its variant key)
	vary    []string         // rec's Vary field names, nil when it does not vary

	// known is closed when the leader's response headers are known;
	// knownVary and knownKey (set before) are its Vary names and the key
	// it will be stored under.
	known     chan struct{}
	published bool
	knownVary []string
	knownKey  string

	// done and known are made by the first follower (most flights have
	// none, and a miss then makes no channel); they, published and the
	// known fields are guarded by c.mu until they are closed.

	// progress is when the leader's caller last read its body (Unix
	// nanoseconds, real time), zero until the body is handed over.
	progress atomic.Int64
}

func newCoalescer(stall time.Duration) *coalescer {
	return &coalescer{flights: map[string]*flight{}, stall: stall}
}

// join returns the flight for key, creating it (leader) if there is none.
func (c *coalescer) join(key string) (f *flight, leader bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if f, ok := c.flights[key]; ok {
		if f.done == nil {
			f.done, f.known = make(chan struct{}), make(chan struct{})
			if f.published {
				close(f.known)
			}
		}
		return f, false
	}
	f = &flight{c: c, key: key}
	c.flights[key] = f
	return f, true
}

// follow waits for the leader of f to land, to stall, or to show a response
// of a variant other than the one mine selects (mine computes my variant
// key from the leader's Vary names), or for ctx to end.
func (c *coalescer) follow(ctx context.Context, f *flight, mine func(vary []string) string) (outcome, error) {
	c.waiting.Add(1)
	defer c.waiting.Add(-1)
	tick := time.NewTicker(c.stall / 4)
	defer tick.Stop()
	known := f.known
	for {
		select {
		case <-f.done:
			return f.outcome, nil
		case <-known:
			known = nil // check once
			if len(f.knownVary) > 0 && mine(f.knownVary) != f.knownKey {
				return diverged, nil
			}
		case <-ctx.Done():
			return failed, ctx.Err()
		case <-tick.C:
			if p := f.progress.Load(); p != 0 && time.Since(time.Unix(0, p)) > c.stall {
				return stalled, nil
			}
		}
	}
}

// publish tells f's followers the Vary names of the leader's response and
// the key it will be stored under, as soon as its headers are known.
func (f *flight) publish(vary []string, key string) {
	if f == nil {
		return
	}
	f.c.mu.Lock()
	defer f.c.mu.Unlock()
	if f.published {
		return
	}
	f.published, f.knownVary, f.knownKey = true, vary, key
	if f.known != nil {
		close(f.known)
	}
}

// land ends a flight with its outcome, handing rec (for stored) to the
// followers. A nil f is a request that led no flight.
func (c *coalescer) land(f *flight, o outcome, rec *models.Response, recKey string, vary []string) {
	if f == nil {
		return
	}
	c.mu.Lock()
	if c.flights[f.key] == f {
		delete(c.flights, f.key)
	}
	// No follower can join once the flight is out of the map: done is
	// now made or never will be.
	done := f.done
	c.mu.Unlock()
	f.outcome, f.rec, f.recKey, f.vary = o, rec, recKey, vary
	if done != nil {
		close(done)
	}
}

// touch records that the leader's caller made progress reading its body.
func (f *flight) touch() {
	if f != nil {
		f.progress.Store(time.Now().UnixNano())
	}
}

// fetch sends req to the origin, coalescing concurrent plain misses for the
// same key, and stores the response as the caller reads it.
func (t *Transport) fetch(req *http.Request, body []byte, l lookup, ctl policy.Controls, fwd string) (*http.Response, error) {
	t.stats.misses.Add(1)
	// Only plain misses coalesce: a caller that asked for a fresh response
	// (force refresh, no-cache) must get one of its own, and a Range
	// request's answer (a part) would not serve another caller's.
	if l.rec != nil || ctl.ForceRefresh || len(body) > 0 || len(req.Header["Range"]) > 0 {
		return t.forward(req, body, l, ctl, fwd, nil)
	}
	// With a Vary index the variant key is known: coalesce on it, so one
	// variant never waits on another's request.
	key := l.key
	mine := func(vary []string) string { return t.keys.Variant(l.primary, vary, req.Header) }
	retries := 0
	for round := 0; ; round++ {
		f, leader := t.flights.join(key)
		if leader && round > 0 {
			// The flight we came from, or the one we now lead, may just
			// have stored what we want.
			if resp := t.collapsedHit(req, ctl, f, key, fwd); resp != nil {
				return resp, nil
			}
		}
		if leader {
			return t.forward(req, body, l, ctl, fwd, f)
		}
		o, err := t.flights.follow(req.Context(), f, mine)
		if err != nil {
			return nil, err
		}
		switch o {
		case stored:
			if f.rec.StatusCode == http.StatusPartialContent {
				// A part answers only the ranges within it (RFC 9111
				// §3.3); Range requests do not lead flights, so this is
				// never a part, but a part must never be served whole.
				return t.forward(req, body, l, ctl, fwd, nil)
			}
			if len(f.vary) == 0 || mine(f.vary) == f.recKey {
				t.stats.collapsed.Add(1)
				now := t.now()
				return t.serve(req, f.rec, now, status{fwd: fwd, fwdStatus: f.rec.StatusCode, collapsed: true, ttl: ttlOf(f.rec, now)}, f.recKey, false), nil
			}
			key = mine(f.vary) // another variant: coalesce on ours
		case diverged:
			key = mine(f.knownVary)
		case failed:
			if retries++; retries > maxRetries {
				return t.forward(req, body, l, ctl, fwd, nil)
			}
			// Follow (or lead) the next flight for the same key.
		default: // unshared, stalled
			return t.forward(req, body, l, ctl, fwd, nil)
		}
	}
}

// collapsedHit serves the record a just-ended flight stored under key, if
// it may be served to req, ending f (which the caller leads) with it.
func (t *Transport) collapsedHit(req *http.Request, ctl policy.Controls, f *flight, key, fwd string) *http.Response {
	rec := t.get(req.Context(), key)
	if rec == nil || rec.IsVaryIndex() {
		return nil
	}
	now := t.now()
	if d := t.pol.Lookup(req, ctl, rec, now); d.Action != policy.Serve {
		return nil
	}
	t.flights.land(f, stored, rec, key, nil)
	t.stats.collapsed.Add(1)
	return t.serve(req, rec, now, status{fwd: fwd, fwdStatus: rec.StatusCode, collapsed: true, ttl: ttlOf(rec, now)}, key, false)
}
