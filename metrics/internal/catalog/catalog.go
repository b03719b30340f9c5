// Package catalog lists what the exporters in metrics/prometheus and
// metrics/otel publish, so that both publish the same metrics with the same
// labels: the fixed label values (outcomes, methods, backend operations),
// the counters read from Transport.Stats, and the histogram boundaries.
package catalog

import (
	"net/http"

	"github.com/cachedhttp/cachedhttp"
	"github.com/cachedhttp/cachedhttp/backends"
)

// DefaultCacheName is the cache label of an exporter given no name.
const DefaultCacheName = "default"

// Other is the label value of a method outside Methods, and of an outcome
// outside Outcomes: label values stay a fixed set whatever requests come.
const Other = "other"

// Boundaries are the default upper bounds, in seconds, of the latency
// histograms: 100 µs (a hit in memory) to 10 s (a slow origin), in 1-2.5-5
// steps.
var Boundaries = []float64{
	0.0001, 0.00025, 0.0005,
	0.001, 0.0025, 0.005,
	0.01, 0.025, 0.05,
	0.1, 0.25, 0.5,
	1, 2.5, 5,
	10,
}

// Outcomes are the values of the outcome label, in index order.
var Outcomes = [...]cachedhttp.Outcome{
	cachedhttp.OutcomeHit, cachedhttp.OutcomeStale, cachedhttp.OutcomeRevalidated,
	cachedhttp.OutcomeMiss, cachedhttp.OutcomeBypass, cachedhttp.OutcomeError,
}

// NumOutcomes is the number of outcome label values, Other included.
const NumOutcomes = len(Outcomes) + 1

// OutcomeIndex returns o's index in Outcomes, or len(Outcomes) (Other).
func OutcomeIndex(o cachedhttp.Outcome) int {
	switch o {
	case cachedhttp.OutcomeHit:
		return 0
	case cachedhttp.OutcomeStale:
		return 1
	case cachedhttp.OutcomeRevalidated:
		return 2
	case cachedhttp.OutcomeMiss:
		return 3
	case cachedhttp.OutcomeBypass:
		return 4
	case cachedhttp.OutcomeError:
		return 5
	}
	return len(Outcomes)
}

// OutcomeName returns the label value of outcome index i.
func OutcomeName(i int) string {
	if i < len(Outcomes) {
		return string(Outcomes[i])
	}
	return Other
}

// Methods are the values of the method label (the methods of RFC 9110 and
// PATCH), in index order.
var Methods = [...]string{
	http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
	http.MethodDelete, http.MethodOptions, http.MethodTrace, http.MethodConnect,
}

// NumMethods is the number of method label values, Other included.
const NumMethods = len(Methods) + 1

// MethodIndex returns m's index in Methods, or len(Methods) (Other). An
// empty method is GET, as net/http reads it.
func MethodIndex(m string) int {
	if m == "" {
		return 0
	}
	for i, k := range Methods {
		if m == k {
			return i
		}
	}
	return len(Methods)
}

// MethodName returns the label value of method index i.
func MethodName(i int) string {
	if i < len(Methods) {
		return Methods[i]
	}
	return Other
}

// Ops are the values of the op label, in index order.
var Ops = [...]cachedhttp.BackendOp{
	cachedhttp.BackendGet, cachedhttp.BackendSet, cachedhttp.BackendSetMany, cachedhttp.BackendDelete,
}

// NumOps is the number of op label values, Other included.
const NumOps = len(Ops) + 1

// OpIndex returns op's index in Ops, or len(Ops) (Other).
func OpIndex(op cachedhttp.BackendOp) int {
	for i, k := range Ops {
		if op == k {
			return i
		}
	}
	return len(Ops)
}

// OpName returns the label value of op index i.
func OpName(i int) string {
	if i < len(Ops) {
		return string(Ops[i])
	}
	return Other
}

// Counter is a count read from Transport.Stats.
type Counter struct {
	// Name is the metric's name without namespace or suffix, in
	// snake_case: Prometheus adds "_total", OpenTelemetry the prefix
	// "cachedhttp.".
	Name string
	// Help is the metric's description; Unit its UCUM unit annotation
	// for OpenTelemetry ("{request}").
	Help, Unit string
	// Value reads the count from a snapshot.
	Value func(cachedhttp.Stats) int64
}

// Counters are the counters read from Transport.Stats. Hits, misses and
// passes are not among them: the requests counter, by outcome, has them.
var Counters = []Counter{
	{"stores", "Records stored: new responses and records freshened by a revalidation.", "{record}",
		func(s cachedhttp.Stats) int64 { return s.Stores }},
	{"not_stored", "Responses from the origin that were not stored (uncacheable, filtered, too large).", "{response}",
		func(s cachedhttp.Stats) int64 { return s.NotStored }},
	{"truncated", "Response bodies that ended early or were abandoned, and were not stored.", "{response}",
		func(s cachedhttp.Stats) int64 { return s.Truncated }},
	{"collapsed", "Requests answered by another caller's concurrent origin request (request coalescing).", "{request}",
		func(s cachedhttp.Stats) int64 { return s.Collapsed }},
	{"revalidations", "Conditional requests sent to the origin for stale records.", "{request}",
		func(s cachedhttp.Stats) int64 { return s.Revalidations }},
	{"stale_if_error", "Stale responses served because the origin failed (stale-if-error).", "{response}",
		func(s cachedhttp.Stats) int64 { return s.StaleIfError }},
	{"invalidations", "Cache keys deleted after unsafe requests (RFC 9111 section 4.4).", "{key}",
		func(s cachedhttp.Stats) int64 { return s.Invalidations }},
	{"decode_errors", "Stored records that did not decode, and were deleted.", "{record}",
		func(s cachedhttp.Stats) int64 { return s.DecodeErrors }},
	{"dropped_writes", "Queued writes dropped because Close or Shutdown ran out of time.", "{record}",
		func(s cachedhttp.Stats) int64 { return s.DroppedWrites }},
	{"breaker_opens", "Times the backend's circuit breaker opened.", "{open}",
		func(s cachedhttp.Stats) int64 { return s.BreakerOpens }},
	{"backend_skipped", "Backend calls skipped while the circuit breaker was open.", "{call}",
		func(s cachedhttp.Stats) int64 { return s.BackendSkipped }},
}

// Help texts of the metrics that are not Counters, shared by both
// exporters.
const (
	HelpRequests        = "Requests the cache answered, by outcome and method."
	HelpRequestDuration = "Time RoundTrip took until the response header, by outcome; the hit, stale and revalidated outcomes are the cache's latency."
	HelpOriginDuration  = "Time the origin (the next transport) took to answer each request sent to it."
	HelpOriginErrors    = "Requests to the origin that failed without a response."
	HelpBackendDuration = "Time each backend call took, by operation (a miss is not an error)."
	HelpBackendErrors   = "Backend calls that failed, by operation."
	HelpServedBytes     = "Body bytes of responses served from the cache (when their length is known)."
	HelpEvictions       = "Records the backend evicted to stay within its bounds (backends that report it, such as memory)."
	HelpBreakerState    = "State of the backend's circuit breaker: 0 closed, 1 half-open, 2 open."
	HelpWriteQueue      = "Records waiting in the write-behind queue to be written to the backend."
)

// BreakerValue returns the breaker state as the breaker gauge's value:
// 0 closed, 1 half-open, 2 open.
func BreakerValue(s cachedhttp.BreakerState) int64 {
	switch s {
	case cachedhttp.BreakerHalfOpen:
		return 1
	case cachedhttp.BreakerOpen:
		return 2
	}
	return 0
}

// Snapshot is what an exporter reads from a Transport at collection time.
type Snapshot struct {
	Stats    cachedhttp.Stats
	QueueLen int
	// Evictions is the backend's eviction count; HasEvictions reports
	// whether the backend counts evictions (backends.Evicter).
	Evictions    int64
	HasEvictions bool
}

// Read takes a Snapshot of t.
func Read(t *cachedhttp.Transport) Snapshot {
	s := Snapshot{Stats: t.Stats(), QueueLen: t.QueueLen()}
	if e, ok := t.Backend().(backends.Evicter); ok {
		s.Evictions, s.HasEvictions = e.Evictions(), true
	}
	return s
}
