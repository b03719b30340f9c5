package prometheus_test

import (
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp"
	"github.com/cachedhttp/cachedhttp/metrics/prometheus"
	prom "github.com/prometheus/client_golang/prometheus"
)

// The cost the Collector adds to each request: one ObserveRequest and, for
// a hit, one ObserveBackend.
func BenchmarkObserveHit(b *testing.B) {
	c, err := prometheus.New(prometheus.Options{Registerer: prom.NewRegistry()})
	if err != nil {
		b.Fatal(err)
	}
	ev := cachedhttp.RequestEvent{Outcome: cachedhttp.OutcomeHit, Method: "GET", Status: 200, Duration: 40 * time.Microsecond, BytesFromCache: 1024}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c.ObserveBackend(cachedhttp.BackendGet, 5*time.Microsecond, nil)
			c.ObserveRequest(ev)
		}
	})
}
