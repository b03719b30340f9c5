package serializers_test

import (
	"bytes"
	"encoding/binary"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cachedhttp/cachedhttp/models"
	"github.com/cachedhttp/cachedhttp/serializers"
	"github.com/cachedhttp/cachedhttp/serializers/internal/serializertest"
)

// TestTypicalRecordSize measures the record of issue 11 (a 1 KiB random
// body, six response fields, a GET with three request fields, five times)
// in each format, and holds the compact one to what the memory target
// needs: at most 128 bytes over its body, allocated in the 1152-byte size
// class (with the memory backend's ~224 bytes per entry, 1376 B of heap,
// under the 1434 B target; a 1280-byte record would not be).
func TestTypicalRecordSize(t *testing.T) {
	r := serializertest.TypicalResponse()
	size := func(s serializers.Serializer) []byte {
		rec := serializertest.MustMarshal(t, s, r)
		got, err := s.Unmarshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		if d := serializertest.Diff(r, got); d != "" {
			t.Fatal(d)
		}
		t.Logf("%-30s %4d bytes (body %d + %d), capacity %d", s, len(rec), len(r.Body), len(rec)-len(r.Body), cap(rec))
		return rec
	}
	size(serializers.MustPipeline(serializers.Msgpack))
	size(serializers.MustPipeline(serializers.Msgpack, serializers.Zstd(0)))
	plain := size(serializers.Plain())
	def := size(serializers.Default())
	if over := len(plain) - len(r.Body); over > 128 {
		t.Errorf("compact record is %d bytes over its body, want at most 128", over)
	}
	if cap(plain) > 1152 {
		t.Errorf("compact record of %d bytes has capacity %d: it is not allocated at its size", len(plain), cap(plain))
	}
	// Default stores the random body as it is (flag 0): no decompression
	// on hits, two bytes more than Plain (the zstd stage id and the flag).
	if len(def) != len(plain)+2 || !bytes.Contains(def, r.Body) {
		t.Errorf("Default record has %d bytes, want Plain's %d + 2 with the body stored", len(def), len(plain))
	}
}

// TestCompactValueForms round-trips header values that the compact codec
// stores as table entries, dates and decimals, and values that only look
// like them and must come back byte for byte as literals.
func TestCompactValueForms(t *testing.T) {
	values := []string{
		"gzip", "Go-http-client/1.1", "public, max-age=3600", // table entries
		"Sun, 06 Nov 1994 08:49:37 GMT", "Thu, 01 Jan 1970 00:00:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT",
		"Mon, 01 Jan 0001 00:00:00 GMT",     // dates
		"0", "1024", "18446744073709551615", // decimals
		"Mon, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Thu, 31 Feb 1994 08:49:37 GMT",
		"007", "-1", "18446744073709551616", "", "GZIP", "caf\xe9", // literals
	}
	for _, base := range []*models.Response{{}, serializertest.TypicalResponse()} {
		r := *base
		r.Header = http.Header{"X-Values": values, "Date": {values[3]}, "Age": {"0"}}
		got, err := serializers.Plain().Unmarshal(serializertest.MustMarshal(t, serializers.Plain(), &r))
		if err != nil {
			t.Fatal(err)
		}
		if d := serializertest.Diff(&r, got); d != "" {
			t.Fatal(d)
		}
	}
	// The forms are shorter than the literals they replace.
	lit := &models.Response{Header: http.Header{"Last-Modified": {"Mon, 06 Nov 1994 08:49:37 GMT"}}}
	date := &models.Response{Header: http.Header{"Last-Modified": {"Sun, 06 Nov 1994 08:49:37 GMT"}}}
	if a, b := len(serializertest.MustMarshal(t, serializers.Plain(), date)), len(serializertest.MustMarshal(t, serializers.Plain(), lit)); a+20 > b {
		t.Errorf("a record with an IMF-fixdate has %d bytes, one with a literal %d: the date form is not used", a, b)
	}
}

func TestCompactZeroResponseEncoding(t *testing.T) {
	// FORMAT.md, byte for byte: flags, nanosecond mask, line (protocol 3
	// "" 0 0, status 2: 0), method "" (literal of 0 bytes), URL "" (kind 0,
	// 0 bytes), nil header, trailer and request header, no Vary index,
	// empty body.
	want := []byte{0xca, 0xce, 2, 1, 0, 0x00, 0x00, 3<<5 | 2, 0x01, 0x00, 0, 0, 0, 0, 0}
	if rec := serializertest.MustMarshal(t, serializers.Plain(), &models.Response{}); !bytes.Equal(rec, want) {
		t.Fatalf("zero response: % x, want % x", rec, want)
	}
}

// TestCompactRejectsMalformedPayloads feeds hand-made payloads that break
// each rule of FORMAT.md's compact section to a compact pipeline.
func TestCompactRejectsMalformedPayloads(t *testing.T) {
	// zero: a valid payload with nothing in it, to start each case from.
	zero := func(method, url, header []byte) []byte {
		b := []byte{0, 0, 3<<5 | 2}
		b = append(b, method...)
		b = append(b, url...)
		b = append(b, header...)
		return append(b, 0, 0, 0, 0) // trailer, request header, vary, body length
	}
	uv := func(v uint64) []byte { return binary.AppendUvarint(nil, v) }
	sv := func(v int64) []byte { return binary.AppendVarint(nil, v) }
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	tests := []struct {
		name    string
		payload []byte
		reason  string
	}{
		{"reserved flag bit", cat([]byte{0x40}, zero(uv(1), uv(0), uv(0))[1:]), "reserved flag bits"},
		{"nanosecond mask bit of an absent time", cat([]byte{0, 1}, zero(uv(1), uv(0), uv(0))[2:]), "reserved flag bits"},
		{"nanoseconds past a second", cat([]byte{1, 1}, sv(5), sv(1e9), zero(uv(1), uv(0), uv(0))[2:]), "out of range"},
		{"nanoseconds below zero", cat([]byte{1, 1}, sv(5), sv(-1), zero(uv(1), uv(0), uv(0))[2:]), "out of range"},
		{"zero nanosecond delta", cat([]byte{1, 1}, sv(5), sv(0), zero(uv(1), uv(0), uv(0))[2:]), "out of range"},
		{"present time that is the zero time", cat([]byte{1, 0}, sv(-62135596800), zero(uv(1), uv(0), uv(0))[2:]), "zero time"},
		{"status index 29", cat([]byte{0, 0, 3<<5 | 29}, zero(uv(1), uv(0), uv(0))[3:]), "unknown status index 29"},
		{"protocol index 6", cat([]byte{0, 0, 6<<5 | 2}, zero(uv(1), uv(0), uv(0))[3:]), "unknown protocol index 6"},
		{"value index past the table", zero(uv(500<<2), uv(0), uv(0)), "unknown value index 500"},
		{"value form 2", zero(uv(2<<2|2), uv(0), uv(0)), "unknown value form 2"},
		{"URL kind 3", zero(uv(1), uv(3), uv(0)), "unknown URL kind 3"},
		{"name index past the table", zero(uv(1), uv(0), cat(uv(2), uv(500<<2|2), uv(0))), "unknown name index 500"},
		{"name twice", zero(uv(1), uv(0), cat(uv(3), uv(0<<2|2), uv(8<<2), uv(0<<2|2), uv(8<<2))), `header field "Content-Type" twice`},
		{"more fields than bytes", zero(uv(1), uv(0), uv(1000)), "header fields with"},
		{"more values than bytes", zero(uv(1), uv(0), cat(uv(2), uv(0), uv(1000))), "values with"},
		{"literal longer than the record", zero(uv(1), uv(1000<<2), uv(0)), "length 1000 exceeds"},
		{"body longer than the record", append(zero(uv(1), uv(0), uv(0))[:9], 5, 'a'), "length 5 exceeds"},
		{"bytes after the body", append(zero(uv(1), uv(0), uv(0)), 0), "1 bytes after the body"},
		{"varint past 64 bits", zero(bytes.Repeat([]byte{0xff}, 11), uv(0), uv(0)), "malformed or truncated varint"},
		{"truncated varint", cat(zero(uv(1), uv(0), uv(0))[:3], []byte{0x80}), "malformed or truncated varint"},
		{"no payload", nil, "truncated"},
	}
	hdr := serializertest.HeaderOf(t, serializers.MustPipeline(serializers.Compact))
	if _, err := serializers.Plain().Unmarshal(cat(hdr, zero(uv(1), uv(0), uv(0)))); err != nil {
		t.Fatalf("the valid base payload does not read: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := serializers.Plain().Unmarshal(cat(hdr, tt.payload))
			if r != nil {
				t.Fatal("returned a response")
			}
			wantInvalid(t, err, tt.reason)
		})
	}
}

// TestEveryVersion1GoldenStillReads decodes every version 1 golden record
// of the codecs this package builds in with the pipeline its header names
// (BSON's are read by serializers/bsoncodec), and the msgpack ones with the
// compact pipeline of the same stages too: records written before version
// 2 stay readable.
func TestEveryVersion1GoldenStillReads(t *testing.T) {
	n := 0
	err := filepath.WalkDir(filepath.Join(goldenDir, "v1"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rec, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		h, err := serializers.Inspect(rec)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			return nil
		}
		if h.Codec == serializers.BSON {
			return nil
		}
		want := serializertest.GoldenResponses()[strings.TrimSuffix(d.Name(), ".rec")]
		readers := []serializers.Header{h}
		if h.Codec == serializers.Msgpack {
			readers = append(readers, serializers.Header{Version: 2, Codec: serializers.Compact, Stages: h.Stages})
		}
		for _, rh := range readers {
			p, err := serializers.PipelineFor(rh, serializertest.SignKeys, serializertest.EncryptKeys)
			if err != nil {
				t.Errorf("%s: %v", path, err)
				continue
			}
			got, err := p.Unmarshal(rec)
			if err != nil {
				t.Errorf("%s: %s does not read it: %v", path, p, err)
				continue
			}
			if d := serializertest.Diff(want, got); d != "" {
				t.Errorf("%s read by %s:\n%s", path, p, d)
			}
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// 12 stage combinations × 4 responses, json once, msgpack twice.
	if want := 12 * 4 * 3; n != want {
		t.Fatalf("read %d golden records, want %d", n, want)
	}
}
