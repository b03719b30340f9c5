package serializers_test

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/cachedhttp/cachedhttp/models"
	"github.com/cachedhttp/cachedhttp/serializers"
	"github.com/cachedhttp/cachedhttp/serializers/internal/serializertest"
)

func TestCompressionSkipsWhatWouldNotGain(t *testing.T) {
	text := bytes.Repeat([]byte("<li>compressible</li>"), 200)
	random := serializertest.NewGenerator(3).Binary(8 << 10)
	tests := []struct {
		name       string
		header     http.Header
		body       []byte
		compressed bool
	}{
		{"text/html is compressed", http.Header{"Content-Type": {"text/html; charset=utf-8"}}, text, true},
		{"no content type is compressed", nil, text, true},
		{"identity encoding is compressed", http.Header{"Content-Encoding": {"identity"}}, text, true},
		{"image/svg+xml is compressed", http.Header{"Content-Type": {"image/svg+xml"}}, text, true},
		{"gzip encoding is stored", http.Header{"Content-Encoding": {"gzip"}}, text, false},
		{"br encoding after identity is stored", http.Header{"Content-Encoding": {"identity, br"}}, text, false},
		{"image/png is stored", http.Header{"Content-Type": {"image/png"}}, text, false},
		{"video/mp4 is stored", http.Header{"Content-Type": {"video/mp4"}}, text, false},
		{"audio/mpeg is stored", http.Header{"Content-Type": {"audio/mpeg"}}, text, false},
		{"application/zip is stored", http.Header{"Content-Type": {"application/zip"}}, text, false},
		{"application/gzip is stored", http.Header{"Content-Type": {"application/gzip"}}, text, false},
		{"application/zstd is stored", http.Header{"Content-Type": {"application/zstd"}}, text, false},
		{"font/woff2 is stored", http.Header{"Content-Type": {"font/woff2"}}, text, false},
		{"record under 512 bytes is stored", nil, []byte("tiny"), false},
		{"incompressible body is stored", nil, random, false},
		// The probe: a random body decides for the whole record, though
		// the fields around it would shrink.
		{"random body with compressible fields is stored", http.Header{"X-Pad": {strings.Repeat("padding ", 300)}},
			random[:1024], false},
		{"random head of a large text body is compressed", nil, append(bytes.Clone(random[:600]), bytes.Repeat(text, 4)...), true},
		// The minimum gain: 1/16.
		{"text head of a random body, saving under 1/16, is stored", nil,
			append(text[:600:600], serializertest.NewGenerator(4).Binary(16<<10)...), false},
	}
	for _, comp := range []string{"zstd", "gzip"} {
		p := serializertest.Spec{Codec: serializers.Msgpack, Compress: comp}.Build(t, false)
		for _, tt := range tests {
			t.Run(comp+"/"+tt.name, func(t *testing.T) {
				want := &models.Response{StatusCode: 200, Header: tt.header, Body: tt.body}
				rec := serializertest.MustMarshal(t, p, want)
				// A stored record holds the body verbatim and costs one flag
				// byte over the plain codec; a compressed one is smaller.
				plain := serializertest.MustMarshal(t, serializers.MustPipeline(serializers.Msgpack), want)
				stored := bytes.Contains(rec, tt.body)
				if stored == tt.compressed {
					t.Fatalf("compressed = %v, want %v", !stored, tt.compressed)
				}
				if !tt.compressed && len(rec) != len(plain)+len(" "+comp)+1 {
					t.Fatalf("stored record has %d bytes, want plain %d + header + flag", len(rec), len(plain))
				}
				if tt.compressed && len(rec) >= len(plain) {
					t.Fatalf("compressed record (%d bytes) is not smaller than plain (%d)", len(rec), len(plain))
				}
				got, err := p.Unmarshal(rec)
				if err != nil {
					t.Fatal(err)
				}
				if d := serializertest.Diff(want, got); d != "" {
					t.Fatal(d)
				}
			})
		}
	}
}

// forge builds a compression-stage record by hand: header, flag 1, the
// uncompressed length the record claims, and the compressed frame.
func forge(header string, claimed int, frame []byte) []byte {
	rec := []byte(header + "\n")
	rec = append(rec, 1)
	rec = binary.AppendUvarint(rec, uint64(claimed))
	return append(rec, frame...)
}

func zstdFrame(t *testing.T, data []byte) []byte {
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	return enc.EncodeAll(data, nil)
}

func gzipFrame(t *testing.T, data []byte) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestDecompressionIsBounded(t *testing.T) {
	const limit = 1 << 20
	// A valid msgpack record whose body is 4 MiB of zeros: it compresses
	// to a few hundred bytes, a small decompression bomb.
	bomb := serializertest.MustMarshal(t, serializers.MustPipeline(serializers.Msgpack), &models.Response{Body: make([]byte, 4<<20)})
	payload := bomb[len("cachedhttp v1 msgpack\n"):]
	small := serializertest.MustMarshal(t, serializers.MustPipeline(serializers.Msgpack), &models.Response{Body: bytes.Repeat([]byte("a"), 4096)})
	smallPayload := small[len("cachedhttp v1 msgpack\n"):]
	frames := map[string]func(*testing.T, []byte) []byte{"zstd": zstdFrame, "gzip": gzipFrame}
	for name, stage := range map[string]serializers.Stage{
		"zstd": serializers.Zstd(0, serializers.MaxDecompressedSize(limit)),
		"gzip": serializers.Gzip(0, serializers.MaxDecompressedSize(limit)),
	} {
		p := serializers.MustPipeline(serializers.Msgpack, stage)
		header := "cachedhttp v1 msgpack " + name
		frame := frames[name]
		tests := []struct {
			name, reason string
			rec          []byte
		}{
			{"a record announcing more than the limit", "exceeds the limit", forge(header, len(payload), frame(t, payload))},
			{"a record lying about its length to pass the limit", "", forge(header, limit, frame(t, payload))},
			{"a record announcing more than its data can hold", "is impossible for", forge(header, limit, []byte("tiny"))},
			{"a record announcing less than it holds", "", forge(header, len(smallPayload)-1, frame(t, smallPayload))},
			{"a record announcing more than it holds", "", forge(header, len(smallPayload)+1, frame(t, smallPayload))},
			{"an unknown flag byte", "unknown flag byte", append([]byte(header+"\n"), 2, 0)},
			{"a malformed length", "malformed uncompressed length", append([]byte(header+"\n"), 1, 0xff)},
			{"a frame of garbage", "", forge(header, 100, []byte("not a compressed frame"))},
		}
		for _, tt := range tests {
			t.Run(name+"/"+tt.name, func(t *testing.T) {
				r, err := p.Unmarshal(tt.rec)
				if r != nil || !errors.Is(err, serializers.ErrInvalidRecord) {
					t.Fatalf("got response %v, error %v; want ErrInvalidRecord", r != nil, err)
				}
				if tt.reason != "" {
					wantInvalid(t, err, tt.reason)
				}
			})
		}
		t.Run(name+"/a record within the limit reads", func(t *testing.T) {
			r, err := p.Unmarshal(forge(header, len(smallPayload), frame(t, smallPayload)))
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Body) != 4096 {
				t.Fatalf("body has %d bytes, want 4096", len(r.Body))
			}
		})
	}
}

func TestCompressionLevelsRoundTrip(t *testing.T) {
	body := bytes.Repeat([]byte("level test body "), 1000)
	stages := map[string]serializers.Stage{
		"zstd 1": serializers.Zstd(1), "zstd 3": serializers.Zstd(3), "zstd 7": serializers.Zstd(7),
		"zstd 22": serializers.Zstd(22), "gzip 1": serializers.Gzip(1), "gzip 9": serializers.Gzip(9),
	}
	for name, s := range stages {
		t.Run(name, func(t *testing.T) {
			p := serializers.MustPipeline(serializers.Msgpack, s)
			rec := serializertest.MustMarshal(t, p, &models.Response{StatusCode: 200, Body: body})
			if len(rec) > len(body)/4 {
				t.Fatalf("record has %d bytes for a %d-byte repetitive body: not compressed", len(rec), len(body))
			}
			// The level is not part of the format: a pipeline at the
			// default level reads it.
			name, _, _ := bytes.Cut([]byte(name), []byte(" "))
			reader := serializertest.Spec{Codec: serializers.Msgpack, Compress: string(name)}.Build(t, false)
			got, err := reader.Unmarshal(rec)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Body, body) {
				t.Fatal("body differs")
			}
		})
	}
}
