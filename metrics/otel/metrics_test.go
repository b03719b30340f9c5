package otel_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp"
	"github.com/cachedhttp/cachedhttp/backends/memory"
	"github.com/cachedhttp/cachedhttp/metrics/internal/scenario"
	"github.com/cachedhttp/cachedhttp/metrics/otel"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// reading is one collection of a ManualReader.
type reading map[string]metricdata.Metrics

func newProvider(t *testing.T) (*sdkmetric.MeterProvider, *sdkmetric.ManualReader) {
	t.Helper()
	r := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))
	t.Cleanup(func() { mp.Shutdown(context.Background()) })
	return mp, r
}

func collect(t *testing.T, r *sdkmetric.ManualReader) reading {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := reading{}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != otel.ScopeName {
			t.Errorf("scope %q, want %q", sm.Scope.Name, otel.ScopeName)
		}
		for _, m := range sm.Metrics {
			out[m.Name] = m
		}
	}
	return out
}

// matches reports whether set has every attribute of kv (key, value pairs).
func matches(set attribute.Set, kv []string) bool {
	for i := 0; i < len(kv); i += 2 {
		if v, ok := set.Value(attribute.Key(kv[i])); !ok || v.AsString() != kv[i+1] {
			return false
		}
	}
	return true
}

// sum returns the value of the int64 sum point of name whose attributes
// include kv; ok is false when there is none.
func (r reading) sum(t *testing.T, name string, kv ...string) (v int64, ok bool) {
	t.Helper()
	m, found := r[name]
	if !found {
		return 0, false
	}
	s, isSum := m.Data.(metricdata.Sum[int64])
	if !isSum {
		t.Fatalf("%s is a %T, want a Sum[int64]", name, m.Data)
	}
	if !s.IsMonotonic {
		t.Errorf("%s is not monotonic", name)
	}
	for _, p := range s.DataPoints {
		if matches(p.Attributes, kv) {
			return p.Value, true
		}
	}
	return 0, false
}

func (r reading) gauge(t *testing.T, name string, kv ...string) int64 {
	t.Helper()
	g, ok := r[name].Data.(metricdata.Gauge[int64])
	if !ok {
		t.Fatalf("%s is a %T, want a Gauge[int64]", name, r[name].Data)
	}
	for _, p := range g.DataPoints {
		if matches(p.Attributes, kv) {
			return p.Value
		}
	}
	t.Fatalf("no point %s%v", name, kv)
	return 0
}

func (r reading) histogram(t *testing.T, name string, kv ...string) metricdata.HistogramDataPoint[float64] {
	t.Helper()
	h, ok := r[name].Data.(metricdata.Histogram[float64])
	if !ok {
		t.Fatalf("%s is a %T, want a Histogram[float64]", name, r[name].Data)
	}
	if r[name].Unit != "s" {
		t.Errorf("%s unit %q, want s", name, r[name].Unit)
	}
	for _, p := range h.DataPoints {
		if matches(p.Attributes, kv) {
			return p
		}
	}
	t.Fatalf("no point %s%v", name, kv)
	return metricdata.HistogramDataPoint[float64]{}
}

func TestMetricsReadWithManualReader(t *testing.T) {
	mp, reader := newProvider(t)
	m, err := otel.New(mp, otel.Options{CacheName: "api"})
	if err != nil {
		t.Fatal(err)
	}
	clock := scenario.NewClock()
	origin := scenario.NewOrigin(t, clock)
	tr := scenario.NewTransport(t, m, clock)
	m.Attach(tr)
	scenario.Sequence(t, tr, origin, clock)
	r := collect(t, reader)
	w := scenario.Want

	requests := 0
	for _, tt := range []struct {
		outcome, method string
		want            int64
	}{
		{"hit", "GET", w.Hit},
		{"stale", "GET", w.Stale},
		{"revalidated", "GET", w.Revalidated},
		{"miss", "GET", w.Miss},
		{"bypass", "POST", w.Bypass},
	} {
		got, ok := r.sum(t, "cachedhttp.requests", "cache", "api", "outcome", tt.outcome, "method", tt.method)
		if !ok || got != tt.want {
			t.Errorf("requests{outcome=%s,method=%s} = %d (found %v), want %d", tt.outcome, tt.method, got, ok, tt.want)
		}
		p := r.histogram(t, "cachedhttp.request.duration", "cache", "api", "outcome", tt.outcome)
		if p.Count != uint64(tt.want) {
			t.Errorf("request.duration{outcome=%s} count = %d, want %d", tt.outcome, p.Count, tt.want)
		}
		if len(p.Bounds) != len(otel.DefaultBoundaries) || p.Bounds[0] != 0.0001 || p.Bounds[len(p.Bounds)-1] != 10 {
			t.Errorf("request.duration bounds = %v, want DefaultBoundaries", p.Bounds)
		}
		requests++
	}
	if n := len(r["cachedhttp.requests"].Data.(metricdata.Sum[int64]).DataPoints); n != requests {
		t.Errorf("requests has %d points, want %d (only the outcomes and methods seen)", n, requests)
	}

	for name, want := range map[string]int64{
		"cachedhttp.served":          w.ServedBytes,
		"cachedhttp.stores":          w.Stores,
		"cachedhttp.revalidations":   w.Revalidations,
		"cachedhttp.stale_if_error":  w.StaleIfError,
		"cachedhttp.invalidations":   w.Invalidations,
		"cachedhttp.collapsed":       w.Collapsed,
		"cachedhttp.evictions":       w.Evictions,
		"cachedhttp.not_stored":      0,
		"cachedhttp.truncated":       0,
		"cachedhttp.decode_errors":   0,
		"cachedhttp.dropped_writes":  0,
		"cachedhttp.breaker_opens":   0,
		"cachedhttp.backend_skipped": 0,
	} {
		got, ok := r.sum(t, name, "cache", "api")
		if !ok || got != want {
			t.Errorf("%s = %d (found %v), want %d", name, got, ok, want)
		}
	}
	if _, ok := r.sum(t, "cachedhttp.origin.errors"); ok {
		t.Error("origin.errors has a point, want none (no origin call failed)")
	}
	for _, name := range []string{"cachedhttp.breaker.state", "cachedhttp.write_queue.length"} {
		if got := r.gauge(t, name, "cache", "api"); got != 0 {
			t.Errorf("%s = %d, want 0", name, got)
		}
	}
	if p := r.histogram(t, "cachedhttp.origin.duration", "cache", "api"); p.Count != uint64(w.OriginRequests) {
		t.Errorf("origin.duration count = %d, want %d", p.Count, w.OriginRequests)
	}
	for op, want := range map[string]int64{"get": w.BackendGets, "set": w.BackendSets, "delete": w.BackendDeletes} {
		if p := r.histogram(t, "cachedhttp.backend.duration", "op", op); p.Count != uint64(want) {
			t.Errorf("backend.duration{op=%s} count = %d, want %d", op, p.Count, want)
		}
	}
}

func TestMetricsErrorsAndBoundedAttributes(t *testing.T) {
	mp, reader := newProvider(t)
	m, err := otel.New(mp, otel.Options{Boundaries: []float64{0.5, 1}})
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	m.ObserveBackend(cachedhttp.BackendSetMany, 0, boom)
	m.ObserveBackend(cachedhttp.BackendSetMany, 0, nil)
	m.ObserveBackend("scan", 0, boom)
	m.ObserveOrigin(2*time.Second, boom)
	for _, method := range []string{"PROPFIND", "get", "", "GET"} {
		m.ObserveRequest(cachedhttp.RequestEvent{Outcome: cachedhttp.OutcomeMiss, Method: method})
	}
	m.ObserveRequest(cachedhttp.RequestEvent{Outcome: "surprise", Method: "GET"})
	r := collect(t, reader)
	for _, tt := range []struct {
		name string
		kv   []string
		want int64
	}{
		{"cachedhttp.backend.errors", []string{"cache", "default", "op", "set_many"}, 1},
		{"cachedhttp.backend.errors", []string{"op", "other"}, 1},
		{"cachedhttp.origin.errors", []string{"cache", "default"}, 1},
		{"cachedhttp.requests", []string{"outcome", "miss", "method", "other"}, 2},
		{"cachedhttp.requests", []string{"outcome", "miss", "method", "GET"}, 2},
		{"cachedhttp.requests", []string{"outcome", "other", "method", "GET"}, 1},
	} {
		if got, ok := r.sum(t, tt.name, tt.kv...); !ok || got != tt.want {
			t.Errorf("%s%v = %d (found %v), want %d", tt.name, tt.kv, got, ok, tt.want)
		}
	}
	if p := r.histogram(t, "cachedhttp.backend.duration", "op", "set_many"); p.Count != 2 {
		t.Errorf("backend.duration{op=set_many} count = %d, want 2", p.Count)
	}
	// 2 s falls in the overflow bucket of the given boundaries.
	if p := r.histogram(t, "cachedhttp.origin.duration"); len(p.BucketCounts) != 3 || p.BucketCounts[2] != 1 {
		t.Errorf("origin.duration buckets = %v over %v, want [0 0 1]", p.BucketCounts, p.Bounds)
	}
	// Without Attach the observable instruments report nothing.
	if _, ok := r.sum(t, "cachedhttp.stores"); ok {
		t.Error("stores reported without an attached Transport")
	}
}

// A backend that fails every call opens the breaker: the gauge follows its
// state through the injected clock; Unregister stops the callback.
func TestMetricsBreakerGaugeAndUnregister(t *testing.T) {
	mp, reader := newProvider(t)
	m, err := otel.New(mp, otel.Options{})
	if err != nil {
		t.Fatal(err)
	}
	broken := memory.New(memory.Options{})
	broken.Close() // every call now fails with backends.ErrClosed
	clock := scenario.NewClock()
	origin := scenario.NewOrigin(t, clock)
	tr, err := cachedhttp.NewTransport(cachedhttp.WithBackend(broken), cachedhttp.WithObserver(m),
		cachedhttp.WithBreaker(1, time.Minute), cachedhttp.WithClock(clock.Now), cachedhttp.WithWriteQueue(0))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	m.Attach(tr)
	resp, err := (&http.Client{Transport: tr}).Get(origin.URL + "/x")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	r := collect(t, reader)
	if got := r.gauge(t, "cachedhttp.breaker.state"); got != 2 {
		t.Errorf("breaker.state = %d, want 2 (open)", got)
	}
	if got, _ := r.sum(t, "cachedhttp.breaker_opens"); got != 1 {
		t.Errorf("breaker_opens = %d, want 1", got)
	}
	if got, _ := r.sum(t, "cachedhttp.backend.errors", "op", "get"); got != 1 {
		t.Errorf("backend.errors{op=get} = %d, want 1", got)
	}
	clock.Advance(time.Minute)
	if got := collect(t, reader).gauge(t, "cachedhttp.breaker.state"); got != 1 {
		t.Errorf("breaker.state after the backoff = %d, want 1 (half-open)", got)
	}
	if err := m.Unregister(); err != nil {
		t.Fatal(err)
	}
	r = collect(t, reader)
	if g, ok := r["cachedhttp.breaker.state"].Data.(metricdata.Gauge[int64]); ok && len(g.DataPoints) > 0 {
		t.Errorf("breaker.state reported after Unregister: %v", g.DataPoints)
	}
}
