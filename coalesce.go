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
// Invariant: a stalled leader delays its followers by at most stall. A
// leader whose caller stops reading its body (or never closes it) makes no
// progress; a follower that sees no progress for stall stops waiting and
// fetches on its own.
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

// flight is one origin request that concurrent misses for the same key wait
// on.
type flight struct {
	done chan struct{}
	rec  *models.Response // set when the leader stored a complete response
	key  string           // the key rec was stored under (its variant key)
	vary []string         // rec's Vary field names, nil when it does not vary
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
		return f, false
	}
	f = &flight{done: make(chan struct{})}
	c.flights[key] = f
	return f, true
}

// follow waits for the leader of f to land (landed; f.rec may then be read),
// or to stall (not landed), or for ctx to end.
func (c *coalescer) follow(ctx context.Context, f *flight) (landed bool, err error) {
	c.waiting.Add(1)
	defer c.waiting.Add(-1)
	tick := time.NewTicker(c.stall / 4)
	defer tick.Stop()
	for {
		select {
		case <-f.done:
			return true, nil
		case <-ctx.Done():
			return false, ctx.Err()
		case <-tick.C:
			if p := f.progress.Load(); p != 0 && time.Since(time.Unix(0, p)) > c.stall {
				return false, nil
			}
		}
	}
}

// land ends a flight, handing rec (nil when nothing usable was stored) to
// the followers. A nil f is a request that led no flight.
func (c *coalescer) land(key string, f *flight, rec *models.Response, recKey string, vary []string) {
	if f == nil {
		return
	}
	c.mu.Lock()
	if c.flights[key] == f {
		delete(c.flights, key)
	}
	c.mu.Unlock()
	f.rec, f.key, f.vary = rec, recKey, vary
	close(f.done)
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
	// (force refresh, no-cache) must get one of its own.
	if l.rec != nil || ctl.ForceRefresh || len(body) > 0 {
		return t.forward(req, body, l, ctl, fwd, nil)
	}
	for {
		f, leader := t.flights.join(l.primary)
		if leader {
			return t.forward(req, body, l, ctl, fwd, f)
		}
		landed, err := t.flights.follow(req.Context(), f)
		if err != nil {
			return nil, err
		}
		if !landed || f.rec == nil {
			// The leader stalled, failed or got a response that may not be
			// shared: fetch our own.
			return t.forward(req, body, l, ctl, fwd, nil)
		}
		if t.varyMatches(f, l, req) {
			t.stats.collapsed.Add(1)
			now := t.now()
			return t.serve(req, f.rec, now, status{fwd: fwd, fwdStatus: f.rec.StatusCode, collapsed: true, ttl: ttlOf(f.rec, now)}, l.key, false), nil
		}
		// Another variant: coalesce again with the followers that want ours.
		// Every round has a leader that fetches, so this ends.
	}
}

// varyMatches reports whether the record a flight landed may answer req: a
// record that varies must have been selected by the same request header
// values, compared through the variant key the leader stored it under (the
// stored request is redacted, so its credentials cannot be compared).
func (t *Transport) varyMatches(f *flight, l lookup, req *http.Request) bool {
	if len(f.vary) == 0 {
		return true
	}
	return t.keys.Variant(l.primary, f.vary, req.Header) == f.key
}
