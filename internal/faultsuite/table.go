package faultsuite

import (
	"fmt"
	"strings"
	"time"
)

// Markdown returns results as a Markdown table, one row per cell.
func Markdown(results []Result) string {
	var b strings.Builder
	b.WriteString("| store | fault | requests | caller errors | p50 | p99 | no-cache p99 | lost / wrong | open | close | stderr bytes | caching resumed after |\n")
	b.WriteString("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, r := range results {
		lost := "n/a"
		if r.Lost >= 0 {
			lost = fmt.Sprint(r.Lost)
		}
		resumed := "no"
		if r.Resumed {
			resumed = ms(r.ResumeAfter)
		}
		fmt.Fprintf(&b, "| %s | %s | %d | %d | %s | %s | %s | %s / %d | %s | %s | %d | %s |\n",
			r.Store, r.Fault, r.Requests, r.Errors, ms(r.P50), ms(r.P99), ms(r.ControlP99),
			lost, r.Wrong, ms(r.Open), ms(r.Close), r.Stderr, resumed)
	}
	return b.String()
}

// ms formats d in milliseconds, with a decimal below 10 ms.
func ms(d time.Duration) string {
	if d < 10*time.Millisecond {
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%d ms", d.Milliseconds())
}

// Document returns RELIABILITY.md: how the table was made, then the table.
func Document(table string, cfg Config) string {
	var b strings.Builder
	b.WriteString("# Reliability under backend faults\n\n")
	b.WriteString("Written by `CACHEDHTTP_WRITE_RELIABILITY=1 go test -run TestFaults ./internal/faultsuite` " +
		"(the servers of `make services` must run). Each row is one cell: a Transport opened with " +
		"`WithBackendDSN` on a store reached through a TCP fault proxy (internal/faultproxy), the fault " +
		"injected before the Transport opened or after responses were stored, then lifted.\n\n")
	fmt.Fprintf(&b, "Per cell: %d responses stored first (after-open faults); under the fault a burst of %d concurrent "+
		"requests (half for stored responses) then %d paced ones (%d workers, %v apart), each with a %v deadline; "+
		"after recovery, requests until a new response is stored in the backend and served from it; then the fault "+
		"again, 8 misses, and Close. Options: budgets %v read / %v write, breaker %d failures / %v, "+
		"open timeout %v, close timeout %v.\n\n", cfg.Warm, cfg.Burst, cfg.Paced, cfg.Workers, cfg.Pause, cfg.Deadline,
		cfg.ReadBudget, cfg.WriteBudget, cfg.BreakerThreshold, cfg.BreakerBackoff, cfg.OpenTimeout, cfg.CloseTimeout)
	b.WriteString("Columns: *requests* made through the Transport in the cell and *caller errors* among them " +
		"(an error or a status other than 200); *p50*, *p99* latency of the requests under the fault, and " +
		"*no-cache p99* of as many requests straight to the origin; *lost* stored responses not served from " +
		"the cache after recovery (n/a when nothing was stored before the fault or the restart empties the " +
		"store) / *wrong* bodies served; *open* NewTransport and *close* Close (with the fault back) durations; " +
		"*stderr bytes* written to the process's standard error during the cell; *caching resumed after* " +
		"the time from lifting the fault to the first response stored in and served from the backend.\n\n")
	b.WriteString("Stores: redis, memcache, mongodb, gridfs and dynamodb are the shared servers of " +
		"scripts/services.sh behind one proxy each. The cluster is a private three-primary cluster whose nodes " +
		"announce the proxies' ports (`cluster-announce-port`), so every connection, redirections included, " +
		"goes through a proxy; the sentinel is a private sentinel and primary, the sentinel watching the " +
		"primary through its proxy. Faults apply to every proxy of a store at once. The killed-and-restarted " +
		"rows use private servers without proxies, killed with SIGKILL and started again, empty.\n\n")
	b.WriteString("Reading the latencies: under a hung or slow store the burst's requests are all in flight before " +
		"the circuit breaker opens, so each pays the read budget and p50 and p99 sit at it; once the breaker is " +
		"open a request costs what the origin costs. Where the client fails a refused connection at once (Redis, " +
		"memcached) the refused rows stay well below the budget; clients that wait for a server to come back " +
		"(MongoDB's server selection, Sentinel's discovery) pay the budget as for a hang. *Caching resumed after* includes what is left of the breaker's backoff (or of the " +
		"background reopen, for faults before open) when the fault is lifted, measured in steps of about 150 ms.\n\n")
	b.WriteString("The machine is shared (2 cores); latencies are indicative, not criteria. The criteria, " +
		"checked by the test: no caller errors, no wrong bodies, no hang, nothing on standard error, " +
		"caching resumes, and nothing lost except by a restart.\n\n")
	b.WriteString(table)
	return b.String()
}
