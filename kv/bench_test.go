package kv_test

import (
	"context"
	"testing"

	"github.com/cachedhttp/cachedhttp/kv"
)

// BenchmarkInc measures Inc from parallel goroutines on one counter, the
// worst case for the compare-and-swap stores.
func BenchmarkInc(b *testing.B) {
	for _, s := range stores {
		b.Run(s.name, func(b *testing.B) {
			c := kv.New(s.open(b), kv.Options{})
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := c.Inc(b.Context(), "counter", 1, kv.DefaultTTL); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkGetStruct measures a hit decoded into a struct (msgpack).
func BenchmarkGetStruct(b *testing.B) {
	for _, s := range stores {
		b.Run(s.name, func(b *testing.B) {
			c := kv.New(s.open(b), kv.Options{})
			if err := c.Set(b.Context(), "p", profile{Name: "Ada", Age: 36, Tags: []string{"a", "b"}}, kv.DefaultTTL); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := kv.Get[profile](b.Context(), c, "p"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkMemoHit measures a memoized call served from the cache: a read
// of the version and a read of the result.
func BenchmarkMemoHit(b *testing.B) {
	for _, s := range stores {
		b.Run(s.name, func(b *testing.B) {
			c := kv.New(s.open(b), kv.Options{})
			m, err := kv.Memoize(c, "bench", func(_ context.Context, id int) (user, error) { return user{ID: id}, nil }, kv.MemoOptions[int]{})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := m.Call(b.Context(), 1); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := m.Call(b.Context(), 1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
