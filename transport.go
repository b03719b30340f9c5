package cachedhttp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/memory"
	"github.com/cachedhttp/cachedhttp/keys"
	"github.com/cachedhttp/cachedhttp/models"
	"github.com/cachedhttp/cachedhttp/policy"
	"github.com/cachedhttp/cachedhttp/serializers"
)

// cacheName is the cache's name in Cache-Status (RFC 9211 §2).
const cacheName = "cachedhttp"

// memorySerializer is the default for the memory backend: msgpack without
// compression.
var memorySerializer = serializers.MustPipeline(serializers.Msgpack)

// ErrClosed is returned by a Transport (and its Session) used after Close.
var ErrClosed = errors.New("cachedhttp: transport is closed")

// Transport is an http.RoundTripper that answers requests from a cache when
// HTTP caching rules (RFC 9111) and the user's options allow, and otherwise
// forwards them to the wrapped transport and stores what may be stored.
// It is safe for concurrent use. Close it to flush pending writes.
type Transport struct {
	next      http.RoundTripper
	backend   backends.Backend
	owns      bool
	ser       serializers.Serializer
	pol       policy.Policy
	keys      keys.Config
	keyFunc   KeyFunc
	maxBody   int64
	now       func() time.Time
	log       *slog.Logger
	bgLimit   chan struct{}
	bgTimeout time.Duration

	// pending holds records whose write is queued, so that a request made
	// right after a miss sees them (read your writes).
	pending sync.Map // key -> *models.Response
	// wmu orders writes against deletes: a queued write is stored only
	// while its record is still the pending one for its key, so neither an
	// invalidation nor a newer response is overtaken by an older write.
	wmu sync.Mutex
	// trim copies small encoded records to their exact size, for backends
	// that keep the slice they are given (memory).
	trim bool
	// decoded skips decoding records already decoded; nil when disabled.
	decoded *recCache
	writes  chan write
	writeWG sync.WaitGroup
	bgWG    sync.WaitGroup

	flightsMu sync.Mutex
	flights   map[string]*flight
	bgFlights sync.Map // key -> struct{}

	waiting atomic.Int64 // callers waiting on another's flight

	// life orders Close against the goroutines that queue writes or start
	// background refreshes: they hold it shared and check closed.
	life      sync.RWMutex
	closeOnce sync.Once
	stopping  atomic.Bool // no new background refreshes
	closed    atomic.Bool // no new writes; requests pass through

	stats stats
}

type write struct {
	key string
	rec *models.Response
	ttl time.Duration
}

// flight is one origin request that concurrent misses for the same key wait
// on (request coalescing).
type flight struct {
	done chan struct{}
	rec  *models.Response // set when the leader stored a complete response
	key  string           // the key rec was stored under (its variant key)
	vary []string         // rec's Vary field names, nil when it does not vary
	// progress is when the leader's caller last read its body (Unix
	// nanoseconds, real time), zero until the body is handed over. A
	// follower stops waiting on a leader whose caller stalls, so that a
	// caller that never reads (or closes) its body delays the others by
	// coalesceStall at most.
	progress atomic.Int64
}

// coalesceStall is how long followers wait on a leader whose caller makes no
// progress reading the body before they send their own requests.
const coalesceStall = time.Second

// NewTransport returns a caching transport configured by opts. Without
// WithBackend or WithBackendDSN it stores responses in memory.
func NewTransport(opts ...Option) (*Transport, error) {
	c := defaultConfig()
	for _, o := range opts {
		o(c)
	}
	if c.backend == nil && c.backendDSN == "" {
		c.backend, c.ownsBackend = memory.New(memory.Options{}), true
	}
	return newTransport(c)
}

func newTransport(c *config) (*Transport, error) {
	if err := errors.Join(c.errs...); err != nil {
		return nil, err
	}
	if c.next == nil {
		c.next = http.DefaultTransport
	}
	if c.serializer == nil {
		c.serializer = serializers.Default()
		if _, ok := c.backend.(*memory.Backend); ok {
			// An in-process store pays for compression in CPU on every
			// miss and gains only heap: keep its records uncompressed.
			c.serializer = memorySerializer
		}
	}
	if c.backendDSN != "" {
		b, ser, err := openDSN(c.backendDSN, c.serializer)
		if err != nil {
			return nil, err
		}
		c.backend, c.serializer, c.ownsBackend = b, ser, true
	}
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
	c.policy.IgnoreCacheControl = !c.cacheControl
	c.policy.Filter, c.policy.MaxBodySize = c.filter, c.maxBody
	t := &Transport{
		next:      c.next,
		backend:   c.backend,
		owns:      c.ownsBackend,
		ser:       c.serializer,
		pol:       c.policy,
		keys:      c.keys,
		keyFunc:   c.keyFunc,
		maxBody:   c.maxBody,
		now:       c.now,
		log:       c.logger,
		bgLimit:   make(chan struct{}, max(c.background, 1)),
		bgTimeout: c.bgTimeout,
		flights:   map[string]*flight{},
	}
	if _, ok := c.backend.(*memory.Backend); ok {
		t.trim = true
	}
	if c.decodedBytes > 0 {
		t.decoded = newRecCache(c.decodedBytes)
	}
	if c.writeQueue > 0 {
		t.writes = make(chan write, c.writeQueue)
		t.writeWG.Add(1)
		go t.writer()
	}
	return t, nil
}

// Close waits for background refreshes, flushes queued writes and closes
// the backend if the Transport opened it. Requests made after Close pass
// through to the wrapped transport uncached.
func (t *Transport) Close() error {
	var err error
	t.closeOnce.Do(func() {
		// No new background refreshes; the running ones may still store.
		t.life.Lock()
		t.stopping.Store(true)
		t.life.Unlock()
		t.bgWG.Wait()
		t.life.Lock()
		t.closed.Store(true)
		t.life.Unlock()
		if t.writes != nil {
			close(t.writes)
			t.writeWG.Wait()
		}
		if t.owns {
			err = t.backend.Close()
		}
	})
	return err
}

// Backend returns the store the Transport uses.
func (t *Transport) Backend() backends.Backend { return t.backend }

// RoundTrip implements http.RoundTripper. The response's Request is always
// the caller's req.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.roundTrip(req)
	if resp != nil {
		resp.Request = req
	}
	return resp, err
}

func (t *Transport) roundTrip(req *http.Request) (*http.Response, error) {
	ctl := controls(req.Context())
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	if t.closed.Load() || ctl.Bypass {
		return t.pass(req, "bypass")
	}
	if !t.pol.Cacheable(method) {
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
		closeBody(req)
		return nil, fmt.Errorf("cachedhttp: key for %s %s: %w", method, req.URL, err)
	}
	l := t.load(req.Context(), key, req)
	now := t.now()
	d := t.pol.Lookup(req, ctl, l.rec, now)
	switch d.Action {
	case policy.Serve:
		closeBody(req)
		t.stats.hits.Add(1)
		return t.serve(req, l.rec, now, status{hit: true, ttl: d.TTL, detail: detailOf(d), age: d.Age, ageKnown: true}, l.key, false), nil
	case policy.ServeStaleAndRevalidate:
		closeBody(req)
		t.stats.hits.Add(1)
		t.stats.staleHits.Add(1)
		t.refreshInBackground(req, body, l, ctl, d)
		return t.serve(req, l.rec, now, status{hit: true, ttl: d.TTL, detail: string(policy.ReasonStaleWhileRevalidate), age: d.Age, ageKnown: true}, l.key, true), nil
	case policy.GatewayTimeout:
		closeBody(req)
		t.stats.misses.Add(1)
		return gatewayTimeout(req, l), nil
	case policy.Revalidate:
		if len(d.Conditional) > 0 {
			return t.revalidate(req, body, l, ctl, d)
		}
		return t.fetch(req, body, l, ctl, fwdReason(l, d))
	case policy.Pass:
		return t.pass(req, "bypass")
	default:
		return t.fetch(req, body, l, ctl, fwdReason(l, d))
	}
}

// pass forwards req without reading or writing the cache; unsafe methods
// still invalidate what is stored for their URLs (RFC 9111 §4.4).
func (t *Transport) pass(req *http.Request, fwd string) (*http.Response, error) {
	t.stats.passes.Add(1)
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if !t.closed.Load() {
		t.invalidate(req, resp)
	}
	setStatus(resp.Header, status{fwd: fwd, fwdStatus: resp.StatusCode})
	return resp, nil
}

// key computes the primary key of req.
func (t *Transport) key(req *http.Request, body []byte) (string, error) {
	if t.keyFunc != nil {
		return t.keyFunc(req, body)
	}
	return t.keys.Create(req, body), nil
}

// lookup is the result of load: the stored response for a request, if any.
type lookup struct {
	primary  string // primary key
	key      string // key of the record (the variant key under Vary)
	rec      *models.Response
	vary     []string // Vary names of the index, when the primary is one
	varyMiss bool     // an index exists but not the variant
}

// load reads the record for req, following a Vary index to the variant.
func (t *Transport) load(ctx context.Context, primary string, req *http.Request) lookup {
	l := lookup{primary: primary, key: primary}
	rec := t.get(ctx, primary)
	if rec.IsVaryIndex() {
		l.vary = rec.VaryIndex
		l.key = t.keys.Variant(primary, rec.VaryIndex, req.Header)
		rec = t.get(ctx, l.key)
		if rec == nil || rec.IsVaryIndex() {
			l.varyMiss = true
			rec = nil
		}
	}
	l.rec = rec
	return l
}

// get returns the decoded record stored under key, or nil. Backend errors
// are logged and counted as misses; records that do not decode are deleted.
func (t *Transport) get(ctx context.Context, key string) *models.Response {
	if v, ok := t.pending.Load(key); ok {
		return v.(*models.Response)
	}
	data, err := t.backend.Get(ctx, key)
	if err != nil {
		if !errors.Is(err, backends.ErrNotFound) {
			t.stats.backendErrors.Add(1)
			t.log.LogAttrs(ctx, slog.LevelWarn, "cachedhttp: backend get failed", slog.String("key", key), slog.Any("error", err))
		}
		return nil
	}
	if t.decoded != nil {
		if rec := t.decoded.get(key, data); rec != nil {
			return rec
		}
	}
	rec, err := t.ser.Unmarshal(data)
	if err != nil {
		t.stats.decodeErrors.Add(1)
		t.log.LogAttrs(ctx, slog.LevelWarn, "cachedhttp: dropping undecodable record", slog.String("key", key), slog.Any("error", err))
		if err := t.backend.Delete(ctx, key); err != nil {
			t.stats.backendErrors.Add(1)
		}
		return nil
	}
	if t.decoded != nil {
		t.decoded.put(key, data, rec)
	}
	return rec
}

// serve builds the caller's response from a stored record. This is the hit
// path: it clones the stored header once, with room for Age and
// Cache-Status, and allocates the body reader and its Info together.
func (t *Transport) serve(req *http.Request, rec *models.Response, now time.Time, st status, key string, stale bool) *http.Response {
	age := st.age
	if !st.ageKnown {
		age = policy.Age(rec, now)
	}
	if policy.NotModified(req, rec) {
		return t.notModified(req, rec, age, st, key, stale)
	}
	hb := &hitBody{}
	h := cloneHeader(rec.Header)
	hb.spare[0] = strconv.FormatInt(int64(age/time.Second), 10)
	h["Age"] = hb.spare[0:1:1]
	if up := h["Cache-Status"]; len(up) > 0 {
		h["Cache-Status"] = append(up[:len(up):len(up)], st.String())
	} else {
		hb.spare[1] = st.String()
		h["Cache-Status"] = hb.spare[1:2:2]
	}
	resp := &http.Response{
		Status:        statusLine(rec.StatusCode),
		StatusCode:    rec.StatusCode,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		ContentLength: int64(len(rec.Body)),
		Request:       req,
		Body:          hb,
	}
	if rec.Proto != "" {
		resp.Proto, resp.ProtoMajor, resp.ProtoMinor = rec.Proto, rec.ProtoMajor, rec.ProtoMinor
	}
	if rec.Trailer != nil {
		resp.Trailer = rec.Trailer.Clone()
	}
	if req.Method != http.MethodHead {
		hb.r.Reset(rec.Body)
	} else {
		hb.r.Reset(nil)
	}
	hb.info = CacheInfo{FromCache: true, Stale: stale || st.ttl < 0, Revalidated: st.fwdStatus == http.StatusNotModified,
		Created: rec.Created, Expires: rec.Expires, Key: key, CacheStatus: h["Cache-Status"]}
	return resp
}

// cloneHeader copies h (without Age, which serve sets) into a new header
// whose value slices share one backing array, with room for two more fields.
func cloneHeader(h http.Header) http.Header {
	nv := 0
	for _, vv := range h {
		nv += len(vv)
	}
	sv := make([]string, nv)
	h2 := make(http.Header, len(h)+2)
	for k, vv := range h {
		if k == "Age" {
			continue
		}
		n := copy(sv, vv)
		h2[k] = sv[:n:n]
		sv = sv[n:]
	}
	return h2
}

var statusLines = func() map[int]string {
	m := make(map[int]string)
	for c := 100; c < 600; c++ {
		if txt := http.StatusText(c); txt != "" {
			m[c] = strconv.Itoa(c) + " " + txt
		}
	}
	return m
}()

func statusLine(code int) string {
	if s, ok := statusLines[code]; ok {
		return s
	}
	return strconv.Itoa(code) + " status code " + strconv.Itoa(code)
}

// hitBody is the body of a response served from the cache: a reader over
// the stored bytes (which it never copies) and the response's Info.
type hitBody struct {
	r     bytes.Reader
	info  CacheInfo
	spare [2]string
}

func (b *hitBody) Read(p []byte) (int, error)         { return b.r.Read(p) }
func (b *hitBody) WriteTo(w io.Writer) (int64, error) { return b.r.WriteTo(w) }
func (b *hitBody) Close() error                       { return nil }
func (b *hitBody) cacheInfo() *CacheInfo              { return &b.info }

// notModified answers the caller's own conditional request from the cache
// (RFC 9111 §4.3.2): 304 with the fields a 200 would have carried that
// matter for it (RFC 9110 §15.4.5).
func (t *Transport) notModified(req *http.Request, rec *models.Response, age time.Duration, st status, key string, stale bool) *http.Response {
	h := make(http.Header)
	for _, f := range []string{"Cache-Control", "Content-Location", "Date", "ETag", "Expires", "Vary", "Last-Modified"} {
		if v := rec.Header.Values(f); len(v) > 0 {
			h[http.CanonicalHeaderKey(f)] = append([]string(nil), v...)
		}
	}
	h.Set("Age", strconv.FormatInt(int64(age/time.Second), 10))
	setStatus(h, st)
	info := &CacheInfo{FromCache: true, Stale: stale, Created: rec.Created, Expires: rec.Expires, Key: key, CacheStatus: h.Values("Cache-Status")}
	return &http.Response{
		Status: "304 Not Modified", StatusCode: http.StatusNotModified,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Body: &infoBody{ReadCloser: http.NoBody, info: info}, Request: req,
	}
}

// fetch sends req to the origin (coalescing concurrent misses for the same
// key) and stores the response as the caller reads it.
func (t *Transport) fetch(req *http.Request, body []byte, l lookup, ctl policy.Controls, fwd string) (*http.Response, error) {
	t.stats.misses.Add(1)
	// Only plain misses coalesce: a caller that asked for a fresh response
	// (force refresh, no-cache) must get one of its own.
	coalesce := l.rec == nil && !ctl.ForceRefresh && len(body) == 0
	if !coalesce {
		return t.forward(req, body, l, ctl, fwd, nil)
	}
	for {
		f, leader := t.join(l.primary)
		if leader {
			return t.forward(req, body, l, ctl, fwd, f)
		}
		landed, err := t.follow(req.Context(), f)
		if err != nil {
			closeBody(req)
			return nil, err
		}
		if !landed || f.rec == nil {
			// The leader stalled, failed or got a response that may not be
			// shared: fetch our own.
			return t.forward(req, body, l, ctl, fwd, nil)
		}
		if t.varyMatches(f, l, req) {
			closeBody(req)
			t.stats.collapsed.Add(1)
			now := t.now()
			return t.serve(req, f.rec, now, status{fwd: fwd, fwdStatus: f.rec.StatusCode, collapsed: true, ttl: ttlOf(f.rec, now)}, l.key, false), nil
		}
		// Another variant: coalesce again with the followers that want ours.
		// Every round has a leader that fetches, so this ends.
	}
}

// follow waits for the leader of f to land (landed; f.rec may then be read),
// or to stall.
func (t *Transport) follow(ctx context.Context, f *flight) (landed bool, err error) {
	t.waiting.Add(1)
	defer t.waiting.Add(-1)
	tick := time.NewTicker(coalesceStall / 4)
	defer tick.Stop()
	for {
		select {
		case <-f.done:
			return true, nil
		case <-ctx.Done():
			return false, ctx.Err()
		case <-tick.C:
			if p := f.progress.Load(); p != 0 && time.Since(time.Unix(0, p)) > coalesceStall {
				return false, nil // fetch on our own
			}
		}
	}
}

// join returns the flight for key, creating it (leader) if there is none.
func (t *Transport) join(key string) (*flight, bool) {
	t.flightsMu.Lock()
	defer t.flightsMu.Unlock()
	if f, ok := t.flights[key]; ok {
		return f, false
	}
	f := &flight{done: make(chan struct{})}
	t.flights[key] = f
	return f, true
}

// land ends a flight, handing rec (nil when nothing usable was stored) to
// the followers.
func (t *Transport) land(key string, f *flight, rec *models.Response, recKey string, vary []string) {
	if f == nil {
		return
	}
	t.flightsMu.Lock()
	if t.flights[key] == f {
		delete(t.flights, key)
	}
	t.flightsMu.Unlock()
	f.rec, f.key, f.vary = rec, recKey, vary
	close(f.done)
}

// forward sends req to the origin. With a stored record (l.rec) an origin
// failure may be answered stale (RFC 5861 §4).
func (t *Transport) forward(req *http.Request, body []byte, l lookup, ctl policy.Controls, fwd string, f *flight) (*http.Response, error) {
	reqTime := t.now()
	resp, err := t.next.RoundTrip(withBody(req, body))
	if stale, ok := t.staleOnError(req, l, resp, err, fwd); ok {
		t.land(l.primary, f, nil, "", nil)
		return stale, nil
	}
	if err != nil {
		t.land(l.primary, f, nil, "", nil)
		return nil, err
	}
	respTime := t.now()
	t.headFreshen(req, ctl, l, resp, reqTime, respTime)
	return t.store(req, resp, l, ctl, reqTime, respTime, fwd, f), nil
}

// staleOnError answers with the stored record, stale, when the origin failed
// (err) or answered 500, 502, 503 or 504 and stale-if-error allows it (RFC
// 5861 §4); the origin's response is then drained and discarded.
func (t *Transport) staleOnError(req *http.Request, l lookup, resp *http.Response, err error, fwd string) (*http.Response, bool) {
	if l.rec == nil {
		return nil, false
	}
	code := 0
	if err == nil {
		if !isServerError(resp.StatusCode) {
			return nil, false
		}
		code = resp.StatusCode
	}
	now := t.now()
	if !t.pol.StaleIfError(req, l.rec, code, now) {
		return nil, false
	}
	if resp != nil {
		drain(resp)
	}
	t.stats.staleErrors.Add(1)
	return t.serve(req, l.rec, now, status{fwd: fwd, fwdStatus: code, ttl: ttlOf(l.rec, now), detail: string(policy.ReasonStaleIfError)}, l.key, true), true
}

// headFreshen applies RFC 9111 §4.3.5: a 200 response to HEAD freshens the
// stored GET response it matches.
func (t *Transport) headFreshen(req *http.Request, ctl policy.Controls, l lookup, resp *http.Response, reqTime, respTime time.Time) {
	if req.Method != http.MethodHead || l.rec == nil || resp.StatusCode != http.StatusOK {
		return
	}
	if rec, st := t.pol.Freshen(req, ctl, l.rec, resp, reqTime, respTime); rec != nil && st.OK {
		t.enqueue(l.key, rec, st.TTL)
	}
}

// store decides whether resp may be stored and, if so, tees its body into
// the cache as the caller reads it. It always returns the response to give
// the caller, with Cache-Status set.
func (t *Transport) store(req *http.Request, resp *http.Response, l lookup, ctl policy.Controls, reqTime, respTime time.Time, fwd string, f *flight) *http.Response {
	st := t.pol.Storable(req, ctl, l.rec, resp, reqTime, respTime)
	s := status{fwd: fwd, fwdStatus: resp.StatusCode, stored: st.OK, detail: string(st.Reason)}
	if st.OK {
		s.detail = ""
		s.ttl = st.Expires.Sub(respTime)
		if st.Expires.IsZero() {
			s.ttl = 0
			s.noTTL = true
		}
	}
	t.invalidate(req, resp)
	info := &CacheInfo{Key: l.key, CacheStatus: nil}
	if !st.OK {
		t.land(l.primary, f, nil, "", nil)
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
	info.Key = key
	info.Created = respTime
	info.Expires = st.Expires
	redacted := t.keys.Redact(req)
	tb := &teeBody{
		ReadCloser: resp.Body, info: info, limit: t.maxBody, expect: resp.ContentLength, flight: f,
	}
	if resp.ContentLength > 0 {
		tb.buf = make([]byte, 0, resp.ContentLength)
	}
	tb.onDone = func(b []byte, complete bool) {
		if !complete {
			t.stats.truncated.Add(1)
			t.land(primary, f, nil, "", nil)
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
		if st.Vary != nil {
			t.enqueue(primary, &models.Response{VaryIndex: st.Vary, Created: respTime}, st.TTL)
		}
		t.enqueue(key, rec, st.TTL)
		t.stats.stores.Add(1)
		t.land(primary, f, rec, key, st.Vary)
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
	if f != nil {
		f.progress.Store(time.Now().UnixNano())
	}
	resp.Body = tb
	return resp
}

// revalidate sends a conditional request built from the stored record; a
// 304 freshens and serves it (RFC 9111 §4.3.3, §4.3.4).
func (t *Transport) revalidate(req *http.Request, body []byte, l lookup, ctl policy.Controls, d policy.Decision) (*http.Response, error) {
	t.stats.revalidations.Add(1)
	creq := req.Clone(req.Context())
	for k, v := range d.Conditional {
		creq.Header[k] = v
	}
	if len(body) > 0 {
		creq = withBody(creq, body)
	}
	reqTime := t.now()
	resp, err := t.next.RoundTrip(creq)
	fwd := fwdReason(l, d)
	if stale, ok := t.staleOnError(req, l, resp, err, fwd); ok {
		return stale, nil
	}
	if err != nil {
		return nil, err
	}
	respTime := t.now()
	if resp.StatusCode != http.StatusNotModified {
		resp.Request = req
		t.headFreshen(req, ctl, l, resp, reqTime, respTime)
		return t.store(req, resp, l, ctl, reqTime, respTime, fwd, nil), nil
	}
	drain(resp)
	rec, st := t.pol.Freshen(req, ctl, l.rec, resp, reqTime, respTime)
	if rec == nil {
		// The 304 does not select the stored response: ask again,
		// unconditionally.
		return t.forward(req, body, lookup{primary: l.primary, key: l.key, vary: l.vary}, ctl, fwd, nil)
	}
	if st.OK {
		t.enqueue(l.key, rec, st.TTL)
		t.stats.stores.Add(1)
	} else {
		t.deleteKeys(req.Context(), l.key)
	}
	return t.serve(req, rec, respTime, status{fwd: fwd, fwdStatus: http.StatusNotModified, ttl: ttlOf(rec, respTime), stored: st.OK}, l.key, false), nil
}

// refreshInBackground revalidates a stale record after it was served
// (stale-while-revalidate, RFC 5861 §3). At most one refresh per key runs,
// bounded overall; it never uses the caller's cancellable context.
func (t *Transport) refreshInBackground(req *http.Request, body []byte, l lookup, ctl policy.Controls, d policy.Decision) {
	t.life.RLock()
	defer t.life.RUnlock()
	if t.stopping.Load() {
		return
	}
	if _, busy := t.bgFlights.LoadOrStore(l.key, struct{}{}); busy {
		return
	}
	select {
	case t.bgLimit <- struct{}{}:
	default:
		t.bgFlights.Delete(l.key)
		return
	}
	t.bgWG.Add(1)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(req.Context()), t.bgTimeout)
	breq := req.Clone(ctx)
	breq.Body = nil
	go func() {
		defer t.bgWG.Done()
		defer func() { <-t.bgLimit; t.bgFlights.Delete(l.key); cancel() }()
		var resp *http.Response
		var err error
		if len(d.Conditional) > 0 {
			resp, err = t.revalidate(breq, body, l, ctl, d)
		} else {
			resp, err = t.forward(breq, body, l, ctl, "stale", nil)
		}
		if err != nil {
			t.log.LogAttrs(ctx, slog.LevelInfo, "cachedhttp: background refresh failed", slog.String("url", req.URL.String()), slog.Any("error", err))
			return
		}
		// Reading the body to the end stores it.
		drain(resp)
	}()
}

// enqueue stores rec under key behind the caller: the record is visible at
// once through pending, and written by the writer goroutine.
func (t *Transport) enqueue(key string, rec *models.Response, ttl time.Duration) {
	t.life.RLock()
	defer t.life.RUnlock()
	if t.closed.Load() {
		return
	}
	t.pending.Store(key, rec)
	w := write{key: key, rec: rec, ttl: ttl}
	if t.writes != nil {
		select {
		case t.writes <- w:
			return
		default:
		}
	}
	t.write(w)
}

// maxBatch bounds how many queued records the writer stores in one
// Batcher.SetMany call.
const maxBatch = 128

// writer stores queued records. With a backends.Batcher it takes whatever
// has queued up (up to maxBatch) and stores it in one call, so a file store
// pays one fsync per batch instead of one per response.
func (t *Transport) writer() {
	defer t.writeWG.Done()
	batcher, _ := t.backend.(backends.Batcher)
	if batcher == nil {
		for w := range t.writes {
			t.write(w)
		}
		return
	}
	batch := make([]write, 0, maxBatch)
	for w := range t.writes {
		batch = append(batch[:0], w)
	drain:
		for len(batch) < maxBatch {
			select {
			case w, ok := <-t.writes:
				if !ok {
					break drain
				}
				batch = append(batch, w)
			default:
				break drain
			}
		}
		if len(batch) == 1 {
			t.write(batch[0])
			continue
		}
		t.writeBatch(batcher, batch)
	}
}

// writeBatch encodes and stores several records in one call; records that
// fail to encode are skipped (and counted), the others still stored.
func (t *Transport) writeBatch(b backends.Batcher, batch []write) {
	data := make([][]byte, len(batch))
	for i, w := range batch {
		d, err := t.marshal(w.rec)
		if err != nil {
			t.stats.backendErrors.Add(1)
			t.log.Warn("cachedhttp: encoding failed", "key", w.key, "error", err)
		}
		data[i] = d
	}
	t.wmu.Lock()
	defer t.wmu.Unlock()
	items := make([]backends.Item, 0, len(batch))
	for i, w := range batch {
		// Of several queued writes for one key only the pending (newest)
		// one is current; an invalidated key has none.
		if data[i] != nil && t.current(w) {
			items = append(items, backends.Item{Key: w.key, Value: data[i], TTL: w.ttl})
		}
	}
	if len(items) == 0 {
		for _, w := range batch {
			t.pending.CompareAndDelete(w.key, w.rec)
		}
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := b.SetMany(ctx, items); err != nil {
		t.stats.backendErrors.Add(1)
		t.log.Warn("cachedhttp: backend batch set failed", "records", len(items), "error", err)
	}
	for _, w := range batch {
		t.pending.CompareAndDelete(w.key, w.rec)
	}
}

// write encodes and stores one record. A failure is logged and counted;
// the caller's response is not affected.
func (t *Transport) write(w write) {
	data, err := t.marshal(w.rec)
	if err != nil {
		t.pending.CompareAndDelete(w.key, w.rec)
		t.stats.backendErrors.Add(1)
		t.log.Warn("cachedhttp: encoding failed", "key", w.key, "error", err)
		return
	}
	t.wmu.Lock()
	defer t.wmu.Unlock()
	defer t.pending.CompareAndDelete(w.key, w.rec)
	if !t.current(w) {
		return // superseded or invalidated meanwhile
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := t.backend.Set(ctx, w.key, data, w.ttl); err != nil {
		t.stats.backendErrors.Add(1)
		t.log.Warn("cachedhttp: backend set failed", "key", w.key, "error", err)
	}
}

// invalidate deletes what is stored for the URLs an unsafe request changed
// (RFC 9111 §4.4).
func (t *Transport) invalidate(req *http.Request, resp *http.Response) {
	urls := policy.Invalidations(req, resp)
	if len(urls) == 0 {
		return
	}
	var ks []string
	for _, u := range urls {
		g := &http.Request{Method: http.MethodGet, URL: u, Header: req.Header, Host: u.Host}
		g = g.WithContext(req.Context())
		k, err := t.key(g, nil)
		if err != nil {
			continue
		}
		ks = append(ks, k)
	}
	t.stats.invalidations.Add(int64(len(ks)))
	t.deleteKeys(req.Context(), ks...)
}

// marshal encodes rec. A backend that keeps the slice it is given (memory)
// also keeps its spare capacity, so small records are trimmed to size:
// encoders size their buffers from an estimate, and for a 1 KiB response
// the slack is a whole allocation size class. (Encoding into a pooled buffer
// and copying out inside the serializer measured worse: ≈2,050 against
// ≈1,760 heap bytes per stored 1 KiB entry.)
func (t *Transport) marshal(rec *models.Response) ([]byte, error) {
	data, err := t.ser.Marshal(rec)
	if err == nil && t.trim && cap(data)-len(data) >= 64 && len(data) < 64<<10 {
		data = bytes.Clone(data)
	}
	return data, err
}

// current reports whether w's record is still the pending one for its key.
func (t *Transport) current(w write) bool {
	v, ok := t.pending.Load(w.key)
	return ok && v == w.rec
}

func (t *Transport) deleteKeys(ctx context.Context, ks ...string) {
	t.wmu.Lock()
	defer t.wmu.Unlock()
	for _, k := range ks {
		t.pending.Delete(k)
	}
	if err := t.backend.Delete(context.WithoutCancel(ctx), ks...); err != nil {
		t.stats.backendErrors.Add(1)
		t.log.Warn("cachedhttp: backend delete failed", "keys", ks, "error", err)
	}
}

// gatewayTimeout answers only-if-cached when nothing usable is stored
// (RFC 9111 §5.2.1.7).
func gatewayTimeout(req *http.Request, l lookup) *http.Response {
	h := make(http.Header)
	h.Set("Content-Type", "text/plain; charset=utf-8")
	fwd := "uri-miss"
	if l.rec != nil {
		fwd = "stale"
	} else if l.varyMiss {
		fwd = "vary-miss"
	}
	setStatus(h, status{fwd: fwd, detail: string(policy.ReasonOnlyIfCached)})
	msg := "cachedhttp: only-if-cached and no usable stored response\n"
	return &http.Response{
		Status: "504 Gateway Timeout", StatusCode: http.StatusGatewayTimeout,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: h,
		ContentLength: int64(len(msg)), Request: req,
		Body: &infoBody{ReadCloser: io.NopCloser(bytes.NewReader([]byte(msg))), info: &CacheInfo{CacheStatus: h.Values("Cache-Status")}},
	}
}

// fwdReason names why the request went forward, for Cache-Status.
func fwdReason(l lookup, d policy.Decision) string {
	switch {
	case l.varyMiss:
		return "vary-miss"
	case l.rec == nil:
		return "uri-miss"
	case d.Stale:
		return "stale"
	case d.Reason == policy.ReasonHeadOnly:
		return "miss"
	default:
		return "request"
	}
}

// detailOf returns the Cache-Status detail for a served decision.
func detailOf(d policy.Decision) string {
	if d.Stale {
		return string(d.Reason)
	}
	return ""
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

func ttlOf(rec *models.Response, now time.Time) time.Duration {
	if rec.Expires.IsZero() {
		return 0
	}
	return rec.Expires.Sub(now)
}

func isServerError(code int) bool {
	return code == 500 || code == 502 || code == 503 || code == 504
}

// readRequestBody reads a request body of up to limit bytes so that it can
// take part in the key and still be sent. It returns tooBig (and a request
// whose body replays what was read followed by the rest) when it is larger.
func readRequestBody(req *http.Request, limit int64) ([]byte, *http.Request, bool, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, req, false, nil
	}
	b, err := io.ReadAll(io.LimitReader(req.Body, limit+1))
	if err != nil {
		req.Body.Close()
		return nil, req, false, fmt.Errorf("cachedhttp: read request body of %s %s: %w", req.Method, req.URL, err)
	}
	r2 := *req
	if int64(len(b)) > limit {
		r2.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(b), req.Body), req.Body}
		return nil, &r2, true, nil
	}
	req.Body.Close()
	r2.Body = io.NopCloser(bytes.NewReader(b))
	return b, &r2, false, nil
}

// withBody returns req with a fresh reader over body (the request body may
// be sent more than once: revalidation, retries after a 304 mismatch).
func withBody(req *http.Request, body []byte) *http.Request {
	if body == nil {
		return req
	}
	r2 := *req
	r2.Body = io.NopCloser(bytes.NewReader(body))
	r2.ContentLength = int64(len(body))
	r2.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	return &r2
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// drain reads a little of a response body that will not be used, so the
// connection can be reused, and closes it.
func drain(resp *http.Response) {
	_, _ = io.CopyN(io.Discard, resp.Body, 64<<10)
	resp.Body.Close()
}

// teeBody streams a response body to the caller while keeping a copy; at a
// clean EOF whose length matches Content-Length, the copy is stored. A short,
// failed, abandoned or over-limit body is never stored.
type teeBody struct {
	io.ReadCloser
	info   *CacheInfo
	buf    []byte
	limit  int64
	expect int64
	over   bool
	flight *flight // the flight followers wait on, or nil
	once   sync.Once
	onDone func(body []byte, complete bool)
}

func (b *teeBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if b.flight != nil {
		b.flight.progress.Store(time.Now().UnixNano())
	}
	if n > 0 && !b.over {
		if int64(len(b.buf)+n) > b.limit {
			b.over, b.buf = true, nil
		} else {
			b.buf = append(b.buf, p[:n]...)
		}
	}
	if err == io.EOF {
		b.finish(true)
	} else if err != nil {
		b.finish(false)
	}
	return n, err
}

func (b *teeBody) Close() error {
	b.finish(false)
	return b.ReadCloser.Close()
}

func (b *teeBody) finish(eof bool) {
	b.once.Do(func() {
		complete := eof && !b.over && (b.expect < 0 || int64(len(b.buf)) == b.expect)
		if b.buf == nil {
			b.buf = []byte{}
		}
		b.onDone(b.buf, complete)
	})
}

func (b *teeBody) cacheInfo() *CacheInfo { return b.info }

// infoBody carries Info for responses whose body needs no teeing.
type infoBody struct {
	io.ReadCloser
	info *CacheInfo
}

func (b *infoBody) cacheInfo() *CacheInfo { return b.info }

// WriteTo lets io.Copy and io.ReadAll use the stored bytes directly.
func (b *infoBody) WriteTo(w io.Writer) (int64, error) {
	if wt, ok := b.ReadCloser.(io.WriterTo); ok {
		return wt.WriteTo(w)
	}
	return io.Copy(w, b.ReadCloser)
}
