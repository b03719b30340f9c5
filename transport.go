package cachedhttp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/memory"
	"github.com/cachedhttp/cachedhttp/internal/memo"
	"github.com/cachedhttp/cachedhttp/keys"
	"github.com/cachedhttp/cachedhttp/models"
	"github.com/cachedhttp/cachedhttp/policy"
	"github.com/cachedhttp/cachedhttp/serializers"
)

// cacheName is the cache's name in Cache-Status (RFC 9211 §2).
const cacheName = "cachedhttp"

// retainingSerializer is the default for backends that keep the slices they
// are given (in-process stores, backends.Retainer): compact records without
// compression, allocated at their exact size.
var retainingSerializer = serializers.Plain()

// Transport is an http.RoundTripper that answers requests from a cache when
// HTTP caching rules (RFC 9111) and the user's options allow, and otherwise
// forwards them to the wrapped transport and stores what may be stored.
// It is safe for concurrent use. Close it to flush pending writes.
//
// This file holds the flow of one request; each concern it calls on has a
// file of its own: load.go (reading the cache), coalesce.go (concurrent
// misses), writeback.go (storing behind the caller), respond.go (responses
// built from the cache), body.go (response bodies), refresh.go
// (stale-while-revalidate), revalidate.go (stale records: revalidation,
// stale-if-error), maintenance.go (the maintenance API).
type Transport struct {
	next      http.RoundTripper
	guard     *guard // the backend, budgeted and behind a circuit breaker
	owns      bool
	ser       serializers.Serializer
	pol       policy.Policy
	keys      keys.Config
	keyFunc   KeyFunc
	maxBody   int64
	now       func() time.Time
	log       *limitedLog
	obs       Observer
	bgTimeout time.Duration

	wb      *writeBehind        // queued writes, visible at once
	flights *coalescer          // concurrent misses share one origin request
	refresh *refresher          // stale-while-revalidate refreshes
	decoded *recCache           // decoded records by bytes; nil when disabled
	reqKeys *memo.Table[string] // keys of requests keyed by method and URL (key)

	closeOnce    sync.Once
	closeErr     error
	closeTimeout time.Duration
	closed       atomic.Bool   // requests pass through; maintenance returns ErrClosed
	disabled     atomic.Int64  // > 0: requests pass through (Disable)
	onlyIfCached bool          // every request only-if-cached (WithOnlyIfCached)
	readOnly     bool          // nothing is written or deleted (WithReadOnly)
	done         chan struct{} // closed by Shutdown: background work stops

	stats stats
}

// NewTransport returns a caching transport configured by opts. Without
// WithBackend or WithBackendDSN it stores responses in memory.
func NewTransport(opts ...Option) (*Transport, error) {
	c := defaultConfig()
	c.apply(opts)
	if c.sessionPath != "" {
		return nil, fmt.Errorf("%w: WithSessionPath(%q) (NewTransport stores in memory unless given a backend)", ErrSessionOption, c.sessionPath)
	}
	if c.backend == nil && c.backendDSN == "" {
		c.backend, c.ownsBackend = memory.New(memory.Options{}), true
	}
	return newTransport(c)
}

func newTransport(c *config) (*Transport, error) {
	if err := errors.Join(c.errs...); err != nil {
		if c.ownsBackend && c.backend != nil {
			c.backend.Close()
		}
		return nil, err
	}
	if c.next == nil {
		c.next = http.DefaultTransport
	}
	chosen := c.serializer != nil
	if !chosen {
		c.serializer = serializers.Default()
	}
	var dsn string
	var openErr error
	if c.backendDSN != "" {
		var err error
		dsn, c.serializer, chosen, err = splitDSN(c.backendDSN, c.serializer)
		if err != nil {
			return nil, err
		}
		c.backend, openErr = openBounded(dsn, c.openTimeout)
		if openErr != nil && (c.requireBackend || !unreachable(openErr)) {
			return nil, openErr
		}
		c.ownsBackend = true
	}
	if !chosen && retains(c.backend) {
		// An in-process store pays for compression in CPU on every miss
		// and gains only heap: keep its records uncompressed.
		c.serializer = retainingSerializer
	}
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
	c.policy.IgnoreCacheControl = !c.cacheControl
	c.policy.Filter, c.policy.MaxBodySize = c.filter, c.maxBody
	t := &Transport{
		next:      c.next,
		owns:      c.ownsBackend,
		ser:       c.serializer,
		pol:       c.policy,
		keys:      c.keys,
		keyFunc:   c.keyFunc,
		maxBody:   c.maxBody,
		now:       c.now,
		log:       newLimitedLog(c.logger),
		obs:       c.observer,
		bgTimeout: c.bgTimeout,
		flights:   newCoalescer(coalesceStall),
		refresh:   newRefresher(c.background),

		closeTimeout: c.closeTimeout,
		onlyIfCached: c.onlyIfCached,
		readOnly:     c.readOnly,
		done:         make(chan struct{}),
		reqKeys:      memo.New[string](reqKeySets, true),
	}
	br := newBreaker(c.breakerThreshold, c.breakerBackoff, 30*time.Second, c.now, c.logger)
	t.guard = newGuard(c.backend, c.readBudget, c.writeBudget, br, c.observer)
	t.wb = newWriteBehind(t.guard, retains(c.backend), c.serializer, c.writeQueue, t.log, &t.stats)
	t.wb.readOnly = c.readOnly
	if c.decodedBytes > 0 {
		t.decoded = newRecCache(c.decodedBytes, &t.pol)
	}
	if openErr != nil {
		go t.reopen(dsn, c.openTimeout, openErr)
	}
	return t, nil
}

// retains reports whether b keeps the slices given to Set.
func retains(b backends.Backend) bool {
	r, ok := b.(backends.Retainer)
	return ok && r.RetainsValues()
}

// Close is Shutdown with a context that ends after the close timeout
// (WithCloseTimeout, default 10 s).
func (t *Transport) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), t.closeTimeout)
	defer cancel()
	return t.Shutdown(ctx)
}

// Shutdown stops the Transport in the manner of http.Server's: it waits for
// background refreshes and flushes queued writes while ctx lasts; writes
// still queued when ctx ends are dropped (and counted in
// Stats.DroppedWrites). It then closes the backend if the Transport opened
// it, and returns ctx's error if ctx ended first. Requests made after
// Shutdown pass through to the wrapped transport uncached. Later calls
// return what the first returned.
func (t *Transport) Shutdown(ctx context.Context) error {
	t.closeOnce.Do(func() {
		close(t.done)
		// No new background refreshes; the running ones may still store.
		errRefresh := t.refresh.stop(ctx)
		t.closed.Store(true)
		errWrites := t.wb.close(ctx)
		var errBackend error
		if t.owns {
			errBackend = t.guard.closeWithin(ctx)
		}
		t.closeErr = errors.Join(errRefresh, errWrites, errBackend)
	})
	return t.closeErr
}

// Backend returns the store the Transport uses (nil while a store that was
// unreachable at start has not been opened yet). Calls made on it directly
// are neither budgeted nor behind the circuit breaker.
func (t *Transport) Backend() backends.Backend { return t.guard.backend() }

// RoundTrip implements http.RoundTripper. The response's Request is always
// the caller's req.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	var start time.Time
	watched := t.obs != nil || t.log.Enabled(req.Context(), slog.LevelDebug)
	if watched {
		start = time.Now()
	}
	resp, err := t.roundTrip(req)
	if resp != nil {
		resp.Request = req
	}
	if watched {
		t.observe(req, start, resp, err)
	}
	return resp, err
}

func (t *Transport) roundTrip(req *http.Request) (*http.Response, error) {
	ctl := controls(req.Context())
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	if t.closed.Load() || ctl.Bypass || t.disabled.Load() > 0 {
		return t.pass(req, "bypass")
	}
	if t.onlyIfCached {
		ctl.OnlyIfCached = true
	}
	if !t.pol.Cacheable(method) {
		return t.pass(req, "method")
	}
	if eff := keys.EffectiveMethod(method, req.Header); eff != method && !t.pol.Cacheable(eff) {
		// X-HTTP-Method-Override and friends: a GET overridden to DELETE
		// is the unsafe request the origin will see.
		return t.pass(req, "method")
	}

	body, req, tooBig, err := readRequestBody(req, t.maxBody)
	if err != nil {
		return nil, err
	}
	if tooBig {
		return t.pass(req, "bypass")
	}
	key, err := t.key(req, body)
	if err != nil {
		return nil, fmt.Errorf("cachedhttp: key for %s %s: %w", method, req.URL, err)
	}
	var hint readHint
	l := t.load(req.Context(), key, req, &hint)
	now := hint.now
	if now.IsZero() {
		now = t.now()
	}
	var d policy.Decision
	dec := hint.prepared(l.rec)
	if dec != nil {
		d = t.pol.LookupPrepared(req, ctl, dec.prep, now)
	} else {
		d = t.pol.Lookup(req, ctl, l.rec, now)
	}
	if l.byLanguage && d.Action != policy.Serve {
		// A variant selected by language is only served fresh; anything
		// else is the miss of the request's own variant.
		l = l.ownVariant()
		d = t.pol.Lookup(req, ctl, nil, now)
	}
	switch d.Action {
	case policy.Serve:
		t.stats.hits.Add(1)
		return t.serveHeader(req, l.rec, dec, now, status{hit: true, ttl: d.TTL, detail: detailOf(d), age: d.Age, ageKnown: true}, l.key, false, false), nil
	case policy.ServeStaleAndRevalidate:
		t.stats.hits.Add(1)
		t.stats.staleHits.Add(1)
		t.refreshInBackground(req, body, l, ctl, d)
		return t.serve(req, l.rec, now, status{hit: true, ttl: d.TTL, detail: policy.ReasonStaleWhileRevalidate, age: d.Age, ageKnown: true}, l.key, true), nil
	case policy.GatewayTimeout:
		return t.offline(req, l, now), nil
	case policy.Revalidate:
		if !d.Conditional.Empty() {
			return t.revalidate(req, body, l, ctl, d, now)
		}
		return t.fetch(req, body, l, ctl, fwdReason(l, d))
	case policy.Pass:
		return t.pass(req, "bypass")
	}
	if d.Reason == policy.ReasonPartial {
		return t.fillPartial(req, body, l, ctl)
	}
	return t.fetch(req, body, l, ctl, fwdReason(l, d))
}

// forward sends req to the origin. With a stored record (l.rec) an origin
// failure may be answered stale (RFC 5861 §4).
func (t *Transport) forward(req *http.Request, body []byte, l lookup, ctl policy.Controls, fwd string, f *flight) (*http.Response, error) {
	reqTime := t.now()
	resp, err := t.send(withBody(req, body))
	if stale, ok := t.staleOnError(req, l, resp, err, fwd); ok {
		t.flights.land(f, failed, nil, "", nil)
		return stale, nil
	}
	if err != nil {
		t.flights.land(f, failed, nil, "", nil)
		return nil, err
	}
	respTime := t.now()
	t.headFreshen(req, ctl, l, resp, reqTime, respTime)
	return t.store(req, resp, l, ctl, reqTime, respTime, fwd, f), nil
}

// store decides whether resp may be stored and, if so, tees its body into
// the cache as the caller reads it. It always returns the response to give
// the caller, with Cache-Status set.
func (t *Transport) store(req *http.Request, resp *http.Response, l lookup, ctl policy.Controls, reqTime, respTime time.Time, fwd string, f *flight) *http.Response {
	st := t.pol.Storable(req, ctl, l.rec, resp, reqTime, respTime)
	if t.readOnly {
		st.OK, st.Reason = false, "" // never claim stored for what a read-only cache will not write
	}
	s := status{fwd: fwd, fwdStatus: resp.StatusCode, stored: st.OK, detail: st.Reason}
	if st.OK {
		s.detail = ""
		s.ttl = st.Expires.Sub(respTime)
		if st.Expires.IsZero() {
			s.ttl = 0
			s.noTTL = true
		}
	}
	l.gen += t.invalidate(req, resp, l.primary)
	info := &CacheInfo{Key: l.key, CacheStatus: nil}
	if !st.OK {
		t.flights.land(f, unshared, nil, "", nil)
		if st.Reason != "" {
			t.stats.notStored.Add(1)
		}
		setStatus(resp.Header, s)
		info.CacheStatus = resp.Header.Values("Cache-Status")
		resp.Body = &infoBody{ReadCloser: resp.Body, info: info}
		return resp
	}
	primary := l.primary
	key := primary
	if st.Vary != nil {
		key = t.keys.Variant(primary, st.Vary, req.Header)
	}
	f.publish(st.Vary, key)
	info.Key = key
	info.Created = respTime
	info.Expires = st.Expires
	redacted := t.keys.Redact(req)
	tb := &teeBody{
		ReadCloser: resp.Body, info: info, limit: t.maxBody, expect: resp.ContentLength, flight: f,
	}
	if req.Method == http.MethodHead {
		// A HEAD response has no body whatever its Content-Length says
		// (RFC 9110 §9.3.2): it is complete as it is.
		tb.expect = -1
	}
	if resp.ContentLength > 0 {
		// Content-Length is the origin's word, not a fact: reserve at most
		// teeReserve before the bytes arrive.
		tb.buf = make([]byte, 0, min(resp.ContentLength, teeReserve))
	}
	tb.onDone = func(b []byte, complete bool) {
		if !complete {
			t.stats.truncated.Add(1)
			if tb.over {
				t.flights.land(f, unshared, nil, "", nil) // too large for anyone
			} else {
				t.flights.land(f, failed, nil, "", nil)
			}
			return
		}
		rec := &models.Response{
			StatusCode: resp.StatusCode, Proto: resp.Proto, ProtoMajor: resp.ProtoMajor, ProtoMinor: resp.ProtoMinor,
			Header: st.Header, Body: b, Request: redacted,
			RequestTime: reqTime, ResponseTime: respTime, Created: respTime,
			Expires: st.Expires, StaleUntil: st.StaleUntil, Revalidate: st.Revalidate,
		}
		if len(resp.Trailer) > 0 {
			rec.Trailer = resp.Trailer.Clone()
		}
		if req.Method == http.MethodHead {
			rec.Request.Method = http.MethodHead
			rec.Body = nil
		}
		if rec.StatusCode == http.StatusPartialContent {
			if rec = t.combine(l, key, rec); rec == nil {
				t.stats.notStored.Add(1)
				t.flights.land(f, unshared, nil, "", nil)
				return
			}
		}
		writes := []write{{key: key, rec: rec, ttl: st.TTL}}
		if st.Vary != nil {
			writes = append(writes, write{key: primary, rec: t.indexRecord(l, key, st.Vary, req.Header, st.Header, respTime), ttl: st.TTL})
		}
		if !t.wb.enqueue(primary, l.gen, writes...) {
			// Invalidated since the request began (or closed): this
			// response is older than what the invalidating request made.
			t.stats.notStored.Add(1)
			t.flights.land(f, unshared, nil, "", nil)
			return
		}
		t.stats.stores.Add(1)
		t.flights.land(f, stored, rec, key, st.Vary)
	}
	setStatus(resp.Header, s)
	info.CacheStatus = resp.Header.Values("Cache-Status")
	if req.Method == http.MethodHead || resp.Body == http.NoBody || resp.Body == nil {
		if resp.Body != nil {
			resp.Body.Close()
		}
		tb.ReadCloser = http.NoBody
		tb.finish(true)
		resp.Body = &infoBody{ReadCloser: http.NoBody, info: info}
		return resp
	}
	f.touch()
	resp.Body = tb
	return resp
}
