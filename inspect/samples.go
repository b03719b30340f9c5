package inspect

import (
	"time"

	"github.com/cachedhttp/cachedhttp"
)

// sample is the cache's counters at one moment: the charts plot the
// differences between consecutive samples.
type sample struct {
	at    time.Time
	stats cachedhttp.Stats
	bytes int64 // the Recorder's bytes served from the cache; 0 without one
}

// sampleIfDue records a sample unless the last one is more recent than
// nine tenths of the interval (ticks and page views both ask).
func (h *Handler) sampleIfDue() {
	every := h.opt.SampleEvery
	if every < 0 {
		every = -every
	}
	now := h.opt.Now()
	s := sample{at: now, stats: h.cache.Stats()}
	if h.rec != nil {
		s.bytes = h.rec.bytes.Load()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if n := len(h.samples); n > 0 && now.Sub(h.samples[n-1].at) < every*9/10 {
		return
	}
	if len(h.samples) == h.opt.Samples {
		copy(h.samples, h.samples[1:])
		h.samples = h.samples[:len(h.samples)-1]
	}
	h.samples = append(h.samples, s)
}

// interval is what happened between two samples.
type interval struct {
	from, to time.Time
	// lookups are hits + misses + revalidations; ratio is hits/lookups,
	// meaningful only when lookups > 0.
	lookups, hits int64
	ratio         float64
	bytes         int64
}

// intervals returns the differences between consecutive samples.
func (h *Handler) intervals() []interval {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []interval
	for i := 1; i < len(h.samples); i++ {
		a, b := h.samples[i-1], h.samples[i]
		iv := interval{from: a.at, to: b.at, bytes: b.bytes - a.bytes}
		iv.hits = b.stats.Hits - a.stats.Hits
		iv.lookups = iv.hits + (b.stats.Misses - a.stats.Misses) + (b.stats.Revalidations - a.stats.Revalidations)
		if iv.lookups > 0 {
			iv.ratio = float64(iv.hits) / float64(iv.lookups)
		}
		out = append(out, iv)
	}
	return out
}

// hitRatio is the share of lookups served from the cache without
// contacting the origin: Hits / (Hits + Misses + Revalidations). Requests
// collapsed onto another's fetch count as misses, as Stats counts them.
func hitRatio(s cachedhttp.Stats) (ratio float64, lookups int64) {
	lookups = s.Hits + s.Misses + s.Revalidations
	if lookups == 0 {
		return 0, 0
	}
	return float64(s.Hits) / float64(lookups), lookups
}
