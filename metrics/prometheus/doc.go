// Package prometheus exports a cachedhttp Transport's metrics to Prometheus
// (github.com/prometheus/client_golang). Only programs that import it
// compile the Prometheus client.
//
// # Basics
//
// A Collector is two things at once:
//
//   - a cachedhttp.Observer: given to the Transport with
//     cachedhttp.WithObserver, it counts requests by outcome and method and
//     times requests, origin calls and backend calls as they happen;
//   - a prometheus.Collector: at each scrape it reads the counters of the
//     Transport it is attached to (Transport.Stats: stores, revalidations,
//     coalesced requests, circuit breaker...), the write queue's length and,
//     when the backend counts them (backends.Evicter), evictions.
//
// The Transport takes the Collector when it is created, so the use has two
// steps: New, then cachedhttp.NewTransport(cachedhttp.WithObserver(c)), then
// c.Attach(t). Until Attach only the event metrics are exported.
//
// Labels are few and bounded: cache (Options.CacheName, telling several
// caches in one process apart), outcome, method (unknown methods are
// "other") and op. No URL or key is ever a label.
//
// See metrics/README.md for the list of metrics.
package prometheus
