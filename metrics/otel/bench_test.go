package otel_test

import (
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp"
	"github.com/cachedhttp/cachedhttp/metrics/otel"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// The cost the Metrics add to each request: one ObserveRequest and, for a
// hit, one ObserveBackend, recorded by the SDK.
func BenchmarkObserveHit(b *testing.B) {
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	defer mp.Shutdown(b.Context())
	m, err := otel.New(mp, otel.Options{})
	if err != nil {
		b.Fatal(err)
	}
	ev := cachedhttp.RequestEvent{Outcome: cachedhttp.OutcomeHit, Method: "GET", Status: 200, Duration: 40 * time.Microsecond, BytesFromCache: 1024}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.ObserveBackend(cachedhttp.BackendGet, 5*time.Microsecond, nil)
			m.ObserveRequest(ev)
		}
	})
}
