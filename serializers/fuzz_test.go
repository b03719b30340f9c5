package serializers_test

import (
	"bytes"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/models"
	"github.com/cachedhttp/cachedhttp/serializers"
	"github.com/cachedhttp/cachedhttp/serializers/internal/serializertest"
)

func FuzzUnmarshalCompact(f *testing.F) { serializertest.FuzzCodec(f, serializers.Compact) }
func FuzzUnmarshalMsgpack(f *testing.F) { serializertest.FuzzCodec(f, serializers.Msgpack) }
func FuzzUnmarshalJSON(f *testing.F)    { serializertest.FuzzCodec(f, serializers.JSON) }

// FuzzUnmarshalBSON is in serializers/bsoncodec.

// FuzzCompactValues checks that any string the compact codec may store as
// a table entry, a date or a decimal comes back byte for byte, wherever it
// appears, whatever the base time the dates are relative to.
func FuzzCompactValues(f *testing.F) {
	for _, v := range []string{"Sun, 06 Nov 1994 08:49:37 GMT", "Mon, 06 Nov 1994 08:49:37 GMT", "1024", "007",
		"18446744073709551616", "gzip", "", "Sat, 01 Jan 0000 00:00:00 GMT", "Tue, 29 Feb 2000 23:59:59 GMT"} {
		f.Add(v, int64(1.7e9))
	}
	f.Fuzz(func(t *testing.T, v string, base int64) {
		r := &models.Response{
			StatusCode: 200, Header: http.Header{"Date": {v}, v: {v, v}}, Request: models.Request{Method: v, URL: v},
			ResponseTime: time.Unix(base, 0), VaryIndex: []string{v},
		}
		rec, err := serializers.Plain().Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		got, err := serializers.Plain().Unmarshal(rec)
		if err != nil {
			t.Fatalf("Unmarshal of a fresh record: %v", err)
		}
		if d := serializertest.Diff(r, got); d != "" {
			t.Fatal(d)
		}
	})
}

// fuzzStagePipelines are pipelines whose stages FuzzStages exercises; the
// decompression limit is small so the fuzzer finds bombs without exhausting
// memory.
func fuzzStagePipelines() []*serializers.Pipeline {
	limit := serializers.MaxDecompressedSize(1 << 20)
	enc := serializers.Encrypt(serializertest.EncryptKeys...)
	serializertest.SetNonceSource(enc, &serializertest.CounterReader{})
	return []*serializers.Pipeline{
		serializers.MustPipeline(serializers.Msgpack, serializers.Zstd(0, limit)),
		serializers.MustPipeline(serializers.Msgpack, serializers.Gzip(0, limit)),
		serializers.MustPipeline(serializers.Msgpack, serializers.Sign(serializertest.SignKeys...)),
		serializers.MustPipeline(serializers.Msgpack, enc),
		serializers.MustPipeline(serializers.Msgpack, serializers.Zstd(0, limit), enc, serializers.Sign(serializertest.SignKeys...)),
		serializers.MustPipeline(serializers.Compact, serializers.Zstd(0, limit)),
		serializers.MustPipeline(serializers.Compact, serializers.Zstd(0, limit), enc, serializers.Sign(serializertest.SignKeys...)),
	}
}

// FuzzStages feeds arbitrary stage payloads to each stage pipeline (the
// reader must reject them cleanly) and arbitrary bodies through a write
// and a read (which must give the body back).
func FuzzStages(f *testing.F) {
	ps := fuzzStagePipelines()
	hdrs := make([][]byte, len(ps))
	for i, p := range ps {
		hdrs[i] = serializertest.HeaderOf(f, p)
		hdr := len(hdrs[i])
		for _, r := range serializertest.SeedResponses() {
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
		rec := append(bytes.Clone(hdrs[int(which)%len(ps)]), data...)
		r, err := p.Unmarshal(rec)
		serializertest.CheckDecoded(t, p, r, err)

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
		if d := serializertest.Diff(want, got); d != "" {
			t.Fatal(d)
		}
	})
}

// FuzzInspect checks that Inspect never panics, that every error matches
// ErrInvalidRecord, and that a header it accepts is in canonical form: it
// prints (version 1) or encodes (version 2) back to exactly the bytes it
// was parsed from.
func FuzzInspect(f *testing.F) {
	for _, rec := range serializertest.GoldenRecords(goldenDir) {
		f.Add(rec)
	}
	f.Add([]byte("cachedhttp v1 msgpack zstd aes-256-gcm:k1 hmac-sha256:k-2.x_y\n"))
	f.Add([]byte("cachedhttp v2 msgpack\n"))
	f.Add([]byte("cachedhttp v1 json  zstd\n"))
	f.Add([]byte("\xca\xce\x02\x01\x02\x01\x04\x02k1"))
	f.Add([]byte("\xca\xce\x03\x01\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := serializers.Inspect(data)
		if err != nil {
			if !errors.Is(err, serializers.ErrInvalidRecord) {
				t.Fatalf("Inspect error does not match ErrInvalidRecord: %v", err)
			}
			return
		}
		if enc := serializers.EncodeHeader(h); h.Len != len(enc) || !bytes.HasPrefix(data, enc) {
			t.Fatalf("Inspect accepted %q but writes it as %q", data[:h.Len], enc)
		}
		if (h.Version == 2) != (data[0] == 0xca) {
			t.Fatalf("Inspect read %q as version %d", data[:h.Len], h.Version)
		}
	})
}
