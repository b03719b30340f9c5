package cachedhttp

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Observer receives what a Transport does, for metrics exporters (packages
// metrics/prometheus and metrics/otel implement it). Its methods are called
// on the request path: they must be fast and safe for concurrent use.
// Counters that need no event (hits, stores, evictions...) are read from
// Transport.Stats instead.
type Observer interface {
	// ObserveRequest is called once for every request the Transport
	// answered, when RoundTrip returns.
	ObserveRequest(RequestEvent)
	// ObserveOrigin is called after each request the Transport sent to the
	// next transport (the origin), with how long it took to answer.
	ObserveOrigin(d time.Duration, err error)
	// ObserveBackend is called after each backend call on the request path
	// or behind it; a miss is not an error.
	ObserveBackend(op BackendOp, d time.Duration, err error)
}

// WithObserver sets an Observer of the Transport's requests, origin calls
// and backend calls (default none).
func WithObserver(o Observer) Option {
	return func(c *config) { c.observer = o }
}

// Outcome classifies how a request was answered, with a small fixed set of
// values (safe as a metric label).
type Outcome string

// The outcomes.
const (
	// OutcomeHit: served from the cache without contacting the origin
	// (collapsed requests included).
	OutcomeHit Outcome = "hit"
	// OutcomeStale: served stale from the cache (stale-if-error,
	// stale-while-revalidate, max-stale).
	OutcomeStale Outcome = "stale"
	// OutcomeRevalidated: the origin confirmed the stored response (304).
	OutcomeRevalidated Outcome = "revalidated"
	// OutcomeMiss: answered by the origin (stored or not).
	OutcomeMiss Outcome = "miss"
	// OutcomeBypass: the cache was not consulted (method, Bypass, closed).
	OutcomeBypass Outcome = "bypass"
	// OutcomeError: RoundTrip returned an error.
	OutcomeError Outcome = "error"
)

// RequestEvent describes one request the Transport answered.
type RequestEvent struct {
	Outcome Outcome
	// Method is the request method; Status the response status (0 on
	// error).
	Method string
	Status int
	// Duration is how long RoundTrip took (until the response header; the
	// body is read afterwards).
	Duration time.Duration
	// BytesFromCache is the body size of a response served from the
	// cache, else 0.
	BytesFromCache int64
	// Collapsed reports that the request was answered by another caller's
	// concurrent request (coalescing).
	Collapsed bool
	// Key is the cache key of the request ("" when none was computed);
	// CacheStatus this cache's Cache-Status member. Neither is a safe
	// metric label (unbounded): they are for logs and inspectors.
	Key, CacheStatus string
}

// MultiObserver returns an Observer that passes every event to each of obs
// in turn (for example a metrics exporter and an inspector's recorder).
func MultiObserver(obs ...Observer) Observer {
	return multiObserver(append([]Observer(nil), obs...))
}

type multiObserver []Observer

func (m multiObserver) ObserveRequest(e RequestEvent) {
	for _, o := range m {
		o.ObserveRequest(e)
	}
}

func (m multiObserver) ObserveOrigin(d time.Duration, err error) {
	for _, o := range m {
		o.ObserveOrigin(d, err)
	}
}

func (m multiObserver) ObserveBackend(op BackendOp, d time.Duration, err error) {
	for _, o := range m {
		o.ObserveBackend(op, d, err)
	}
}

// BackendOp names a backend call, for ObserveBackend.
type BackendOp string

// The backend operations the Transport makes.
const (
	BackendGet     BackendOp = "get"
	BackendSet     BackendOp = "set"
	BackendSetMany BackendOp = "set_many"
	BackendDelete  BackendOp = "delete"
)

// outcomeOf classifies a response RoundTrip returns.
func outcomeOf(resp *http.Response, err error) (Outcome, CacheInfo) {
	if err != nil {
		return OutcomeError, CacheInfo{}
	}
	in := Info(resp)
	switch {
	case in.Revalidated:
		return OutcomeRevalidated, in
	case in.Stale:
		return OutcomeStale, in
	case in.FromCache:
		return OutcomeHit, in
	}
	for _, v := range in.CacheStatus {
		if strings.Contains(v, "fwd=bypass") || strings.Contains(v, "fwd=method") {
			return OutcomeBypass, in
		}
	}
	return OutcomeMiss, in
}

// observe reports a finished RoundTrip to the Observer and, at Debug, to
// the log: one line per decision, with the key, the URL (credentials and
// secret parameters redacted) and the Cache-Status.
func (t *Transport) observe(req *http.Request, start time.Time, resp *http.Response, err error) {
	debug := t.log.Enabled(req.Context(), slog.LevelDebug)
	if t.obs == nil && !debug {
		return
	}
	d := time.Since(start)
	o, in := outcomeOf(resp, err)
	if t.obs != nil {
		ev := RequestEvent{Outcome: o, Method: req.Method, Duration: d}
		if resp != nil {
			ev.Status = resp.StatusCode
			if in.FromCache && resp.ContentLength > 0 {
				ev.BytesFromCache = resp.ContentLength
			}
			for _, v := range in.CacheStatus {
				ev.Collapsed = ev.Collapsed || strings.Contains(v, "collapsed")
			}
			ev.Key = in.Key
			if n := len(in.CacheStatus); n > 0 {
				ev.CacheStatus = in.CacheStatus[n-1]
			}
		}
		t.obs.ObserveRequest(ev)
	}
	if debug {
		attrs := []slog.Attr{
			slog.String("outcome", string(o)),
			slog.String("method", req.Method),
			slog.String("url", t.keys.Redact(req).URL),
			slog.String("key", in.Key),
			slog.Duration("duration", d),
		}
		if len(in.CacheStatus) > 0 {
			attrs = append(attrs, slog.String("cache_status", in.CacheStatus[len(in.CacheStatus)-1]))
		}
		if err != nil {
			attrs = append(attrs, slog.Any("error", err))
		}
		t.log.LogAttrs(req.Context(), slog.LevelDebug, "cachedhttp: request", attrs...)
	}
}

// limitedLog writes backend failures at Warn at most once per interval per
// message, with the count of the lines it suppressed meanwhile, so a store
// that fails on every request cannot flood the user's log.
type limitedLog struct {
	*slog.Logger
	every time.Duration
	mu    sync.Mutex
	last  map[string]*logState
}

type logState struct {
	at         time.Time
	suppressed int
}

func newLimitedLog(l *slog.Logger) *limitedLog {
	return &limitedLog{Logger: l, every: time.Second, last: map[string]*logState{}}
}

// warn logs msg with attrs at Warn unless msg was logged less than a second
// ago; attribute names are shared by every message (key, keys, url,
// records, dsn, error), so a log query can follow one key.
func (l *limitedLog) warn(ctx context.Context, msg string, attrs ...slog.Attr) {
	if !l.Enabled(ctx, slog.LevelWarn) {
		return
	}
	now := time.Now()
	l.mu.Lock()
	st := l.last[msg]
	if st == nil {
		st = &logState{}
		l.last[msg] = st
	}
	if !st.at.IsZero() && now.Sub(st.at) < l.every {
		st.suppressed++
		l.mu.Unlock()
		return
	}
	n := st.suppressed
	st.at, st.suppressed = now, 0
	l.mu.Unlock()
	if n > 0 {
		attrs = append(attrs, slog.Int("suppressed", n))
	}
	l.LogAttrs(ctx, slog.LevelWarn, msg, attrs...)
}
