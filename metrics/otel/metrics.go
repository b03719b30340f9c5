package otel

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/cachedhttp/cachedhttp"
	"github.com/cachedhttp/cachedhttp/metrics/internal/catalog"
	otelglobal "go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// ScopeName is the instrumentation scope (the Meter's name) of the
// instruments.
const ScopeName = "github.com/cachedhttp/cachedhttp/metrics/otel"

// DefaultBoundaries are the histograms' explicit bucket boundaries in
// seconds when Options.Boundaries is nil: 100 µs to 10 s.
var DefaultBoundaries = append([]float64(nil), catalog.Boundaries...)

// Options configure Metrics. The zero value names the cache "default" and
// uses DefaultBoundaries.
type Options struct {
	// CacheName is the value of the cache attribute on every measurement,
	// which tells several caches apart; empty means "default".
	CacheName string
	// Boundaries are the histograms' bucket boundaries in seconds; nil
	// means DefaultBoundaries.
	Boundaries []float64
}

// Metrics records a Transport's requests as its Observer and reports the
// Transport's own counters through observable instruments. It is safe for
// concurrent use.
type Metrics struct {
	requests        metric.Int64Counter
	requestDuration metric.Float64Histogram
	originDuration  metric.Float64Histogram
	originErrors    metric.Int64Counter
	backendDuration metric.Float64Histogram
	backendErrors   metric.Int64Counter
	servedBytes     metric.Int64Counter

	// Attribute sets made once, in option slices passed as they are, so
	// that the request path neither builds sets nor allocates.
	cache         metric.MeasurementOption
	cacheAdd      []metric.AddOption
	cacheRecord   []metric.RecordOption
	requestAdd    [catalog.NumOutcomes][catalog.NumMethods][]metric.AddOption
	outcomeRecord [catalog.NumOutcomes][]metric.RecordOption
	opAdd         [catalog.NumOps][]metric.AddOption
	opRecord      [catalog.NumOps][]metric.RecordOption

	stats     []metric.Int64ObservableCounter // parallel to catalog.Counters
	evictions metric.Int64ObservableCounter
	breaker   metric.Int64ObservableGauge
	queue     metric.Int64ObservableGauge
	reg       metric.Registration

	t atomic.Pointer[cachedhttp.Transport]
}

// New creates the instruments with a Meter of mp (nil means the global
// MeterProvider, otel.GetMeterProvider) and returns them as Metrics.
func New(mp metric.MeterProvider, opts Options) (*Metrics, error) {
	if mp == nil {
		mp = otelglobal.GetMeterProvider()
	}
	name := opts.CacheName
	if name == "" {
		name = catalog.DefaultCacheName
	}
	bounds := opts.Boundaries
	if bounds == nil {
		bounds = DefaultBoundaries
	}
	meter := mp.Meter(ScopeName)
	m := &Metrics{}
	var errs []error
	check := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	var err error
	m.requests, err = meter.Int64Counter("cachedhttp.requests", metric.WithDescription(catalog.HelpRequests), metric.WithUnit("{request}"))
	check(err)
	m.requestDuration, err = meter.Float64Histogram("cachedhttp.request.duration", metric.WithDescription(catalog.HelpRequestDuration),
		metric.WithUnit("s"), metric.WithExplicitBucketBoundaries(bounds...))
	check(err)
	m.originDuration, err = meter.Float64Histogram("cachedhttp.origin.duration", metric.WithDescription(catalog.HelpOriginDuration),
		metric.WithUnit("s"), metric.WithExplicitBucketBoundaries(bounds...))
	check(err)
	m.originErrors, err = meter.Int64Counter("cachedhttp.origin.errors", metric.WithDescription(catalog.HelpOriginErrors), metric.WithUnit("{error}"))
	check(err)
	m.backendDuration, err = meter.Float64Histogram("cachedhttp.backend.duration", metric.WithDescription(catalog.HelpBackendDuration),
		metric.WithUnit("s"), metric.WithExplicitBucketBoundaries(bounds...))
	check(err)
	m.backendErrors, err = meter.Int64Counter("cachedhttp.backend.errors", metric.WithDescription(catalog.HelpBackendErrors), metric.WithUnit("{error}"))
	check(err)
	m.servedBytes, err = meter.Int64Counter("cachedhttp.served", metric.WithDescription(catalog.HelpServedBytes), metric.WithUnit("By"))
	check(err)
	for _, k := range catalog.Counters {
		c, err := meter.Int64ObservableCounter("cachedhttp."+k.Name, metric.WithDescription(k.Help), metric.WithUnit(k.Unit))
		check(err)
		m.stats = append(m.stats, c)
	}
	m.evictions, err = meter.Int64ObservableCounter("cachedhttp.evictions", metric.WithDescription(catalog.HelpEvictions), metric.WithUnit("{record}"))
	check(err)
	m.breaker, err = meter.Int64ObservableGauge("cachedhttp.breaker.state", metric.WithDescription(catalog.HelpBreakerState), metric.WithUnit("{state}"))
	check(err)
	m.queue, err = meter.Int64ObservableGauge("cachedhttp.write_queue.length", metric.WithDescription(catalog.HelpWriteQueue), metric.WithUnit("{record}"))
	check(err)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("metrics/otel: create instruments for cache %q: %w", name, err)
	}

	cache := attribute.String("cache", name)
	m.cache = metric.WithAttributeSet(attribute.NewSet(cache))
	m.cacheAdd, m.cacheRecord = []metric.AddOption{m.cache}, []metric.RecordOption{m.cache}
	for o := range catalog.NumOutcomes {
		outcome := attribute.String("outcome", catalog.OutcomeName(o))
		m.outcomeRecord[o] = []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(cache, outcome))}
		for me := range catalog.NumMethods {
			method := attribute.String("method", catalog.MethodName(me))
			m.requestAdd[o][me] = []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(cache, outcome, method))}
		}
	}
	for op := range catalog.NumOps {
		set := metric.WithAttributeSet(attribute.NewSet(cache, attribute.String("op", catalog.OpName(op))))
		m.opAdd[op], m.opRecord[op] = []metric.AddOption{set}, []metric.RecordOption{set}
	}

	observables := []metric.Observable{m.evictions, m.breaker, m.queue}
	for _, c := range m.stats {
		observables = append(observables, c)
	}
	m.reg, err = meter.RegisterCallback(m.observe, observables...)
	if err != nil {
		return nil, fmt.Errorf("metrics/otel: register the callback for cache %q: %w", name, err)
	}
	return m, nil
}

// Attach makes the observable instruments report t's own counters
// (Transport.Stats), its write queue's length and its backend's evictions;
// nil detaches. Create t with cachedhttp.WithObserver(m) first: Metrics
// needs both. Attaching another Transport replaces the first.
func (m *Metrics) Attach(t *cachedhttp.Transport) { m.t.Store(t) }

// Unregister stops the observable instruments' callback, for a Metrics
// whose Transport is gone while the MeterProvider lives on. The
// synchronous instruments stay, with what they recorded.
func (m *Metrics) Unregister() error {
	m.t.Store(nil)
	return m.reg.Unregister()
}

// observe is the observable instruments' callback.
func (m *Metrics) observe(_ context.Context, o metric.Observer) error {
	t := m.t.Load()
	if t == nil {
		return nil
	}
	s := catalog.Read(t)
	for i, k := range catalog.Counters {
		o.ObserveInt64(m.stats[i], k.Value(s.Stats), m.cache)
	}
	if s.HasEvictions {
		o.ObserveInt64(m.evictions, s.Evictions, m.cache)
	}
	o.ObserveInt64(m.breaker, catalog.BreakerValue(s.Stats.Breaker), m.cache)
	o.ObserveInt64(m.queue, int64(s.QueueLen), m.cache)
	return nil
}

// The Observer has no request context: measurements are made with
// context.Background (so no exemplars link them to traces).

// ObserveRequest implements cachedhttp.Observer.
func (m *Metrics) ObserveRequest(ev cachedhttp.RequestEvent) {
	ctx := context.Background()
	o := catalog.OutcomeIndex(ev.Outcome)
	m.requests.Add(ctx, 1, m.requestAdd[o][catalog.MethodIndex(ev.Method)]...)
	m.requestDuration.Record(ctx, ev.Duration.Seconds(), m.outcomeRecord[o]...)
	if ev.BytesFromCache > 0 {
		m.servedBytes.Add(ctx, ev.BytesFromCache, m.cacheAdd...)
	}
}

// ObserveOrigin implements cachedhttp.Observer.
func (m *Metrics) ObserveOrigin(d time.Duration, err error) {
	ctx := context.Background()
	m.originDuration.Record(ctx, d.Seconds(), m.cacheRecord...)
	if err != nil {
		m.originErrors.Add(ctx, 1, m.cacheAdd...)
	}
}

// ObserveBackend implements cachedhttp.Observer.
func (m *Metrics) ObserveBackend(op cachedhttp.BackendOp, d time.Duration, err error) {
	ctx := context.Background()
	i := catalog.OpIndex(op)
	m.backendDuration.Record(ctx, d.Seconds(), m.opRecord[i]...)
	if err != nil {
		m.backendErrors.Add(ctx, 1, m.opAdd[i]...)
	}
}

var _ cachedhttp.Observer = (*Metrics)(nil)
