package bsoncodec_test

import (
	"testing"

	"github.com/cachedhttp/cachedhttp/serializers"
	"github.com/cachedhttp/cachedhttp/serializers/internal/serializertest"
)

// The same responses as the benchmarks of package serializers, so the
// numbers compare with msgpack's and JSON's.

func BenchmarkMarshal(b *testing.B) {
	p := serializers.MustPipeline(serializers.BSON)
	for _, body := range serializertest.BenchResponses() {
		b.Run("bson/"+body.Name, func(b *testing.B) {
			rec := serializertest.MustMarshal(b, p, body.R)
			b.SetBytes(int64(len(body.R.Body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.Marshal(body.R); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(rec)), "B/record")
		})
	}
}

func BenchmarkUnmarshal(b *testing.B) {
	p := serializers.MustPipeline(serializers.BSON)
	for _, body := range serializertest.BenchResponses() {
		b.Run("bson/"+body.Name, func(b *testing.B) {
			rec := serializertest.MustMarshal(b, p, body.R)
			b.SetBytes(int64(len(body.R.Body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.Unmarshal(rec); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(rec)), "B/record")
		})
	}
}
