package bench

import (
	"flag"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"testing"
)

// BenchmarkStorage1KiB stores 10,000 distinct 1 KiB responses and reports
// the Go heap they hold (B/entry: HeapInuse after GC, before and after) and,
// for stores that keep files, the bytes on disk once the store is closed
// (disk-B/entry: sizes of the files; disk-blocks-B/entry: blocks
// allocated), and for bbolt also after its compaction (compacted-disk-B/entry:
// `cachedhttp purge --compact`, not timed). The time per op is that of the
// whole fill.
func BenchmarkStorage1KiB(b *testing.B) {
	entries := storageEntries()
	for _, im := range cacheImpls() {
		b.Run("impl="+im.name, func(b *testing.B) {
			b.ReportAllocs()
			var heap, disk, blocks, compacted float64
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				inst := im.open(b)
				reqs := make([]*http.Request, entries)
				for j := range reqs {
					reqs[j] = newReq(b, newURL("fresh", size1K))
				}
				// One request first, so connections and pools exist
				// before the baseline.
				if err := do(inst.client, newReq(b, newURL("fresh", size1K)), size1K); err != nil {
					b.Fatal(err)
				}
				inst.settle(b)
				h0 := heapInuse() // the requests are made: only entries count
				b.StartTimer()
				for _, req := range reqs {
					if err := do(inst.client, req, size1K); err != nil {
						b.Fatal(err)
					}
				}
				inst.settle(b)
				b.StopTimer()
				heap = (heapInuse() - h0) / float64(entries)
				writeHeapProfile(b, im.name)
				runtime.KeepAlive(reqs)
				runtime.KeepAlive(inst)
				if err := inst.close(); err != nil {
					b.Fatal(err)
				}
				if im.disk {
					size, alloc := du(b, inst.dir)
					disk, blocks = size/float64(entries), alloc/float64(entries)
				}
				if im.compact != nil {
					im.compact(b, inst.dir)
					size, _ := du(b, inst.dir)
					compacted = size / float64(entries)
				}
				b.StartTimer()
			}
			b.ReportMetric(heap, "B/entry")
			if im.disk {
				b.ReportMetric(disk, "disk-B/entry")
				b.ReportMetric(blocks, "disk-blocks-B/entry")
			}
			if im.compact != nil {
				b.ReportMetric(compacted, "compacted-disk-B/entry")
			}
		})
	}
}

// entriesFlag sets how many entries BenchmarkStorage1KiB stores. The
// default is 10,000, or 500 under -benchtime 1x (the smoke run of make
// test, which must stay quick: the disk-backed stores take seconds per
// thousand entries).
var entriesFlag = flag.Int("entries", 0, "entries BenchmarkStorage1KiB stores (0: 10000, or 500 with -benchtime 1x)")

func storageEntries() int {
	if *entriesFlag > 0 {
		return *entriesFlag
	}
	if f := flag.Lookup("test.benchtime"); f != nil && f.Value.String() == "1x" {
		return 500
	}
	return 10_000
}

// heapProfile names a file prefix: BenchmarkStorage1KiB writes the heap
// profile of each impl, with its entries stored, to PREFIX-IMPL.heap.
var heapProfile = flag.String("heapprofile", "", "write heap profiles of BenchmarkStorage1KiB's filled stores to `prefix`-IMPL.heap")

func writeHeapProfile(b *testing.B, name string) {
	if *heapProfile == "" {
		return
	}
	f, err := os.Create(*heapProfile + "-" + name + ".heap")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := pprof.WriteHeapProfile(f); err != nil {
		b.Fatal(err)
	}
}

func heapInuse() float64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapInuse)
}
