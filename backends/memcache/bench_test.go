package memcache_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/backends/memcache"
)

func BenchmarkBackend(b *testing.B) {
	for _, size := range []int{1 << 10, 1 << 20} {
		value := pattern(1, size)
		name := fmt.Sprintf("%dKiB", size>>10)
		b.Run(name+"/Set", func(b *testing.B) {
			be := newBackend(b, servers(b), memcache.Options{})
			ctx := b.Context()
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for i := 0; b.Loop(); i++ {
				if err := be.Set(ctx, fmt.Sprintf("k%d", i%64), value, time.Hour); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/GetHit", func(b *testing.B) {
			be := newBackend(b, servers(b), memcache.Options{})
			ctx := b.Context()
			if err := be.Set(ctx, "hit", value, time.Hour); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for b.Loop() {
				if _, err := be.Get(ctx, "hit"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
