package serializertest

import (
	"bytes"
	"errors"
	"testing"

	"github.com/cachedhttp/cachedhttp/models"
	"github.com/cachedhttp/cachedhttp/serializers"
)

// CheckDecoded asserts what every fuzz target asserts of Unmarshal: an
// error matches ErrInvalidRecord, and a decoded response survives another
// round trip unchanged.
func CheckDecoded(t *testing.T, p *serializers.Pipeline, r *models.Response, err error) {
	t.Helper()
	if err != nil {
		if !errors.Is(err, serializers.ErrInvalidRecord) {
			t.Fatalf("Unmarshal error does not match ErrInvalidRecord: %v", err)
		}
		return
	}
	rec, err := p.Marshal(r)
	if err != nil {
		return // some decodable values do not encode (e.g. JSON years past 9999)
	}
	again, err := p.Unmarshal(rec)
	if err != nil {
		t.Fatalf("re-encoded record does not decode: %v", err)
	}
	if d := Diff(r, again); d != "" {
		t.Fatalf("decoded response changed on a second round trip:\n%s", d)
	}
}

// HeaderOf returns the header p writes on every record, as written.
func HeaderOf(t testing.TB, p *serializers.Pipeline) []byte {
	t.Helper()
	rec, err := p.Marshal(&models.Response{})
	if err != nil {
		t.Fatal(err)
	}
	return rec[:p.Header().Len:p.Header().Len]
}

// FuzzCodec fuzzes the decoder of codec: the input is the payload after
// the header of a pipeline with no stages. Decoding must never panic,
// reject with ErrInvalidRecord, and give responses that round-trip.
func FuzzCodec(f *testing.F, codec serializers.Codec) {
	p, err := serializers.NewPipeline(codec)
	if err != nil {
		f.Fatal(err)
	}
	hdr := HeaderOf(f, p)
	for _, r := range SeedResponses() {
		rec, err := p.Marshal(r)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(rec[len(hdr):])
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, payload []byte) {
		rec := append(bytes.Clone(hdr), payload...)
		r, err := p.Unmarshal(rec)
		CheckDecoded(t, p, r, err)
	})
}
