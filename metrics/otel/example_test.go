package otel_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"slices"

	"github.com/cachedhttp/cachedhttp"
	"github.com/cachedhttp/cachedhttp/metrics/otel"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// Metrics for a Transport, read here with the SDK's ManualReader; a program
// gives New its MeterProvider with a periodic reader and an exporter
// (OTLP, Prometheus...) instead. The use has two steps because the
// Transport takes the Metrics when it is created: New, NewTransport with
// WithObserver, then Attach.
func Example() {
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		fmt.Fprintf(w, "hello from %s", r.URL.Path)
	}))
	defer origin.Close()

	ctx := context.Background()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(ctx)

	m, err := otel.New(mp, otel.Options{CacheName: "api"})
	if err != nil {
		log.Fatal(err)
	}
	tr, err := cachedhttp.NewTransport(cachedhttp.WithObserver(m))
	if err != nil {
		log.Fatal(err)
	}
	defer tr.Close()
	m.Attach(tr) // report the Transport's own counters too

	client := &http.Client{Transport: tr}
	for range 3 {
		resp, err := client.Get(origin.URL + "/greeting")
		if err != nil {
			log.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		log.Fatal(err)
	}
	var lines []string
	for _, sm := range rm.ScopeMetrics {
		for _, met := range sm.Metrics {
			switch d := met.Data.(type) {
			case metricdata.Sum[int64]:
				if met.Name != "cachedhttp.requests" && met.Name != "cachedhttp.stores" {
					continue
				}
				for _, p := range d.DataPoints {
					lines = append(lines, fmt.Sprintf("%s %s = %d", met.Name, p.Attributes.Encoded(attribute.DefaultEncoder()), p.Value))
				}
			case metricdata.Histogram[float64]:
				if met.Name != "cachedhttp.request.duration" {
					continue
				}
				for _, p := range d.DataPoints {
					lines = append(lines, fmt.Sprintf("%s %s: %d in %d buckets", met.Name, p.Attributes.Encoded(attribute.DefaultEncoder()), p.Count, len(p.BucketCounts)))
				}
			}
		}
	}
	slices.Sort(lines)
	for _, l := range lines {
		fmt.Println(l)
	}
	// Output:
	// cachedhttp.request.duration cache=api,outcome=hit: 2 in 17 buckets
	// cachedhttp.request.duration cache=api,outcome=miss: 1 in 17 buckets
	// cachedhttp.requests cache=api,method=GET,outcome=hit = 2
	// cachedhttp.requests cache=api,method=GET,outcome=miss = 1
	// cachedhttp.stores cache=api = 1
}
