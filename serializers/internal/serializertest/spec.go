package serializertest

import (
	"strings"
	"testing"

	"github.com/cachedhttp/cachedhttp/serializers"
)

// Spec names one pipeline of the test matrix.
type Spec struct {
	Codec    serializers.Codec
	Compress string // "", "zstd" or "gzip"
	Encrypt  bool
	Sign     bool
}

// String names the spec as its golden directory is named, such as
// "bson+zstd+aes-256-gcm".
func (s Spec) String() string {
	parts := []string{s.Codec.String()}
	if s.Compress != "" {
		parts = append(parts, s.Compress)
	}
	if s.Encrypt {
		parts = append(parts, "aes-256-gcm")
	}
	if s.Sign {
		parts = append(parts, "hmac-sha256")
	}
	return strings.Join(parts, "+")
}

// Version is the format version the spec's pipeline writes: 2 for the
// compact codec, 1 for the others.
func (s Spec) Version() int {
	if s.Codec == serializers.Compact {
		return 2
	}
	return 1
}

// Protected reports whether the spec signs or encrypts.
func (s Spec) Protected() bool { return s.Sign || s.Encrypt }

// Build returns the spec's pipeline; its nonces are deterministic (0, 1,
// 2, ...) when det is true, as the golden records need.
func (s Spec) Build(t testing.TB, det bool) *serializers.Pipeline {
	t.Helper()
	var stages []serializers.Stage
	switch s.Compress {
	case "zstd":
		stages = append(stages, serializers.Zstd(0))
	case "gzip":
		stages = append(stages, serializers.Gzip(0))
	}
	if s.Encrypt {
		st := serializers.Encrypt(EncryptKeys...)
		if det {
			SetNonceSource(st, &CounterReader{})
		}
		stages = append(stages, st)
	}
	if s.Sign {
		stages = append(stages, serializers.Sign(SignKeys...))
	}
	p, err := serializers.NewPipeline(s.Codec, stages...)
	if err != nil {
		t.Fatalf("NewPipeline(%s): %v", s, err)
	}
	return p
}

// Specs returns every combination of the codecs with compression,
// encryption and signing, in the order FromQuery applies the stages.
func Specs(codecs ...serializers.Codec) []Spec {
	var specs []Spec
	for _, c := range codecs {
		for _, comp := range []string{"", "zstd", "gzip"} {
			for _, enc := range []bool{false, true} {
				for _, sign := range []bool{false, true} {
					specs = append(specs, Spec{Codec: c, Compress: comp, Encrypt: enc, Sign: sign})
				}
			}
		}
	}
	return specs
}
