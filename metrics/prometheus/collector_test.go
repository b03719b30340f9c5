package prometheus_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp"
	"github.com/cachedhttp/cachedhttp/backends/memory"
	"github.com/cachedhttp/cachedhttp/metrics/internal/scenario"
	"github.com/cachedhttp/cachedhttp/metrics/prometheus"
	prom "github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape reads the registry's metrics the way Prometheus does: over HTTP
// from a promhttp handler, in the text format.
func scrape(t *testing.T, reg *prom.Registry) map[string]*dto.MetricFamily {
	t.Helper()
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.HTTPErrorOnError}))
	defer srv.Close()
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/plain; version=0.0.4")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return fams
}

// series finds the metric of family name whose labels include labels
// (name, value pairs), or fails.
func series(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels ...string) *dto.Metric {
	t.Helper()
	f := fams[name]
	if f == nil {
		t.Fatalf("no metric %s in the scrape", name)
	}
next:
	for _, m := range f.GetMetric() {
		for i := 0; i < len(labels); i += 2 {
			if value(m, labels[i]) != labels[i+1] {
				continue next
			}
		}
		return m
	}
	t.Fatalf("no series %s%v in the scrape", name, labels)
	return nil
}

func value(m *dto.Metric, label string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == label {
			return l.GetValue()
		}
	}
	return ""
}

func TestCollectorScrapedOverHTTP(t *testing.T) {
	reg := prom.NewRegistry()
	c, err := prometheus.New(prometheus.Options{CacheName: "api", Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	clock := scenario.NewClock()
	origin := scenario.NewOrigin(t, clock)
	tr := scenario.NewTransport(t, c, clock)
	c.Attach(tr)
	scenario.Sequence(t, tr, origin, clock)
	fams := scrape(t, reg)
	w := scenario.Want

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
		m := series(t, fams, "cachedhttp_requests_total", "cache", "api", "outcome", tt.outcome, "method", tt.method)
		if got := m.GetCounter().GetValue(); got != float64(tt.want) {
			t.Errorf("requests_total{outcome=%s,method=%s} = %v, want %d", tt.outcome, tt.method, got, tt.want)
		}
		h := series(t, fams, "cachedhttp_request_duration_seconds", "outcome", tt.outcome)
		if got := h.GetHistogram().GetSampleCount(); got != uint64(tt.want) {
			t.Errorf("request_duration_seconds{outcome=%s} count = %d, want %d", tt.outcome, got, tt.want)
		}
	}
	if n := len(fams["cachedhttp_requests_total"].GetMetric()); n != 5 {
		t.Errorf("requests_total has %d series, want 5 (only the outcomes and methods seen)", n)
	}

	counters := map[string]int64{
		"cachedhttp_origin_errors_total":   w.OriginErrors,
		"cachedhttp_served_bytes_total":    w.ServedBytes,
		"cachedhttp_stores_total":          w.Stores,
		"cachedhttp_revalidations_total":   w.Revalidations,
		"cachedhttp_stale_if_error_total":  w.StaleIfError,
		"cachedhttp_invalidations_total":   w.Invalidations,
		"cachedhttp_collapsed_total":       w.Collapsed,
		"cachedhttp_evictions_total":       w.Evictions,
		"cachedhttp_not_stored_total":      0,
		"cachedhttp_truncated_total":       0,
		"cachedhttp_decode_errors_total":   0,
		"cachedhttp_dropped_writes_total":  0,
		"cachedhttp_breaker_opens_total":   0,
		"cachedhttp_backend_skipped_total": 0,
	}
	for name, want := range counters {
		m := series(t, fams, name, "cache", "api")
		if fams[name].GetType() != dto.MetricType_COUNTER {
			t.Errorf("%s is a %v, want a counter", name, fams[name].GetType())
		}
		if got := m.GetCounter().GetValue(); got != float64(want) {
			t.Errorf("%s = %v, want %d", name, got, want)
		}
	}
	for name, want := range map[string]float64{"cachedhttp_breaker_state": 0, "cachedhttp_write_queue_length": 0} {
		m := series(t, fams, name, "cache", "api")
		if got := m.GetGauge().GetValue(); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}

	if got := series(t, fams, "cachedhttp_origin_duration_seconds").GetHistogram().GetSampleCount(); got != uint64(w.OriginRequests) {
		t.Errorf("origin_duration_seconds count = %d, want %d", got, w.OriginRequests)
	}
	for op, want := range map[string]int64{"get": w.BackendGets, "set": w.BackendSets, "delete": w.BackendDeletes} {
		if got := series(t, fams, "cachedhttp_backend_duration_seconds", "op", op).GetHistogram().GetSampleCount(); got != uint64(want) {
			t.Errorf("backend_duration_seconds{op=%s} count = %d, want %d", op, got, want)
		}
	}
	for _, op := range []string{"get", "set", "delete"} {
		if got := series(t, fams, "cachedhttp_backend_errors_total", "op", op).GetCounter().GetValue(); got != 0 {
			t.Errorf("backend_errors_total{op=%s} = %v, want 0", op, got)
		}
	}
	// The Collector's Stats-derived values are the Transport's own.
	if s := tr.Stats(); s.Hits != w.Hit || s.Misses != w.Miss || s.Passes != w.Bypass {
		t.Errorf("Transport.Stats = %+v, disagrees with the scenario", s)
	}
}

func TestCollectorExportsBackendErrors(t *testing.T) {
	reg := prom.NewRegistry()
	c, err := prometheus.New(prometheus.Options{Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	c.ObserveBackend(cachedhttp.BackendSetMany, 0, boom)
	c.ObserveBackend(cachedhttp.BackendSetMany, 0, nil)
	c.ObserveBackend("scan", 0, boom)
	c.ObserveOrigin(0, boom)
	fams := scrape(t, reg)
	if got := series(t, fams, "cachedhttp_backend_errors_total", "cache", "default", "op", "set_many").GetCounter().GetValue(); got != 1 {
		t.Errorf("backend_errors_total{op=set_many} = %v, want 1", got)
	}
	if got := series(t, fams, "cachedhttp_backend_duration_seconds", "op", "set_many").GetHistogram().GetSampleCount(); got != 2 {
		t.Errorf("backend_duration_seconds{op=set_many} count = %d, want 2", got)
	}
	if got := series(t, fams, "cachedhttp_backend_errors_total", "op", "other").GetCounter().GetValue(); got != 1 {
		t.Errorf("backend_errors_total{op=other} = %v, want 1 (an unknown op is other)", got)
	}
	if got := series(t, fams, "cachedhttp_origin_errors_total").GetCounter().GetValue(); got != 1 {
		t.Errorf("origin_errors_total = %v, want 1", got)
	}
	// Without Attach only the event metrics exist.
	if f := fams["cachedhttp_stores_total"]; f != nil {
		t.Errorf("stores_total exported without an attached Transport: %v", f)
	}
}

func TestCollectorLabelsAreBounded(t *testing.T) {
	reg := prom.NewRegistry()
	c, err := prometheus.New(prometheus.Options{Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"PROPFIND", "get", "X-ANYTHING", "", "GET"} {
		c.ObserveRequest(cachedhttp.RequestEvent{Outcome: cachedhttp.OutcomeMiss, Method: m})
	}
	c.ObserveRequest(cachedhttp.RequestEvent{Outcome: "surprise", Method: "GET"})
	fams := scrape(t, reg)
	for _, tt := range []struct {
		outcome, method string
		want            float64
	}{
		{"miss", "other", 3}, // PROPFIND, get (methods are case-sensitive), X-ANYTHING
		{"miss", "GET", 2},   // "" is GET
		{"other", "GET", 1},
	} {
		if got := series(t, fams, "cachedhttp_requests_total", "outcome", tt.outcome, "method", tt.method).GetCounter().GetValue(); got != tt.want {
			t.Errorf("requests_total{outcome=%s,method=%s} = %v, want %v", tt.outcome, tt.method, got, tt.want)
		}
	}
	if n := len(fams["cachedhttp_requests_total"].GetMetric()); n != 3 {
		t.Errorf("requests_total has %d series, want 3", n)
	}
}

func TestCollectorsForTwoCachesShareARegistry(t *testing.T) {
	reg := prom.NewRegistry()
	a, err := prometheus.New(prometheus.Options{CacheName: "a", Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	b, err := prometheus.New(prometheus.Options{CacheName: "b", Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	_, err = prometheus.New(prometheus.Options{CacheName: "a", Registerer: reg})
	var already prom.AlreadyRegisteredError
	if !errors.As(err, &already) {
		t.Fatalf("second Collector named a: err = %v, want AlreadyRegisteredError", err)
	}
	a.ObserveRequest(cachedhttp.RequestEvent{Outcome: cachedhttp.OutcomeHit, Method: "GET", BytesFromCache: 7})
	b.ObserveRequest(cachedhttp.RequestEvent{Outcome: cachedhttp.OutcomeHit, Method: "GET", BytesFromCache: 5})
	b.ObserveRequest(cachedhttp.RequestEvent{Outcome: cachedhttp.OutcomeHit, Method: "GET", BytesFromCache: 5})
	fams := scrape(t, reg)
	for cache, want := range map[string]float64{"a": 1, "b": 2} {
		if got := series(t, fams, "cachedhttp_requests_total", "cache", cache).GetCounter().GetValue(); got != want {
			t.Errorf("requests_total{cache=%s} = %v, want %v", cache, got, want)
		}
	}
	for cache, want := range map[string]float64{"a": 7, "b": 10} {
		if got := series(t, fams, "cachedhttp_served_bytes_total", "cache", cache).GetCounter().GetValue(); got != want {
			t.Errorf("served_bytes_total{cache=%s} = %v, want %v", cache, got, want)
		}
	}
}

// A backend that fails every call opens the breaker: the gauge follows its
// state through the injected clock.
func TestCollectorBreakerGauge(t *testing.T) {
	reg := prom.NewRegistry()
	c, err := prometheus.New(prometheus.Options{Registerer: reg, Namespace: "edge"})
	if err != nil {
		t.Fatal(err)
	}
	broken := memory.New(memory.Options{})
	broken.Close() // every call now fails with backends.ErrClosed
	clock := scenario.NewClock()
	origin := scenario.NewOrigin(t, clock)
	tr, err := cachedhttp.NewTransport(cachedhttp.WithBackend(broken), cachedhttp.WithObserver(c),
		cachedhttp.WithBreaker(1, time.Minute), cachedhttp.WithClock(clock.Now), cachedhttp.WithWriteQueue(0))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	c.Attach(tr)
	get := func() {
		t.Helper()
		resp, err := (&http.Client{Transport: tr}).Get(origin.URL + "/x")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	gauge := func(want float64) {
		t.Helper()
		if got := series(t, scrape(t, reg), "edge_breaker_state").GetGauge().GetValue(); got != want {
			t.Errorf("breaker_state = %v, want %v", got, want)
		}
	}
	gauge(0)
	get() // the Get fails: the breaker opens, and the Set is skipped
	gauge(2)
	get() // Get and Set skipped
	fams := scrape(t, reg)
	for name, want := range map[string]float64{"edge_breaker_opens_total": 1, "edge_backend_skipped_total": 3} {
		if got := series(t, fams, name).GetCounter().GetValue(); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if got := series(t, fams, "edge_backend_errors_total", "op", "get").GetCounter().GetValue(); got != 1 {
		t.Errorf("backend_errors_total{op=get} = %v, want 1", got)
	}
	if f := fams["edge_evictions_total"]; f == nil {
		t.Error("evictions_total missing for a memory backend")
	}
	clock.Advance(time.Minute) // the backoff has passed: the next call probes
	gauge(1)
}
