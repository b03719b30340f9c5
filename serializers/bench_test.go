package serializers_test

import (
	"testing"

	"github.com/cachedhttp/cachedhttp/serializers"
	"github.com/cachedhttp/cachedhttp/serializers/internal/serializertest"
)

// benchPipelines are the pipelines the benchmarks compare. BSON is
// benchmarked in serializers/bsoncodec.
func benchPipelines(b *testing.B) []struct {
	name string
	p    *serializers.Pipeline
} {
	mk := func(c serializers.Codec, s ...serializers.Stage) *serializers.Pipeline {
		p, err := serializers.NewPipeline(c, s...)
		if err != nil {
			b.Fatal(err)
		}
		return p
	}
	return []struct {
		name string
		p    *serializers.Pipeline
	}{
		{"compact", mk(serializers.Compact)},
		{"compact+zstd3", mk(serializers.Compact, serializers.Zstd(3))},
		{"msgpack", mk(serializers.Msgpack)},
		{"json", mk(serializers.JSON)},
		{"msgpack+zstd1", mk(serializers.Msgpack, serializers.Zstd(1))},
		{"msgpack+zstd3", mk(serializers.Msgpack, serializers.Zstd(3))},
		{"msgpack+gzip", mk(serializers.Msgpack, serializers.Gzip(0))},
		{"msgpack+sign", mk(serializers.Msgpack, serializers.Sign(serializertest.SignKeys...))},
		{"msgpack+encrypt", mk(serializers.Msgpack, serializers.Encrypt(serializertest.EncryptKeys...))},
		{"msgpack+zstd3+encrypt", mk(serializers.Msgpack, serializers.Zstd(3), serializers.Encrypt(serializertest.EncryptKeys...))},
	}
}

func BenchmarkMarshal(b *testing.B) {
	for _, body := range serializertest.BenchResponses() {
		for _, bp := range benchPipelines(b) {
			b.Run(bp.name+"/"+body.Name, func(b *testing.B) {
				rec, err := bp.p.Marshal(body.R)
				if err != nil {
					b.Fatal(err)
				}
				b.SetBytes(int64(len(body.R.Body)))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := bp.p.Marshal(body.R); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(len(rec)), "B/record")
			})
		}
	}
}

func BenchmarkUnmarshal(b *testing.B) {
	for _, body := range serializertest.BenchResponses() {
		for _, bp := range benchPipelines(b) {
			b.Run(bp.name+"/"+body.Name, func(b *testing.B) {
				rec, err := bp.p.Marshal(body.R)
				if err != nil {
					b.Fatal(err)
				}
				b.SetBytes(int64(len(body.R.Body)))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := bp.p.Unmarshal(rec); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(len(rec)), "B/record")
			})
		}
	}
}
