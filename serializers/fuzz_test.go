package serializers_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/cachedhttp/cachedhttp/models"
	"github.com/cachedhttp/cachedhttp/serializers"
)

// goldenRecords returns the golden records checked into testdata, to seed
// fuzz targets with real records of every pipeline.
func goldenRecords(f *testing.F) [][]byte {
	var recs [][]byte
	_ = filepath.WalkDir(goldenDir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Ext(path) == ".rec" {
			if b, err := os.ReadFile(path); err == nil {
				recs = append(recs, b)
			}
		}
		return nil
	})
	return recs
}

// seedResponses are small responses of different shapes for fuzz seeds.
func seedResponses() []*models.Response {
	var rs []*models.Response
	for _, name := range []string{"full response", "vary index with names", "zero response stays zero",
		"repeated header values keep their order", "trailers round-trip", "invalid UTF-8 body"} {
		rs = append(rs, edgeCases()[name])
	}
	return rs
}

// checkDecoded asserts what every fuzz target asserts of Unmarshal: an
// error matches ErrInvalidRecord, and a decoded response survives another
// round trip unchanged.
func checkDecoded(t *testing.T, p *serializers.Pipeline, r *models.Response, err error) {
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
	if d := diffResponses(r, again); d != "" {
		t.Fatalf("decoded response changed on a second round trip:\n%s", d)
	}
}

// fuzzCodec fuzzes one codec: the input is the payload after the header.
func fuzzCodec(f *testing.F, codec serializers.Codec) {
	p := serializers.MustPipeline(codec)
	hdr := []byte(p.String() + "\n")
	for _, r := range seedResponses() {
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
		checkDecoded(t, p, r, err)
	})
}

func FuzzUnmarshalMsgpack(f *testing.F) { fuzzCodec(f, serializers.Msgpack) }
func FuzzUnmarshalJSON(f *testing.F)    { fuzzCodec(f, serializers.JSON) }
func FuzzUnmarshalBSON(f *testing.F)    { fuzzCodec(f, serializers.BSON) }

// fuzzStagePipelines are pipelines whose stages FuzzStages exercises; the
// decompression limit is small so the fuzzer finds bombs without exhausting
// memory.
func fuzzStagePipelines() []*serializers.Pipeline {
	limit := serializers.MaxDecompressedSize(1 << 20)
	enc := serializers.Encrypt(encryptKeys...)
	serializers.SetNonceSource(enc, &counterReader{})
	return []*serializers.Pipeline{
		serializers.MustPipeline(serializers.Msgpack, serializers.Zstd(0, limit)),
		serializers.MustPipeline(serializers.Msgpack, serializers.Gzip(0, limit)),
		serializers.MustPipeline(serializers.Msgpack, serializers.Sign(signKeys...)),
		serializers.MustPipeline(serializers.Msgpack, enc),
		serializers.MustPipeline(serializers.Msgpack, serializers.Zstd(0, limit), enc, serializers.Sign(signKeys...)),
	}
}

// FuzzStages feeds arbitrary stage payloads to each stage pipeline (the
// reader must reject them cleanly) and arbitrary bodies through a write
// and a read (which must give the body back).
func FuzzStages(f *testing.F) {
	ps := fuzzStagePipelines()
	for i, p := range ps {
		hdr := len(p.String()) + 1
		for _, r := range seedResponses() {
			rec, err := p.Marshal(r)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(uint8(i), rec[hdr:])
		}
		big, err := p.Marshal(&models.Response{Body: bytes.Repeat([]byte("abcdefgh"), 200)})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(i), big[hdr:])
	}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		p := ps[int(which)%len(ps)]
		rec := append([]byte(p.String()+"\n"), data...)
		r, err := p.Unmarshal(rec)
		checkDecoded(t, p, r, err)

		want := &models.Response{StatusCode: 200, Body: data}
		if len(data) > 0 && data[0]&1 == 1 {
			want.Header = map[string][]string{"Content-Encoding": {"br"}}
		}
		rec, err = p.Marshal(want)
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		got, err := p.Unmarshal(rec)
		if err != nil {
			t.Fatalf("Unmarshal of a fresh record: %v", err)
		}
		if d := diffResponses(want, got); d != "" {
			t.Fatal(d)
		}
	})
}

// FuzzInspect checks that Inspect never panics, that every error matches
// ErrInvalidRecord, and that a header it accepts is in canonical form: it
// prints back to exactly the bytes it was parsed from.
func FuzzInspect(f *testing.F) {
	for _, rec := range goldenRecords(f) {
		f.Add(rec)
	}
	f.Add([]byte("cachedhttp v1 msgpack zstd aes-256-gcm:k1 hmac-sha256:k-2.x_y\n"))
	f.Add([]byte("cachedhttp v2 msgpack\n"))
	f.Add([]byte("cachedhttp v1 json  zstd\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := serializers.Inspect(data)
		if err != nil {
			if !errors.Is(err, serializers.ErrInvalidRecord) {
				t.Fatalf("Inspect error does not match ErrInvalidRecord: %v", err)
			}
			return
		}
		if line := h.String() + "\n"; h.Len != len(line) || !bytes.HasPrefix(data, []byte(line)) {
			t.Fatalf("Inspect accepted %q but prints it as %q", data[:h.Len], line)
		}
	})
}
