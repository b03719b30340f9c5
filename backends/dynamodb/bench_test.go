package dynamodb_test

import (
	"fmt"
	"testing"
)

func BenchmarkGetHit(b *testing.B) {
	for _, size := range []int{1 << 10, 1 << 20} {
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			be, _, _ := newBackend(b, testOptions(0))
			if err := be.Set(b.Context(), "k", randomValue(size), 0); err != nil {
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
			be, _, _ := newBackend(b, testOptions(0))
			v := randomValue(size)
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
