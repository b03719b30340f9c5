package serializers_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"net/http"
	"testing"

	"github.com/cachedhttp/cachedhttp/models"
	"github.com/cachedhttp/cachedhttp/serializers"
)

// protectedSpecs are the pipelines that sign or encrypt.
func protectedSpecs() []pipelineSpec {
	var out []pipelineSpec
	for _, s := range allSpecs() {
		if s.sign || s.encrypt {
			out = append(out, s)
		}
	}
	return out
}

// flipAndCheck flips bit i of rec, asserts the reader rejects the record
// with ErrInvalidRecord and never returns a response, and flips it back.
func flipAndCheck(t *testing.T, p serializers.Serializer, rec []byte, bit int) {
	t.Helper()
	rec[bit/8] ^= 1 << (bit % 8)
	r, err := p.Unmarshal(rec)
	rec[bit/8] ^= 1 << (bit % 8)
	if r != nil || !errors.Is(err, serializers.ErrInvalidRecord) {
		t.Fatalf("record with bit %d (byte %d of %d) flipped: got response %v and error %v, want ErrInvalidRecord",
			bit, bit/8, len(rec), r != nil, err)
	}
}

func TestTamperingEveryBitOfSmallProtectedRecords(t *testing.T) {
	small := &models.Response{StatusCode: 200, Header: http.Header{"Etag": {`"x"`}}, Body: []byte("ok"),
		Request: models.Request{Method: "GET", URL: "https://example.com/"}}
	for _, spec := range protectedSpecs() {
		t.Run(spec.String(), func(t *testing.T) {
			t.Parallel()
			p := spec.build(t, false)
			rec := mustMarshal(t, p, small)
			if _, err := p.Unmarshal(rec); err != nil {
				t.Fatalf("untampered record: %v", err)
			}
			for bit := range len(rec) * 8 {
				flipAndCheck(t, p, rec, bit)
			}
		})
	}
}

func TestTamperingSampledBitsOfLargeProtectedRecords(t *testing.T) {
	g := newGenerator(11)
	large := &models.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"text/html"}},
		Body: textBody(g.r, 256<<10)}
	seed := rand.Uint64()
	for _, spec := range protectedSpecs() {
		t.Run(spec.String(), func(t *testing.T) {
			t.Parallel()
			p := spec.build(t, false)
			rec := mustMarshal(t, p, large)
			r := rand.New(rand.NewPCG(seed, 1))
			// Every bit of the header and of the last 64 bytes (MAC, tag),
			// then random positions over the whole record.
			hdr := len(p.String()) + 1
			for bit := range hdr * 8 {
				flipAndCheck(t, p, rec, bit)
			}
			for bit := (len(rec) - 64) * 8; bit < len(rec)*8; bit++ {
				flipAndCheck(t, p, rec, bit)
			}
			for range 300 {
				flipAndCheck(t, p, rec, r.IntN(len(rec)*8))
			}
		})
	}
}

func TestTamperingBeyondBitFlips(t *testing.T) {
	r := edgeCases()["full response"]
	for _, spec := range protectedSpecs() {
		t.Run(spec.String(), func(t *testing.T) {
			p := spec.build(t, false)
			rec := mustMarshal(t, p, r)
			hdr := len(p.String()) + 1
			for name, bad := range map[string][]byte{
				"byte inserted after the header": append(append(bytes.Clone(rec[:hdr]), 0), rec[hdr:]...),
				"last byte removed":              rec[:len(rec)-1],
				"payload zeroed":                 append(bytes.Clone(rec[:hdr]), make([]byte, len(rec)-hdr)...),
			} {
				got, err := p.Unmarshal(bad)
				if got != nil || !errors.Is(err, serializers.ErrInvalidRecord) {
					t.Errorf("%s: got response %v, error %v; want ErrInvalidRecord", name, got != nil, err)
				}
			}
		})
	}
}
