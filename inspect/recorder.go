package inspect

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cachedhttp/cachedhttp"
)

// DefaultRecorderSize is how many events of each kind a Recorder keeps when
// NewRecorder is given zero.
const DefaultRecorderSize = 500

// Recorder keeps, in memory, what the inspector can show about requests as
// they happen. As a cachedhttp.Observer (install it with
// cachedhttp.WithObserver) it counts outcomes, bytes served from the cache
// and origin calls, and keeps the last requests; those events carry no key,
// because cachedhttp.RequestEvent has none. Through Wrap it also sees each
// response's key and Cache-Status, which gives a record page its history.
// A Recorder is safe for concurrent use; its methods never block on I/O.
type Recorder struct {
	now func() time.Time

	bytes    atomic.Int64 // bytes served from the cache
	outcomes sync.Map     // cachedhttp.Outcome -> *atomic.Int64
	origin   atomic.Int64 // origin calls
	originNS atomic.Int64 // their total duration
	originEr atomic.Int64
	backErr  atomic.Int64

	mu      sync.Mutex
	events  ring // from ObserveRequest: no key
	history ring // from Wrap: with key and Cache-Status
}

// NewRecorder returns a Recorder that keeps the last n events of each kind
// (DefaultRecorderSize when n <= 0) and dates them with now (nil means
// time.Now; give the clock the Transport and the Handler use).
func NewRecorder(n int, now func() time.Time) *Recorder {
	if n <= 0 {
		n = DefaultRecorderSize
	}
	if now == nil {
		now = time.Now
	}
	return &Recorder{now: now, events: ring{buf: make([]Event, n)}, history: ring{buf: make([]Event, n)}}
}

// Event is one request a Recorder saw.
type Event struct {
	Time    time.Time
	Outcome cachedhttp.Outcome
	Method  string
	// Status is the response status, 0 when the request failed.
	Status   int
	Duration time.Duration
	// BytesFromCache is the body size of a response served from the
	// cache (known for events from the Observer only).
	BytesFromCache int64
	Collapsed      bool
	// Key, URL and CacheStatus are known for requests seen through Wrap:
	// the cache key, the URL without credentials and query values, and
	// the last Cache-Status field value.
	Key, URL, CacheStatus string
}

// ObserveRequest implements cachedhttp.Observer.
func (r *Recorder) ObserveRequest(ev cachedhttp.RequestEvent) {
	r.counter(ev.Outcome).Add(1)
	r.bytes.Add(ev.BytesFromCache)
	e := Event{
		Time: r.now(), Outcome: ev.Outcome, Method: ev.Method, Status: ev.Status,
		Duration: ev.Duration, BytesFromCache: ev.BytesFromCache, Collapsed: ev.Collapsed,
	}
	r.mu.Lock()
	r.events.add(e)
	r.mu.Unlock()
}

// ObserveOrigin implements cachedhttp.Observer.
func (r *Recorder) ObserveOrigin(d time.Duration, err error) {
	r.origin.Add(1)
	r.originNS.Add(int64(d))
	if err != nil {
		r.originEr.Add(1)
	}
}

// ObserveBackend implements cachedhttp.Observer.
func (r *Recorder) ObserveBackend(_ cachedhttp.BackendOp, _ time.Duration, err error) {
	if err != nil {
		r.backErr.Add(1)
	}
}

func (r *Recorder) counter(o cachedhttp.Outcome) *atomic.Int64 {
	if c, ok := r.outcomes.Load(o); ok {
		return c.(*atomic.Int64)
	}
	c, _ := r.outcomes.LoadOrStore(o, new(atomic.Int64))
	return c.(*atomic.Int64)
}

// Wrap returns a RoundTripper that sends requests through rt (normally the
// *cachedhttp.Transport, or a Session's Client.Transport) and records each
// response's key and Cache-Status, so that a record page can show the
// requests that used the record. It changes neither request nor response.
func (r *Recorder) Wrap(rt http.RoundTripper) http.RoundTripper {
	return &recording{rec: r, next: rt}
}

type recording struct {
	rec  *Recorder
	next http.RoundTripper
}

func (t *recording) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	e := Event{Time: t.rec.now(), Method: req.Method, Duration: time.Since(start), URL: redactURL(req.URL)}
	if e.Method == "" {
		e.Method = http.MethodGet
	}
	if err != nil {
		e.Outcome = cachedhttp.OutcomeError
	} else {
		in := cachedhttp.Info(resp)
		e.Status, e.Key = resp.StatusCode, in.Key
		if n := len(in.CacheStatus); n > 0 {
			e.CacheStatus = in.CacheStatus[n-1]
		}
		e.Outcome = outcomeOf(in)
	}
	t.rec.mu.Lock()
	t.rec.history.add(e)
	t.rec.mu.Unlock()
	return resp, err
}

// outcomeOf classifies a response by its CacheInfo, as the Transport does
// for its Observer.
func outcomeOf(in cachedhttp.CacheInfo) cachedhttp.Outcome {
	switch {
	case in.Revalidated:
		return cachedhttp.OutcomeRevalidated
	case in.Stale:
		return cachedhttp.OutcomeStale
	case in.FromCache:
		return cachedhttp.OutcomeHit
	}
	for _, v := range in.CacheStatus {
		if strings.Contains(v, "fwd=bypass") || strings.Contains(v, "fwd=method") {
			return cachedhttp.OutcomeBypass
		}
	}
	return cachedhttp.OutcomeMiss
}

// redactURL returns u without user information and with query values
// elided ("?page=…&token=…"): a Recorder cannot know which parameters are
// secret, so it keeps none of their values.
func redactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	v := *u
	v.User = nil
	v.Fragment, v.RawFragment = "", ""
	q := v.RawQuery
	v.RawQuery, v.ForceQuery = "", false
	s := v.String()
	if q == "" {
		return s
	}
	var names []string
	for p := range strings.SplitSeq(q, "&") {
		if p == "" {
			continue
		}
		name, _, _ := strings.Cut(p, "=")
		names = append(names, name+"=…")
	}
	return s + "?" + strings.Join(names, "&")
}

// totals are a Recorder's counters at one moment.
type totals struct {
	Bytes         int64 // served from the cache
	Outcomes      []outcomeCount
	Origin        int64 // origin calls
	OriginErrors  int64
	OriginMean    time.Duration
	BackendErrors int64
	Capacity      int  // events kept of each kind
	Wrapped       bool // requests were seen through Wrap
}

type outcomeCount struct {
	Outcome cachedhttp.Outcome
	N       int64
}

var outcomeOrder = []cachedhttp.Outcome{
	cachedhttp.OutcomeHit, cachedhttp.OutcomeStale, cachedhttp.OutcomeRevalidated,
	cachedhttp.OutcomeMiss, cachedhttp.OutcomeBypass, cachedhttp.OutcomeError,
}

func (r *Recorder) totals() totals {
	t := totals{
		Bytes: r.bytes.Load(), Origin: r.origin.Load(), OriginErrors: r.originEr.Load(),
		BackendErrors: r.backErr.Load(), Capacity: len(r.events.buf),
	}
	if t.Origin > 0 {
		t.OriginMean = time.Duration(r.originNS.Load() / t.Origin)
	}
	for _, o := range outcomeOrder {
		t.Outcomes = append(t.Outcomes, outcomeCount{o, r.counter(o).Load()})
	}
	r.mu.Lock()
	t.Wrapped = r.history.total > 0
	r.mu.Unlock()
	return t
}

// recent returns up to n events from the Observer, newest first.
func (r *Recorder) recent(n int) []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.events.newest(n)
}

// recentKeyed returns up to n events seen through Wrap, newest first.
func (r *Recorder) recentKeyed(n int) []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.history.newest(n)
}

// historyOf returns the events seen through Wrap for key, newest first.
func (r *Recorder) historyOf(key string) []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Event
	for _, e := range r.history.newest(r.history.n) {
		if e.Key == key {
			out = append(out, e)
		}
	}
	return out
}

// ring is a fixed-size buffer of the latest events.
type ring struct {
	buf   []Event
	next  int // where the next event goes
	n     int // events held
	total int64
}

func (g *ring) add(e Event) {
	g.buf[g.next] = e
	g.next = (g.next + 1) % len(g.buf)
	if g.n < len(g.buf) {
		g.n++
	}
	g.total++
}

// newest returns up to k events, newest first.
func (g *ring) newest(k int) []Event {
	k = min(k, g.n)
	out := make([]Event, 0, k)
	for i := 1; i <= k; i++ {
		out = append(out, g.buf[(g.next-i+len(g.buf))%len(g.buf)])
	}
	return out
}
