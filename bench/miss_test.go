package bench

import (
	"net/http"
	"sync"
	"testing"
)

// BenchmarkMiss1KiB measures what the caller sees on a miss: every
// iteration asks for a cacheable URL never asked before (Do, ReadAll,
// Close), and the cache keeps every response. cachedhttp stores behind the
// caller, so its store cost shows here as the CPU the writer takes from
// the caller and the origin (and in full when the write queue is full);
// BenchmarkStoreRate1KiB measures the rate.
//
// The instance lives through every run of the sub-benchmark (b.N = 1, 100,
// ... up to the benchtime), so the store and the heap grow as a
// long-running client's do: entries reports how many responses the cache
// held at the end of the run, live-MB the Go heap that survived a
// collection then. Under the default 1 s benchtime that is tens of
// thousands of entries; a short benchtime measures a nearly empty cache,
// which flatters the write path. After the last run the entries are
// counted in cachedhttp's stores: a store that kept fewer than it was sent
// fails the benchmark.
func BenchmarkMiss1KiB(b *testing.B) {
	type state struct{ sent int }
	forEachThen(b, append(allImpls(), implFloorKeep, implFloorKeepBbolt), func(*testing.B, impl, *instance) *state { return &state{} }, func(b *testing.B, im impl, inst *instance, st *state) {
		reqs := make([]*http.Request, b.N)
		for i := range reqs {
			reqs[i] = newReq(b, newURL("fresh", size1K))
		}
		before := origin.hits.Load()
		var cpu cpuMeter
		cpu.start()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if err := do(inst.client, reqs[i], size1K); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		cpu.report(b)
		if d := origin.hits.Load() - before; d != int64(b.N) {
			b.Fatalf("%s: %d misses reached the origin %d times", im.name, b.N, d)
		}
		st.sent += b.N
		if im.cache {
			b.ReportMetric(float64(st.sent), "entries")
		}
		b.ReportMetric(liveHeapMB(), "live-MB")
	}, func(parent *testing.B, im impl, inst *instance, st *state) {
		if inst.stored == nil {
			return
		}
		if n := inst.stored(parent); n < st.sent {
			parent.Errorf("%s: the store holds %d entries after %d misses: it did not keep every response", im.name, n, st.sent)
		}
	})
}

// BenchmarkStoreRate1KiB is the sustained store rate: b.N distinct 1 KiB
// misses, then Close, which flushes what is queued (entries/s).
func BenchmarkStoreRate1KiB(b *testing.B) {
	for _, im := range cacheImpls() {
		b.Run("impl="+im.name, func(b *testing.B) {
			inst := im.open(b)
			reqs := make([]*http.Request, b.N)
			for i := range reqs {
				reqs[i] = newReq(b, newURL("fresh", size1K))
			}
			before := origin.hits.Load()
			b.ReportAllocs()
			var cpu cpuMeter
			cpu.start()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := do(inst.client, reqs[i], size1K); err != nil {
					b.Fatal(err)
				}
			}
			if err := inst.close(); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			cpu.report(b)
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
			if d := origin.hits.Load() - before; d != int64(b.N) {
				b.Fatalf("%s: %d misses reached the origin %d times", im.name, b.N, d)
			}
		})
	}
}

// BenchmarkRevalidate1KiB: the stored response says no-cache and has an
// ETag, so every request is a conditional request answered 304 (the
// control gets a 200 with the body every time).
func BenchmarkRevalidate1KiB(b *testing.B) {
	forEach(b, append(allImpls(), implFloorReval), func(b *testing.B, im impl, inst *instance) *http.Request {
		req := newReq(b, newURL("reval", size1K))
		if err := do(inst.client, req, size1K); err != nil {
			b.Fatal(err)
		}
		inst.settle(b)
		return req
	}, func(b *testing.B, im impl, inst *instance, req *http.Request) {
		before, before304 := origin.hits.Load(), origin.not304.Load()
		var cpu cpuMeter
		cpu.start()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if err := do(inst.client, req, size1K); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		cpu.report(b)
		if d := origin.hits.Load() - before; d != int64(b.N) {
			b.Fatalf("%s: %d revalidations reached the origin %d times", im.name, b.N, d)
		}
		if d := origin.not304.Load() - before304; im.cache && d != int64(b.N) {
			b.Fatalf("%s: %d revalidations got %d 304 answers", im.name, b.N, d)
		}
	})
}

// BenchmarkConcurrentMiss100 sends 100 concurrent requests for one URL
// nobody asked for before (the origin answers after 20ms) and reports how
// many reached the origin (origin/op); request coalescing makes it 1.
func BenchmarkConcurrentMiss100(b *testing.B) {
	const callers = 100
	forEach(b, allImpls(), nil, func(b *testing.B, im impl, inst *instance, _ struct{}) {
		before := origin.hits.Load()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			u := newURL("slow", size1K)
			reqs := make([]*http.Request, callers)
			for j := range reqs {
				reqs[j] = newReq(b, u)
			}
			start := make(chan struct{})
			errs := make(chan error, callers)
			var wg sync.WaitGroup
			for _, req := range reqs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					errs <- do(inst.client, req, size1K)
				}()
			}
			b.StartTimer()
			close(start)
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					b.Fatal(err)
				}
			}
		}
		b.StopTimer()
		b.ReportMetric(float64(origin.hits.Load()-before)/float64(b.N), "origin/op")
	})
}
