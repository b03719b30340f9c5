package serializers_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/cachedhttp/cachedhttp/models"
	"github.com/cachedhttp/cachedhttp/serializers"
	"github.com/cachedhttp/cachedhttp/serializers/internal/serializertest"
)

func TestInspectDescribesVersion2Records(t *testing.T) {
	tests := []struct {
		name   string
		p      serializers.Serializer
		header []byte // the bytes FORMAT.md says the pipeline writes
		want   []serializers.StageInfo
		line   string
	}{
		{"Plain", serializers.Plain(), []byte{0xca, 0xce, 2, 1, 0}, []serializers.StageInfo{}, "cachedhttp v2 compact"},
		{"Default", serializers.Default(), []byte{0xca, 0xce, 2, 1, 1, 1}, []serializers.StageInfo{{Name: "zstd"}},
			"cachedhttp v2 compact zstd"},
		{"keyed stages carry their key ids", serializers.MustPipeline(serializers.Compact, serializers.Gzip(1),
			serializers.Encrypt(serializertest.EncryptKeys...), serializers.Sign(serializertest.SignKeys...)),
			append(append([]byte{0xca, 0xce, 2, 1, 3, 2, 4, 8}, "enc-2026"...), append([]byte{3, 9}, "sign-2026"...)...),
			[]serializers.StageInfo{{Name: "gzip"}, {Name: "aes-256-gcm", KeyID: "enc-2026"}, {Name: "hmac-sha256", KeyID: "sign-2026"}},
			"cachedhttp v2 compact gzip aes-256-gcm:enc-2026 hmac-sha256:sign-2026"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serializertest.MustMarshal(t, tt.p, serializertest.EdgeCases()["full response"])
			if !bytes.HasPrefix(rec, tt.header) {
				t.Fatalf("record starts % x, want the header % x", rec[:min(len(rec), len(tt.header))], tt.header)
			}
			h, err := serializers.Inspect(rec)
			if err != nil {
				t.Fatal(err)
			}
			if h.Version != 2 || h.Codec != serializers.Compact || h.String() != tt.line || h.Len != len(tt.header) {
				t.Fatalf("Inspect = %+v (%q), want version 2, compact, %q, length %d", h, h, tt.line, len(tt.header))
			}
			if len(h.Stages) != len(tt.want) {
				t.Fatalf("stages %+v, want %+v", h.Stages, tt.want)
			}
			for i := range h.Stages {
				if h.Stages[i] != tt.want[i] {
					t.Fatalf("stage %d: %+v, want %+v", i, h.Stages[i], tt.want[i])
				}
			}
			p := tt.p.(*serializers.Pipeline)
			if p.String() != tt.line || p.Header().String() != tt.line || p.Header().Len != len(tt.header) {
				t.Fatalf("Pipeline.String() = %q, Header() = %+v; want %q", p, p.Header(), tt.line)
			}
			reader, err := serializers.PipelineFor(h, serializertest.SignKeys, serializertest.EncryptKeys)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := reader.Unmarshal(rec); err != nil {
				t.Fatalf("PipelineFor(%q) does not read the record: %v", h, err)
			}
		})
	}
}

func TestInspectRejectsMalformedVersion2Headers(t *testing.T) {
	key := func(b ...byte) []byte { return append([]byte{0xca, 0xce, 2, 1}, b...) }
	tests := []struct {
		name, header, reason string
	}{
		{"magic only", "\xca\xce", "truncated record header"},
		{"no stage count", "\xca\xce\x02\x01", "truncated record header"},
		{"second magic byte", "\xca\xcf\x02\x01\x00", "no record header"},
		{"version 3", "\xca\xce\x03\x01\x00", "unknown record format version 3"},
		{"version 1 in a binary header", "\xca\xce\x01\x01\x00", "unknown record format version 1"},
		{"codec id 0", "\xca\xce\x02\x00\x00", "unknown codec id 0"},
		{"codec id 2", "\xca\xce\x02\x02\x00", "unknown codec id 2"},
		{"nine stages", "\xca\xce\x02\x01\x09" + strings.Repeat("\x01", 9), "more than 8 stages"},
		{"stage id 0", "\xca\xce\x02\x01\x01\x00", "unknown stage id 0"},
		{"stage id 5", "\xca\xce\x02\x01\x01\x05", "unknown stage id 5"},
		{"stages missing", "\xca\xce\x02\x01\x02\x01", "truncated record header"},
		{"key id length missing", "\xca\xce\x02\x01\x01\x03", "truncated record header"},
		{"key id shorter than its length", string(key(1, 3, 4, 'k', '1')), "truncated record header"},
		{"empty key id", string(key(1, 4, 0)), "empty key id"},
		{"key id too long", string(key(1, 3, 65)) + strings.Repeat("k", 65), "longer than 64"},
		{"key id with a slash", string(key(1, 3, 3, 'a', '/', 'b')), "is not one of"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := serializers.Inspect([]byte(tt.header))
			wantInvalid(t, err, tt.reason)
			_, err = serializers.Default().Unmarshal([]byte(tt.header))
			wantInvalid(t, err, tt.reason)
		})
	}
}

func TestVersion1HeaderCannotNameCompact(t *testing.T) {
	// compact exists only in version 2: a text header naming it is not a
	// record (FORMAT.md), whoever reads it.
	rec := append([]byte("cachedhttp v1 compact\n"), serializertest.MustMarshal(t, serializers.Plain(), &models.Response{})[5:]...)
	_, err := serializers.Inspect(rec)
	wantInvalid(t, err, `unknown codec "compact"`)
	_, err = serializers.Plain().Unmarshal(rec)
	wantInvalid(t, err, `unknown codec "compact"`)
	if _, err := serializers.PipelineFor(serializers.Header{Version: 1, Codec: serializers.Compact}, nil, nil); err == nil {
		t.Fatal("PipelineFor built a pipeline for version 1 compact records")
	}
	if _, err := serializers.PipelineFor(serializers.Header{Version: 2, Codec: serializers.Msgpack}, nil, nil); err == nil {
		t.Fatal("PipelineFor built a pipeline for version 2 msgpack records")
	}
}

// TestVersionsAndPipelines pins who reads what (FORMAT.md, "Which version
// a record is"): a compact pipeline reads its own version 2 records and the
// version 1 msgpack records of the same stages, nothing else; a msgpack
// pipeline does not read version 2 records.
func TestVersionsAndPipelines(t *testing.T) {
	r := serializertest.EdgeCases()["full response"]
	msgpackZstd := serializers.MustPipeline(serializers.Msgpack, serializers.Zstd(0))
	tests := []struct {
		name   string
		reader serializers.Serializer
		writer serializers.Serializer
		reason string // "" when the reader reads the record
	}{
		{"Default reads what Default wrote before compact", serializers.Default(), msgpackZstd, ""},
		{"Plain reads plain msgpack", serializers.Plain(), serializers.MustPipeline(serializers.Msgpack), ""},
		{"Plain does not read msgpack with zstd", serializers.Plain(), msgpackZstd,
			`record written by pipeline "cachedhttp v1 msgpack zstd", this pipeline is "cachedhttp v2 compact"`},
		{"Default does not read msgpack with gzip", serializers.Default(),
			serializers.MustPipeline(serializers.Msgpack, serializers.Gzip(0)), `"cachedhttp v1 msgpack gzip"`},
		{"Default does not read JSON with zstd", serializers.Default(),
			serializers.MustPipeline(serializers.JSON, serializers.Zstd(0)), `"cachedhttp v1 json zstd"`},
		{"msgpack does not read compact", msgpackZstd, serializers.Default(),
			`record written by pipeline "cachedhttp v2 compact zstd", this pipeline is "cachedhttp v1 msgpack zstd"`},
		{"Default does not read Plain", serializers.Default(), serializers.Plain(), `"cachedhttp v2 compact", this pipeline`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.reader.Unmarshal(serializertest.MustMarshal(t, tt.writer, r))
			if tt.reason != "" {
				if got != nil {
					t.Fatal("returned a response")
				}
				wantInvalid(t, err, tt.reason)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := serializertest.Diff(r, got); d != "" {
				t.Fatal(d)
			}
		})
	}
	// The legacy path still checks keys.
	enc := serializers.Encrypt(serializers.Key{ID: "other", Secret: bytes.Repeat([]byte{7}, 32)})
	rec := serializertest.MustMarshal(t, serializers.MustPipeline(serializers.Msgpack, enc), r)
	_, err := serializers.MustPipeline(serializers.Compact, serializers.Encrypt(serializertest.EncryptKeys...)).Unmarshal(rec)
	if !errors.Is(err, serializers.ErrInvalidRecord) || !strings.Contains(err.Error(), `unknown key id "other"`) {
		t.Fatalf("compact pipeline read a msgpack record of a key it does not hold: %v", err)
	}
}
