package serializertest

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"testing"

	"github.com/cachedhttp/cachedhttp/models"
	"github.com/cachedhttp/cachedhttp/serializers"
)

// Run is the conformance suite of a codec: every pipeline of Specs(codec)
// must round-trip the edge cases, random responses and 1 MiB bodies
// exactly without modifying its argument, reject every truncation and
// extension of a record and every tampering with a signed or encrypted
// one, and be safe for concurrent use; PipelineFor must read every record
// from its header. Run it with -race.
func Run(t *testing.T, codec serializers.Codec) {
	specs := Specs(codec)
	t.Run("RoundTripEdgeCases", func(t *testing.T) { roundTripEdgeCases(t, specs) })
	t.Run("RoundTripRandomResponses", func(t *testing.T) { roundTripRandomResponses(t, specs) })
	t.Run("RoundTripOneMiBBodies", func(t *testing.T) { roundTripOneMiBBodies(t, specs) })
	t.Run("MarshalDoesNotModifyResponse", func(t *testing.T) { marshalDoesNotModify(t, specs) })
	t.Run("RejectsEveryTruncationAndExtension", func(t *testing.T) { rejectsTruncationAndExtension(t, specs) })
	t.Run("PipelineForReadsAnyRecordGivenItsKeys", func(t *testing.T) { pipelineForReadsAnyRecord(t, specs) })
	var protected []Spec
	for _, s := range specs {
		if s.Protected() {
			protected = append(protected, s)
		}
	}
	t.Run("TamperingEveryBitOfSmallProtectedRecords", func(t *testing.T) { tamperEveryBit(t, protected) })
	t.Run("TamperingSampledBitsOfLargeProtectedRecords", func(t *testing.T) { tamperSampledBits(t, protected) })
	t.Run("TamperingBeyondBitFlips", func(t *testing.T) { tamperBeyondBitFlips(t, protected) })
	t.Run("ConcurrentUseOfOnePipeline", func(t *testing.T) {
		concurrentUse(t, []Spec{{Codec: codec, Compress: "zstd", Encrypt: true, Sign: true}, {Codec: codec, Compress: "gzip", Sign: true}})
	})
}

// MustMarshal marshals r with s or fails the test.
func MustMarshal(t testing.TB, s serializers.Serializer, r *models.Response) []byte {
	t.Helper()
	rec, err := s.Marshal(r)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	return rec
}

func roundTripEdgeCases(t *testing.T, specs []Spec) {
	for _, spec := range specs {
		p := spec.Build(t, false)
		for name, want := range EdgeCases() {
			t.Run(spec.String()+"/"+name, func(t *testing.T) {
				rec := MustMarshal(t, p, want)
				got, err := p.Unmarshal(rec)
				if err != nil {
					t.Fatalf("Unmarshal: %v", err)
				}
				if d := Diff(want, got); d != "" {
					t.Fatalf("round trip changed the response:\n%s", d)
				}
				if got.IsVaryIndex() != want.IsVaryIndex() {
					t.Fatalf("IsVaryIndex: want %v, got %v", want.IsVaryIndex(), got.IsVaryIndex())
				}
			})
		}
	}
}

func roundTripRandomResponses(t *testing.T, specs []Spec) {
	// Fixed seeds make failures reproducible; the random ones widen the
	// search over runs (they are in the subtest name when one fails).
	seeds := []uint64{1, 2, rand.Uint64(), rand.Uint64()}
	n := 12
	if testing.Short() {
		n = 4
	}
	for _, spec := range specs {
		p := spec.Build(t, false)
		for _, seed := range seeds {
			t.Run(fmt.Sprintf("%s/seed=%d", spec, seed), func(t *testing.T) {
				t.Parallel()
				g := NewGenerator(seed)
				for i := range n {
					want := g.Response()
					rec, err := p.Marshal(want)
					if err != nil {
						t.Fatalf("response %d: Marshal: %v", i, err)
					}
					got, err := p.Unmarshal(rec)
					if err != nil {
						t.Fatalf("response %d: Unmarshal: %v", i, err)
					}
					if d := Diff(want, got); d != "" {
						t.Fatalf("response %d (seed %d): round trip changed it:\n%s", i, seed, d)
					}
				}
			})
		}
	}
}

func roundTripOneMiBBodies(t *testing.T, specs []Spec) {
	g := NewGenerator(7)
	bodies := map[string][]byte{"text": g.Text(1 << 20), "binary": g.Binary(1 << 20)}
	for _, spec := range specs {
		p := spec.Build(t, false)
		for kind, body := range bodies {
			t.Run(spec.String()+"/"+kind, func(t *testing.T) {
				t.Parallel()
				want := &models.Response{StatusCode: 200, Body: body, Header: http.Header{"Content-Type": {"text/html"}}}
				got, err := p.Unmarshal(MustMarshal(t, p, want))
				if err != nil {
					t.Fatal(err)
				}
				if d := Diff(want, got); d != "" {
					t.Fatal(d)
				}
			})
		}
	}
}

func marshalDoesNotModify(t *testing.T, specs []Spec) {
	for _, spec := range specs {
		t.Run(spec.String(), func(t *testing.T) {
			p := spec.Build(t, false)
			orig := EdgeCases()["full response"]
			want := EdgeCases()["full response"]
			MustMarshal(t, p, orig)
			if d := Diff(want, orig); d != "" {
				t.Fatalf("Marshal modified its argument:\n%s", d)
			}
		})
	}
}

func rejectsTruncationAndExtension(t *testing.T, specs []Spec) {
	r := EdgeCases()["full response"]
	for _, spec := range specs {
		t.Run(spec.String(), func(t *testing.T) {
			p := spec.Build(t, false)
			rec := MustMarshal(t, p, r)
			for n := range len(rec) {
				if _, err := p.Unmarshal(rec[:n]); !errors.Is(err, serializers.ErrInvalidRecord) {
					t.Fatalf("record truncated to %d of %d bytes: got error %v, want ErrInvalidRecord", n, len(rec), err)
				}
			}
			for _, extra := range [][]byte{{0}, {0xc0}, []byte("\n"), []byte("{}")} {
				if _, err := p.Unmarshal(append(bytes.Clone(rec), extra...)); !errors.Is(err, serializers.ErrInvalidRecord) {
					t.Fatalf("record with %q appended: got error %v, want ErrInvalidRecord", extra, err)
				}
			}
		})
	}
}

func pipelineForReadsAnyRecord(t *testing.T, specs []Spec) {
	r := EdgeCases()["full response"]
	for _, spec := range specs {
		t.Run(spec.String(), func(t *testing.T) {
			rec := MustMarshal(t, spec.Build(t, false), r)
			h, err := serializers.Inspect(rec)
			if err != nil {
				t.Fatal(err)
			}
			p, err := serializers.PipelineFor(h, SignKeys, EncryptKeys)
			if err != nil {
				t.Fatal(err)
			}
			got, err := p.Unmarshal(rec)
			if err != nil {
				t.Fatal(err)
			}
			if d := Diff(r, got); d != "" {
				t.Fatal(d)
			}
			if spec.Protected() {
				if _, err := serializers.PipelineFor(h, SignKeys[1:], EncryptKeys[1:]); err == nil {
					t.Fatal("PipelineFor succeeded without the key the record names")
				}
			}
		})
	}
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

func tamperEveryBit(t *testing.T, protected []Spec) {
	small := &models.Response{StatusCode: 200, Header: http.Header{"Etag": {`"x"`}}, Body: []byte("ok"),
		Request: models.Request{Method: "GET", URL: "https://example.com/"}}
	for _, spec := range protected {
		t.Run(spec.String(), func(t *testing.T) {
			t.Parallel()
			p := spec.Build(t, false)
			rec := MustMarshal(t, p, small)
			if _, err := p.Unmarshal(rec); err != nil {
				t.Fatalf("untampered record: %v", err)
			}
			for bit := range len(rec) * 8 {
				flipAndCheck(t, p, rec, bit)
			}
		})
	}
}

func tamperSampledBits(t *testing.T, protected []Spec) {
	g := NewGenerator(11)
	large := &models.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"text/html"}},
		Body: g.Text(256 << 10)}
	seed := rand.Uint64()
	for _, spec := range protected {
		t.Run(spec.String(), func(t *testing.T) {
			t.Parallel()
			p := spec.Build(t, false)
			rec := MustMarshal(t, p, large)
			r := rand.New(rand.NewPCG(seed, 1))
			// Every bit of the header and of the last 64 bytes (MAC, tag),
			// then random positions over the whole record.
			hdr := p.Header().Len
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

func tamperBeyondBitFlips(t *testing.T, protected []Spec) {
	r := EdgeCases()["full response"]
	for _, spec := range protected {
		t.Run(spec.String(), func(t *testing.T) {
			p := spec.Build(t, false)
			rec := MustMarshal(t, p, r)
			hdr := p.Header().Len
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

func concurrentUse(t *testing.T, specs []Spec) {
	// Pipelines share pooled encoders, decoders, MAC states and AEADs.
	for _, spec := range specs {
		t.Run(spec.String(), func(t *testing.T) {
			p := spec.Build(t, false)
			errs := make(chan error, 8)
			for w := range 8 {
				go func() {
					g := NewGenerator(uint64(w))
					for range 10 {
						want := g.Response()
						rec, err := p.Marshal(want)
						if err == nil {
							var got *models.Response
							if got, err = p.Unmarshal(rec); err == nil {
								if d := Diff(want, got); d != "" {
									err = fmt.Errorf("worker %d: %s", w, d)
								}
							}
						}
						if err != nil {
							errs <- err
							return
						}
					}
					errs <- nil
				}()
			}
			for range 8 {
				if err := <-errs; err != nil {
					t.Error(err)
				}
			}
		})
	}
}
