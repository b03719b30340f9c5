package bbolt_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/bbolt"
)

// fillKey is the i-th key of a fill: a SHA-256 in hex, as the transport's
// keys are, so keys arrive in random order.
func fillKey(i int) string {
	s := sha256.Sum256(binary.BigEndian.AppendUint64(nil, uint64(i)))
	return hex.EncodeToString(s[:])
}

// fillResult is what a fill measured: bytes of file and of allocated
// blocks per entry, where they go (bbolt's statistics, per entry), the
// store rate, and the CPU time of the process per write.
type fillResult struct {
	size, blocks   float64
	usage          [5]float64 // entries, values, free pages, high-water mark, written
	rate, cpuMicro float64
}

// report reports r as the metrics of b.
func (r fillResult) report(b *testing.B) {
	b.ReportMetric(r.size, "B/entry")
	b.ReportMetric(r.blocks, "blocks-B/entry")
	for i, unit := range []string{"entries-B/entry", "values-B/entry", "free-B/entry", "highwater-B/entry", "written-B/entry"} {
		b.ReportMetric(r.usage[i], unit)
	}
	b.ReportMetric(r.rate, "entries/s")
	b.ReportMetric(r.cpuMicro, "cpu-µs/entry")
}

// cpuTime returns the CPU time the process used so far.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// fill writes n values of size bytes under distinct random keys to a new
// file, in SetMany batches of batch values with a one-hour TTL (what the
// transport's write-behind does), then overwrites rewrites keys picked at
// random among them, closes the file, and measures it. The rate counts
// every write, overwrites included.
func fill(tb testing.TB, opts *bbolt.Options, n, size, rewrites, batch int) fillResult {
	tb.Helper()
	ctx := context.Background()
	path := filepath.Join(tb.TempDir(), "cache.db")
	b, err := bbolt.Open(path, opts)
	if err != nil {
		tb.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	value := make([]byte, size)
	for i := range value {
		value[i] = byte(rng.Uint32())
	}
	items := make([]backends.Item, 0, batch)
	flush := func() {
		if err := b.SetMany(ctx, items); err != nil {
			tb.Fatal(err)
		}
		items = items[:0]
	}
	start, cpu := time.Now(), cpuTime(tb)
	for i := range n + rewrites {
		id := i
		if i >= n {
			id = rng.IntN(n)
		}
		items = append(items, backends.Item{Key: fillKey(id), Value: value, TTL: time.Hour})
		if len(items) == batch {
			flush()
		}
	}
	if len(items) > 0 {
		flush()
	}
	elapsed, cpu := time.Since(start), cpuTime(tb)-cpu
	u := bbolt.FileUsage(tb, b)
	if err := b.Close(); err != nil {
		tb.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		tb.Fatal(err)
	}
	var blocks int64
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		blocks = st.Blocks * 512
	}
	per := func(x int64) float64 { return float64(x) / float64(n) }
	return fillResult{
		size:     per(fi.Size()),
		blocks:   per(blocks),
		usage:    [5]float64{per(u.Entries), per(u.Values), per(u.Free), per(u.HighWater), per(u.Written)},
		rate:     float64(n+rewrites) / elapsed.Seconds(),
		cpuMicro: float64(cpu.Microseconds()) / float64(n+rewrites),
	}
}

// BenchmarkSetManyRandom1KiB stores 20,000 values under random keys in
// SetMany batches of 64, fsync on (the transport's write-behind), and
// reports the file's bytes per entry (B/entry: its size; blocks-B/entry:
// the blocks allocated to it) and the store rate. The values are the size
// of a 1 KiB response as recorded (1400 B) and as a compact record would
// hold it (1150 B); "rewrite" then overwrites 20,000 keys picked at random
// among those stored, as revalidations do, and reports the file after.
func BenchmarkSetManyRandom1KiB(b *testing.B) {
	const n = 20_000
	for _, bc := range []struct {
		size, rewrites int
	}{{1400, 0}, {1150, 0}, {1400, n}, {1150, n}} {
		name := fmt.Sprintf("value=%d", bc.size)
		if bc.rewrites > 0 {
			name += "/rewrite"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			var r fillResult
			for b.Loop() {
				r = fill(b, nil, n, bc.size, bc.rewrites, 64)
			}
			r.report(b)
		})
	}
}

// BenchmarkSetManyRandom1KiBPageSize is BenchmarkSetManyRandom1KiB's fill
// with each page size, for Options.PageSize's default.
func BenchmarkSetManyRandom1KiBPageSize(b *testing.B) {
	for _, page := range []int{4 << 10, 8 << 10, 16 << 10, 32 << 10, 64 << 10} {
		for _, size := range []int{1400, 1150} {
			b.Run(fmt.Sprintf("page=%d/value=%d", page, size), func(b *testing.B) {
				b.ReportAllocs()
				var r fillResult
				for b.Loop() {
					r = fill(b, &bbolt.Options{PageSize: page}, 20_000, size, 0, 64)
				}
				r.report(b)
			})
		}
	}
}

func benchmarkGet(b *testing.B, size int) {
	ctx := context.Background()
	be := open(b, nil)
	if err := be.Set(ctx, "key", make([]byte, size), 0); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(size))
	for b.Loop() {
		if _, err := be.Get(ctx, "key"); err != nil {
			b.Fatal(err)
		}
	}
}

func benchmarkSet(b *testing.B, size int, opts *bbolt.Options) {
	ctx := context.Background()
	be := open(b, opts)
	v := make([]byte, size)
	b.ReportAllocs()
	b.SetBytes(int64(size))
	i := 0
	for b.Loop() {
		if err := be.Set(ctx, fmt.Sprint("key-", i%1000), v, time.Hour); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
}

// benchmarkSetParallel runs Set from 8 goroutines (on 2 CPUs).
func benchmarkSetParallel(b *testing.B, size int, opts *bbolt.Options) {
	ctx := context.Background()
	be := open(b, opts)
	v := make([]byte, size)
	b.ReportAllocs()
	b.SetBytes(int64(size))
	b.SetParallelism(max(1, 8/runtime.GOMAXPROCS(0)))
	var n sync.Mutex
	g := 0
	b.RunParallel(func(pb *testing.PB) {
		n.Lock()
		g++
		id := g
		n.Unlock()
		i := 0
		for pb.Next() {
			if err := be.Set(ctx, fmt.Sprint("key-", id, "-", i%1000), v, time.Hour); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
}

func BenchmarkGetHit1KiB(b *testing.B)      { benchmarkGet(b, 1<<10) }
func BenchmarkGetHit1MiB(b *testing.B)      { benchmarkGet(b, 1<<20) }
func BenchmarkSet1KiB(b *testing.B)         { benchmarkSet(b, 1<<10, nil) }
func BenchmarkSet1MiB(b *testing.B)         { benchmarkSet(b, 1<<20, nil) }
func BenchmarkSet1KiBNoSync(b *testing.B)   { benchmarkSet(b, 1<<10, &bbolt.Options{NoSync: true}) }
func BenchmarkSet1MiBNoSync(b *testing.B)   { benchmarkSet(b, 1<<20, &bbolt.Options{NoSync: true}) }
func BenchmarkSet1KiB8Writers(b *testing.B) { benchmarkSetParallel(b, 1<<10, nil) }
func BenchmarkSet1KiB8WritersNoSync(b *testing.B) {
	benchmarkSetParallel(b, 1<<10, &bbolt.Options{NoSync: true})
}

// BenchmarkGetHitFilled1KiB reads 1 KiB values under random keys from a
// cache of 20,000 (BenchmarkGetHit1KiB's file holds one key, which bbolt
// keeps inline in its bucket and copies on every read).
func BenchmarkGetHitFilled1KiB(b *testing.B) {
	ctx := context.Background()
	const n = 20_000
	be := open(b, &bbolt.Options{NoSync: true})
	items := make([]backends.Item, 0, 500)
	for i := range n {
		items = append(items, backends.Item{Key: fillKey(i), Value: make([]byte, 1<<10), TTL: time.Hour})
		if len(items) == cap(items) {
			if err := be.SetMany(ctx, items); err != nil {
				b.Fatal(err)
			}
			items = items[:0]
		}
	}
	keys := make([]string, 4096)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range keys {
		keys[i] = fillKey(rng.IntN(n))
	}
	b.ReportAllocs()
	b.SetBytes(1 << 10)
	i := 0
	for b.Loop() {
		if _, err := be.Get(ctx, keys[i%len(keys)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
