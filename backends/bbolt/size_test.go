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
// blocks per entry, and the store rate.
type fillResult struct {
	size, blocks, rate float64
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
	start := time.Now()
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
	elapsed := time.Since(start)
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
	return fillResult{
		size:   float64(fi.Size()) / float64(n),
		blocks: float64(blocks) / float64(n),
		rate:   float64(n+rewrites) / elapsed.Seconds(),
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
			b.ReportMetric(r.size, "B/entry")
			b.ReportMetric(r.blocks, "blocks-B/entry")
			b.ReportMetric(r.rate, "entries/s")
		})
	}
}
