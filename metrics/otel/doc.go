// Package otel exports a cachedhttp Transport's metrics through
// OpenTelemetry (go.opentelemetry.io/otel/metric), to whatever reader and
// exporter the program's MeterProvider has. Only programs that import it
// compile the OpenTelemetry API.
//
// # Basics
//
// Metrics is two things at once:
//
//   - a cachedhttp.Observer: given to the Transport with
//     cachedhttp.WithObserver, it counts requests by outcome and method and
//     records the time of requests, origin calls and backend calls in
//     histograms (seconds);
//   - a set of observable instruments: at each collection they read the
//     Transport it is attached to (Transport.Stats: stores, revalidations,
//     coalesced requests, circuit breaker...), its write queue's length and,
//     when the backend counts them (backends.Evicter), evictions.
//
// The Transport takes the Metrics when it is created, so the use has two
// steps: New, then cachedhttp.NewTransport(cachedhttp.WithObserver(m)),
// then m.Attach(t). Until Attach the observable instruments report nothing.
//
// The instruments are named so that an OpenTelemetry-to-Prometheus
// translation gives the names of package metrics/prometheus
// (cachedhttp.requests with unit {request} becomes
// cachedhttp_requests_total), and carry the same attributes: cache
// (Options.CacheName), outcome, method (unknown methods are "other") and
// op. No URL or key is ever an attribute.
//
// See metrics/README.md for the list of instruments.
package otel
