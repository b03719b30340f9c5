package serializers_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/models"
	"github.com/cachedhttp/cachedhttp/serializers"
)

// edgeCases are the responses every pipeline must round-trip exactly.
func edgeCases() map[string]*models.Response {
	nano := time.Date(2026, 5, 17, 10, 11, 12, 123456789, time.UTC)
	binary := make([]byte, 4096)
	for i := range binary {
		binary[i] = byte(i * 7)
	}
	return map[string]*models.Response{
		"zero response stays zero": {},
		"times keep nanoseconds and zero times stay zero": {
			StatusCode: 200, RequestTime: nano, ResponseTime: nano.Add(time.Nanosecond),
			Created: nano.Add(-1), Expires: time.Date(3000, 1, 1, 0, 0, 0, 1, time.UTC),
		},
		"times before 1970 keep nanoseconds": {
			StatusCode: 200, Created: time.Date(1901, 2, 3, 4, 5, 6, 999999999, time.UTC),
			Expires: time.Unix(-1, 1),
		},
		"nil header and trailer stay nil": {StatusCode: 204, Header: nil, Trailer: nil},
		"empty header and trailer stay empty": {
			StatusCode: 200, Header: http.Header{}, Trailer: http.Header{},
			Request: models.Request{Header: http.Header{}},
		},
		"repeated header values keep their order": {
			StatusCode: 200,
			Header: http.Header{
				"Set-Cookie":    {"b=2", "a=1", "c=3"},
				"Cache-Control": {"no-cache", "max-age=0"},
				"Nil-Values":    nil,
				"Empty-Values":  {},
				"Empty-String":  {""},
			},
		},
		"trailers round-trip": {
			StatusCode: 200, Body: []byte("chunked body"),
			Trailer: http.Header{"Grpc-Status": {"0"}, "Server-Timing": {"db;dur=53", "app;dur=47.2"}},
		},
		"empty body": {StatusCode: 200, Body: []byte{}},
		"binary body": {
			StatusCode: 200, Header: http.Header{"Content-Type": {"application/octet-stream"}}, Body: binary,
		},
		"invalid UTF-8 body": {StatusCode: 200, Body: []byte("caf\xe9 \xff\xfe")},
		"HTML body with characters JSON would escape": {
			StatusCode: 200, Body: []byte("<p>a & b</p>\u2028\x00\"'\\"),
		},
		"compressible 64 KiB body": {
			StatusCode: 200, Header: http.Header{"Content-Type": {"text/html"}},
			Body: bytes.Repeat([]byte("<li>compressible text</li>\n"), 64<<10/27),
		},
		"already gzipped body is stored as is": {
			StatusCode: 200, Header: http.Header{"Content-Encoding": {"gzip"}},
			Body: bytes.Repeat([]byte("pretend gzip "), 500),
		},
		"vary index with names": {
			VaryIndex: []string{"Accept-Encoding", "Accept-Language"}, Created: nano,
		},
		"empty vary index is an index": {VaryIndex: []string{}},
		"full response": {
			StatusCode: 200, Proto: "HTTP/2.0", ProtoMajor: 2,
			Header: http.Header{"Content-Type": {"application/json"}, "Etag": {`"v1"`}},
			Body:   []byte(`{"hello":"world"}`),
			Request: models.Request{Method: "GET", URL: "https://example.com/a?b=c",
				Header: http.Header{"Accept": {"*/*"}}},
			RequestTime: nano, ResponseTime: nano.Add(time.Millisecond), Created: nano,
			Expires: nano.Add(time.Hour), StaleUntil: nano.Add(2 * time.Hour), Revalidate: true,
		},
	}
}

func TestRoundTripEdgeCases(t *testing.T) {
	for _, spec := range allSpecs() {
		p := spec.build(t, false)
		for name, want := range edgeCases() {
			t.Run(spec.String()+"/"+name, func(t *testing.T) {
				rec, err := p.Marshal(want)
				if err != nil {
					t.Fatalf("Marshal: %v", err)
				}
				got, err := p.Unmarshal(rec)
				if err != nil {
					t.Fatalf("Unmarshal: %v", err)
				}
				if d := diffResponses(want, got); d != "" {
					t.Fatalf("round trip changed the response:\n%s", d)
				}
				if got.IsVaryIndex() != want.IsVaryIndex() {
					t.Fatalf("IsVaryIndex: want %v, got %v", want.IsVaryIndex(), got.IsVaryIndex())
				}
			})
		}
	}
}

func TestRoundTripRandomResponses(t *testing.T) {
	// Fixed seeds make failures reproducible; the random one widens the
	// search over runs (it is in the subtest name when it fails).
	seeds := []uint64{1, 2, rand.Uint64(), rand.Uint64()}
	n := 12
	if testing.Short() {
		n = 4
	}
	for _, spec := range allSpecs() {
		p := spec.build(t, false)
		for _, seed := range seeds {
			t.Run(fmt.Sprintf("%s/seed=%d", spec, seed), func(t *testing.T) {
				t.Parallel()
				g := newGenerator(seed)
				for i := range n {
					want := g.response()
					rec, err := p.Marshal(want)
					if err != nil {
						t.Fatalf("response %d: Marshal: %v", i, err)
					}
					got, err := p.Unmarshal(rec)
					if err != nil {
						t.Fatalf("response %d: Unmarshal: %v", i, err)
					}
					if d := diffResponses(want, got); d != "" {
						t.Fatalf("response %d (seed %d): round trip changed it:\n%s", i, seed, d)
					}
				}
			})
		}
	}
}

func TestRoundTripOneMiBBodies(t *testing.T) {
	g := newGenerator(7)
	bodies := map[string][]byte{"text": textBody(g.r, 1<<20), "binary": g.binary(1 << 20)}
	for _, spec := range allSpecs() {
		p := spec.build(t, false)
		for kind, body := range bodies {
			t.Run(spec.String()+"/"+kind, func(t *testing.T) {
				t.Parallel()
				want := &models.Response{StatusCode: 200, Body: body, Header: http.Header{"Content-Type": {"text/html"}}}
				rec, err := p.Marshal(want)
				if err != nil {
					t.Fatal(err)
				}
				got, err := p.Unmarshal(rec)
				if err != nil {
					t.Fatal(err)
				}
				if d := diffResponses(want, got); d != "" {
					t.Fatal(d)
				}
			})
		}
	}
}

func TestMarshalDoesNotModifyResponse(t *testing.T) {
	for _, spec := range allSpecs() {
		t.Run(spec.String(), func(t *testing.T) {
			p := spec.build(t, false)
			orig := edgeCases()["full response"]
			want := edgeCases()["full response"]
			if _, err := p.Marshal(orig); err != nil {
				t.Fatal(err)
			}
			if d := diffResponses(want, orig); d != "" {
				t.Fatalf("Marshal modified its argument:\n%s", d)
			}
		})
	}
}

func TestHeaderValuesThatAreNotUTF8(t *testing.T) {
	// Servers send Latin-1 header values. msgpack and BSON keep the bytes;
	// JSON cannot, and refuses rather than storing altered values.
	r := &models.Response{StatusCode: 200, Header: http.Header{"Content-Disposition": {"attachment; filename=\"caf\xe9.txt\""}}}
	for _, spec := range allSpecs() {
		t.Run(spec.String(), func(t *testing.T) {
			p := spec.build(t, false)
			rec, err := p.Marshal(r)
			if spec.codec == serializers.JSON {
				if err == nil || !strings.Contains(err.Error(), "not valid UTF-8") {
					t.Fatalf("Marshal error %v, want one saying the value is not valid UTF-8", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := p.Unmarshal(rec)
			if err != nil {
				t.Fatal(err)
			}
			if d := diffResponses(r, got); d != "" {
				t.Fatal(d)
			}
		})
	}
}

func TestMarshalNilResponseIsAnError(t *testing.T) {
	if _, err := serializers.Default().Marshal(nil); err == nil {
		t.Fatal("Marshal(nil) succeeded")
	}
}

func TestDefaultRoundTripsAndIsShared(t *testing.T) {
	want := edgeCases()["full response"]
	rec, err := serializers.Default().Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	got, err := serializers.Default().Unmarshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	if d := diffResponses(want, got); d != "" {
		t.Fatal(d)
	}
	if serializers.Default() != serializers.Default() {
		t.Fatal("Default returns a new serializer on each call")
	}
	h, err := serializers.Inspect(rec)
	if err != nil {
		t.Fatal(err)
	}
	if h.String() != "cachedhttp v1 msgpack zstd" {
		t.Fatalf("Default writes %q, want msgpack with zstd", h)
	}
}

func TestMsgpackBodyAliasesRecord(t *testing.T) {
	// On the cache-hit path the body is sliced out of the record rather
	// than copied, when no stage had to produce new bytes.
	tests := []struct {
		name   string
		p      *serializers.Pipeline
		body   []byte
		header http.Header
	}{
		{"msgpack", serializers.MustPipeline(serializers.Msgpack), []byte("small body"), nil},
		{"msgpack+zstd with a body zstd skipped", serializers.MustPipeline(serializers.Msgpack, serializers.Zstd(0)),
			bytes.Repeat([]byte("x"), 2000), http.Header{"Content-Type": {"image/png"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := tt.p.Marshal(&models.Response{StatusCode: 200, Header: tt.header, Body: tt.body})
			if err != nil {
				t.Fatal(err)
			}
			got, err := tt.p.Unmarshal(rec)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Body, tt.body) {
				t.Fatal("body differs")
			}
			i := bytes.Index(rec, tt.body)
			if i < 0 || &rec[i] != &got.Body[0] {
				t.Fatal("body was copied, want a slice of the record")
			}
			if cap(got.Body) != len(got.Body) {
				t.Fatalf("aliased body has spare capacity %d: appending to it would overwrite the record", cap(got.Body)-len(got.Body))
			}
		})
	}
}

func TestConcurrentUseOfOnePipeline(t *testing.T) {
	// Pipelines share pooled encoders, decoders, MAC states and AEADs;
	// run with -race.
	for _, spec := range []pipelineSpec{
		{codec: serializers.Msgpack, compress: "zstd", encrypt: true, sign: true},
		{codec: serializers.JSON, compress: "gzip", sign: true},
		{codec: serializers.BSON, compress: "zstd"},
	} {
		t.Run(spec.String(), func(t *testing.T) {
			p := spec.build(t, false)
			errs := make(chan error, 8)
			for w := range 8 {
				go func() {
					g := newGenerator(uint64(w))
					for range 10 {
						want := g.response()
						rec, err := p.Marshal(want)
						if err == nil {
							var got *models.Response
							if got, err = p.Unmarshal(rec); err == nil {
								if d := diffResponses(want, got); d != "" {
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
