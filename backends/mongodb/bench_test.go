package mongodb_test

import (
	"crypto/rand"
	"fmt"
	"testing"

	"github.com/cachedhttp/cachedhttp/backends/mongodb"
)

func BenchmarkGetHit(b *testing.B) {
	for _, size := range []int{1 << 10, 1 << 20} {
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			be, _ := newBackend(b, mongodb.Options{})
			v := make([]byte, size)
			_, _ = rand.Read(v)
			if err := be.Set(b.Context(), "k", v, 0); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := be.Get(b.Context(), "k"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkSet(b *testing.B) {
	for _, size := range []int{1 << 10, 1 << 20} {
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			be, _ := newBackend(b, mongodb.Options{})
			v := make([]byte, size)
			_, _ = rand.Read(v)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if err := be.Set(b.Context(), "k", v, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
