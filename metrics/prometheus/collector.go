package prometheus

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/cachedhttp/cachedhttp"
	"github.com/cachedhttp/cachedhttp/metrics/internal/catalog"
	prom "github.com/prometheus/client_golang/prometheus"
)

// DefaultNamespace prefixes the metric names when Options.Namespace is
// empty.
const DefaultNamespace = "cachedhttp"

// DefaultBuckets are the latency histograms' bucket upper bounds in seconds
// when Options.Buckets is nil: 100 µs to 10 s.
var DefaultBuckets = append([]float64(nil), catalog.Boundaries...)

// Options configure a Collector. The zero value registers with
// prometheus.DefaultRegisterer, with names prefixed "cachedhttp_" and the
// cache label "default".
type Options struct {
	// Namespace prefixes every metric name; empty means
	// DefaultNamespace.
	Namespace string
	// CacheName is the value of the cache label on every metric, which
	// tells several caches apart in one registry; empty means "default".
	CacheName string
	// Registerer is where New registers the Collector; nil means
	// prometheus.DefaultRegisterer.
	Registerer prom.Registerer
	// Buckets are the latency histograms' bucket upper bounds in
	// seconds; nil means DefaultBuckets.
	Buckets []float64
}

// Collector counts a Transport's requests as its Observer and exports them,
// with the Transport's own counters, as a prometheus.Collector. It is safe
// for concurrent use.
type Collector struct {
	requests        *prom.CounterVec   // outcome, method
	requestDuration *prom.HistogramVec // outcome
	originDuration  prom.Histogram
	originErrors    prom.Counter
	backendDuration *prom.HistogramVec // op
	backendErrors   *prom.CounterVec   // op
	servedBytes     prom.Counter

	// The children of the vectors, made on first use and kept, so that
	// the request path neither hashes label values nor allocates.
	requestCells  [catalog.NumOutcomes][catalog.NumMethods]atomic.Pointer[prom.Counter]
	durationCells [catalog.NumOutcomes]atomic.Pointer[prom.Observer]
	backendCells  [catalog.NumOps]atomic.Pointer[backendChildren]

	stats     []*prom.Desc // parallel to catalog.Counters
	evictions *prom.Desc
	breaker   *prom.Desc
	queue     *prom.Desc

	t atomic.Pointer[cachedhttp.Transport]
}

type backendChildren struct {
	duration prom.Observer
	errors   prom.Counter
}

// New returns a Collector registered with opts.Registerer. Registering two
// Collectors with the same Namespace and CacheName in one registry fails
// (prometheus.AlreadyRegisteredError).
func New(opts Options) (*Collector, error) {
	ns := opts.Namespace
	if ns == "" {
		ns = DefaultNamespace
	}
	name := opts.CacheName
	if name == "" {
		name = catalog.DefaultCacheName
	}
	buckets := opts.Buckets
	if buckets == nil {
		buckets = DefaultBuckets
	}
	reg := opts.Registerer
	if reg == nil {
		reg = prom.DefaultRegisterer
	}
	cache := prom.Labels{"cache": name}
	c := &Collector{
		requests: prom.NewCounterVec(prom.CounterOpts{
			Namespace: ns, Name: "requests_total", Help: catalog.HelpRequests, ConstLabels: cache,
		}, []string{"outcome", "method"}),
		requestDuration: prom.NewHistogramVec(prom.HistogramOpts{
			Namespace: ns, Name: "request_duration_seconds", Help: catalog.HelpRequestDuration, ConstLabels: cache, Buckets: buckets,
		}, []string{"outcome"}),
		originDuration: prom.NewHistogram(prom.HistogramOpts{
			Namespace: ns, Name: "origin_duration_seconds", Help: catalog.HelpOriginDuration, ConstLabels: cache, Buckets: buckets,
		}),
		originErrors: prom.NewCounter(prom.CounterOpts{
			Namespace: ns, Name: "origin_errors_total", Help: catalog.HelpOriginErrors, ConstLabels: cache,
		}),
		backendDuration: prom.NewHistogramVec(prom.HistogramOpts{
			Namespace: ns, Name: "backend_duration_seconds", Help: catalog.HelpBackendDuration, ConstLabels: cache, Buckets: buckets,
		}, []string{"op"}),
		backendErrors: prom.NewCounterVec(prom.CounterOpts{
			Namespace: ns, Name: "backend_errors_total", Help: catalog.HelpBackendErrors, ConstLabels: cache,
		}, []string{"op"}),
		servedBytes: prom.NewCounter(prom.CounterOpts{
			Namespace: ns, Name: "served_bytes_total", Help: catalog.HelpServedBytes, ConstLabels: cache,
		}),
		evictions: prom.NewDesc(prom.BuildFQName(ns, "", "evictions_total"), catalog.HelpEvictions, nil, cache),
		breaker:   prom.NewDesc(prom.BuildFQName(ns, "", "breaker_state"), catalog.HelpBreakerState, nil, cache),
		queue:     prom.NewDesc(prom.BuildFQName(ns, "", "write_queue_length"), catalog.HelpWriteQueue, nil, cache),
	}
	for _, k := range catalog.Counters {
		c.stats = append(c.stats, prom.NewDesc(prom.BuildFQName(ns, "", k.Name+"_total"), k.Help, nil, cache))
	}
	if err := reg.Register(c); err != nil {
		return nil, fmt.Errorf("metrics/prometheus: register cache %q in namespace %q: %w", name, ns, err)
	}
	return c, nil
}

// Attach makes the Collector export t's own counters (Transport.Stats),
// its write queue's length and its backend's evictions at each scrape; nil
// detaches. Create t with cachedhttp.WithObserver(c) first: the Collector
// needs both. Attaching another Transport replaces the first.
func (c *Collector) Attach(t *cachedhttp.Transport) { c.t.Store(t) }

// ObserveRequest implements cachedhttp.Observer.
func (c *Collector) ObserveRequest(ev cachedhttp.RequestEvent) {
	o, m := catalog.OutcomeIndex(ev.Outcome), catalog.MethodIndex(ev.Method)
	c.requestCounter(o, m).Inc()
	c.durationObserver(o).Observe(ev.Duration.Seconds())
	if ev.BytesFromCache > 0 {
		c.servedBytes.Add(float64(ev.BytesFromCache))
	}
}

// ObserveOrigin implements cachedhttp.Observer.
func (c *Collector) ObserveOrigin(d time.Duration, err error) {
	c.originDuration.Observe(d.Seconds())
	if err != nil {
		c.originErrors.Inc()
	}
}

// ObserveBackend implements cachedhttp.Observer.
func (c *Collector) ObserveBackend(op cachedhttp.BackendOp, d time.Duration, err error) {
	b := c.backendChildren(catalog.OpIndex(op))
	b.duration.Observe(d.Seconds())
	if err != nil {
		b.errors.Inc()
	}
}

func (c *Collector) requestCounter(o, m int) prom.Counter {
	cell := &c.requestCells[o][m]
	if p := cell.Load(); p != nil {
		return *p
	}
	// Two callers racing here get the same child from the vector.
	ctr := c.requests.WithLabelValues(catalog.OutcomeName(o), catalog.MethodName(m))
	cell.Store(&ctr)
	return ctr
}

func (c *Collector) durationObserver(o int) prom.Observer {
	cell := &c.durationCells[o]
	if p := cell.Load(); p != nil {
		return *p
	}
	obs := c.requestDuration.WithLabelValues(catalog.OutcomeName(o))
	cell.Store(&obs)
	return obs
}

func (c *Collector) backendChildren(op int) *backendChildren {
	cell := &c.backendCells[op]
	if p := cell.Load(); p != nil {
		return p
	}
	name := catalog.OpName(op)
	b := &backendChildren{duration: c.backendDuration.WithLabelValues(name), errors: c.backendErrors.WithLabelValues(name)}
	cell.Store(b)
	return b
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prom.Desc) {
	c.requests.Describe(ch)
	c.requestDuration.Describe(ch)
	c.originDuration.Describe(ch)
	c.originErrors.Describe(ch)
	c.backendDuration.Describe(ch)
	c.backendErrors.Describe(ch)
	c.servedBytes.Describe(ch)
	for _, d := range c.stats {
		ch <- d
	}
	ch <- c.evictions
	ch <- c.breaker
	ch <- c.queue
}

// Collect implements prometheus.Collector: the event metrics, then, when a
// Transport is attached, what it reports now.
func (c *Collector) Collect(ch chan<- prom.Metric) {
	c.requests.Collect(ch)
	c.requestDuration.Collect(ch)
	c.originDuration.Collect(ch)
	c.originErrors.Collect(ch)
	c.backendDuration.Collect(ch)
	c.backendErrors.Collect(ch)
	c.servedBytes.Collect(ch)
	t := c.t.Load()
	if t == nil {
		return
	}
	s := catalog.Read(t)
	for i, k := range catalog.Counters {
		ch <- prom.MustNewConstMetric(c.stats[i], prom.CounterValue, float64(k.Value(s.Stats)))
	}
	if s.HasEvictions {
		ch <- prom.MustNewConstMetric(c.evictions, prom.CounterValue, float64(s.Evictions))
	}
	ch <- prom.MustNewConstMetric(c.breaker, prom.GaugeValue, float64(catalog.BreakerValue(s.Stats.Breaker)))
	ch <- prom.MustNewConstMetric(c.queue, prom.GaugeValue, float64(s.QueueLen))
}

var (
	_ cachedhttp.Observer = (*Collector)(nil)
	_ prom.Collector      = (*Collector)(nil)
)
