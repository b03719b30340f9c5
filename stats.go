package cachedhttp

import "sync/atomic"

// stats are the Transport's counters.
type stats struct {
	hits, staleHits, misses, collapsed, revalidations, staleErrors atomic.Int64
	stores, notStored, truncated, passes, invalidations            atomic.Int64
	backendErrors, decodeErrors                                    atomic.Int64
	droppedWrites, unchanged                                       atomic.Int64
}

// Stats are counters of what a Transport did since it was created.
type Stats struct {
	// Hits counts responses served from the cache without contacting the
	// origin (StaleHits of them stale, with a background refresh).
	Hits, StaleHits int64
	// Misses counts requests sent to the origin for a cacheable method;
	// Collapsed counts those answered by another caller's concurrent
	// request instead (request coalescing).
	Misses, Collapsed int64
	// Revalidations counts conditional requests; StaleIfError counts stale
	// responses served because the origin failed. Unchanged counts 304s
	// that moved only Date on a record revalidated at every use, which was
	// therefore not written again (policy.NeedsRewrite).
	Revalidations, StaleIfError, Unchanged int64
	// Stores counts records stored; NotStored counts forwarded responses
	// that were not (uncacheable, filtered, too large); Truncated counts
	// bodies that ended early or were abandoned, and were not stored.
	Stores, NotStored, Truncated int64
	// Passes counts requests that bypassed the cache (method, Bypass);
	// Invalidations counts keys deleted after unsafe requests.
	Passes, Invalidations int64
	// BackendErrors counts failed backend calls and encodings;
	// DecodeErrors counts stored records that did not decode (and were
	// deleted).
	BackendErrors, DecodeErrors int64
	// DroppedWrites counts queued writes dropped because Close or
	// Shutdown ran out of time.
	DroppedWrites int64
	// Breaker is the state of the backend's circuit breaker; BreakerOpens
	// counts how often it opened, and BackendSkipped the backend calls it
	// spared while open.
	Breaker                      BreakerState
	BreakerOpens, BackendSkipped int64
}

// Stats returns a snapshot of the Transport's counters.
func (t *Transport) Stats() Stats {
	s := &t.stats
	return Stats{
		Hits: s.hits.Load(), StaleHits: s.staleHits.Load(), Misses: s.misses.Load(), Collapsed: s.collapsed.Load(),
		Revalidations: s.revalidations.Load(), StaleIfError: s.staleErrors.Load(), Unchanged: s.unchanged.Load(),
		Stores: s.stores.Load(), NotStored: s.notStored.Load(), Truncated: s.truncated.Load(),
		Passes: s.passes.Load(), Invalidations: s.invalidations.Load(),
		BackendErrors: s.backendErrors.Load(), DecodeErrors: s.decodeErrors.Load(),
		DroppedWrites: s.droppedWrites.Load(),
		Breaker:       t.guard.br.snapshot(), BreakerOpens: t.guard.br.opens.Load(), BackendSkipped: t.guard.br.rejected.Load(),
	}
}
