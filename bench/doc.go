// Package bench compares cachedhttp with the Go HTTP caches users would
// otherwise pick (github.com/gregjones/httpcache and
// github.com/bartventer/httpcache) and with a plain http.Transport, over one
// loopback origin that counts the requests it serves.
//
// It is a module of its own so that the peers never enter the library's
// go.mod. The benchmarks are in the _test.go files; run.sh runs them in
// interleaved rounds and prints benchstat tables and the summary of
// cmd/summary. RESULTS.md keeps the latest summary.
package bench
