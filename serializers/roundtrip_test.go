package serializers_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/cachedhttp/cachedhttp/models"
	"github.com/cachedhttp/cachedhttp/serializers"
	"github.com/cachedhttp/cachedhttp/serializers/internal/serializertest"
)

// TestConformance runs the codec conformance suite on the built-in codecs;
// serializers/bsoncodec runs it on BSON.
func TestConformance(t *testing.T) {
	for _, c := range []serializers.Codec{serializers.Compact, serializers.Msgpack, serializers.JSON} {
		t.Run(c.String(), func(t *testing.T) { serializertest.Run(t, c) })
	}
}

func TestHeaderValuesThatAreNotUTF8(t *testing.T) {
	// Servers send Latin-1 header values. msgpack keeps the bytes (so does
	// BSON, tested in its package); JSON cannot, and refuses rather than
	// storing altered values.
	r := &models.Response{StatusCode: 200, Header: http.Header{"Content-Disposition": {"attachment; filename=\"caf\xe9.txt\""}}}
	for _, spec := range serializertest.Specs(serializers.Msgpack, serializers.JSON) {
		t.Run(spec.String(), func(t *testing.T) {
			p := spec.Build(t, false)
			rec, err := p.Marshal(r)
			if spec.Codec == serializers.JSON {
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
			if d := serializertest.Diff(r, got); d != "" {
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
	want := serializertest.EdgeCases()["full response"]
	rec, err := serializers.Default().Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	got, err := serializers.Default().Unmarshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	if d := serializertest.Diff(want, got); d != "" {
		t.Fatal(d)
	}
	if serializers.Default() != serializers.Default() {
		t.Fatal("Default returns a new serializer on each call")
	}
	h, err := serializers.Inspect(rec)
	if err != nil {
		t.Fatal(err)
	}
	if h.String() != "cachedhttp v2 compact zstd" || h.Version != 2 || h.Len != 6 {
		t.Fatalf("Default writes %q (version %d, %d-byte header), want compact with zstd in a 6-byte version 2 header", h, h.Version, h.Len)
	}
}

func TestBodyAliasesRecord(t *testing.T) {
	// On the cache-hit path the body is sliced out of the record rather
	// than copied, when no stage had to produce new bytes.
	random := serializertest.TypicalResponse().Body
	tests := []struct {
		name   string
		p      serializers.Serializer
		body   []byte
		header http.Header
	}{
		{"msgpack", serializers.MustPipeline(serializers.Msgpack), []byte("small body"), nil},
		{"msgpack+zstd with a body zstd skipped", serializers.MustPipeline(serializers.Msgpack, serializers.Zstd(0)),
			bytes.Repeat([]byte("x"), 2000), http.Header{"Content-Type": {"image/png"}}},
		{"compact", serializers.Plain(), []byte("small body"), nil},
		{"compact+zstd with a body zstd skipped", serializers.Default(),
			bytes.Repeat([]byte("x"), 2000), http.Header{"Content-Type": {"image/png"}}},
		{"compact+zstd with a random body of no declared type", serializers.Default(), random,
			http.Header{"Content-Type": {"application/octet-stream"}, "Cache-Control": {"max-age=60"}}},
		{"msgpack+zstd with a random body of no declared type", serializers.MustPipeline(serializers.Msgpack, serializers.Zstd(0)),
			random, http.Header{"Content-Type": {"application/octet-stream"}}},
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
