package gridfs_test

import (
	"fmt"
	"testing"
)

func BenchmarkGetHit(b *testing.B) {
	client := connect(b)
	for _, size := range []int{1 << 10, 1 << 20} {
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			f := newFixture(b, client, 0)
			if err := f.b.Set(b.Context(), "k", randomValue(size), 0); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := f.b.Get(b.Context(), "k"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkSet(b *testing.B) {
	client := connect(b)
	for _, size := range []int{1 << 10, 1 << 20} {
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			f := newFixture(b, client, 0)
			v := randomValue(size)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if err := f.b.Set(b.Context(), "k", v, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
