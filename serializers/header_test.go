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

// wantInvalid asserts that err matches ErrInvalidRecord and mentions reason.
func wantInvalid(t *testing.T, err error, reason string) {
	t.Helper()
	if !errors.Is(err, serializers.ErrInvalidRecord) {
		t.Fatalf("error %v does not match ErrInvalidRecord", err)
	}
	if !strings.Contains(err.Error(), reason) {
		t.Fatalf("error %q does not give the reason %q", err, reason)
	}
}

func TestUnmarshalRejectsRecordsOfOtherPipelines(t *testing.T) {
	small := serializertest.EdgeCases()["full response"]
	msgpack := serializers.MustPipeline(serializers.Msgpack)
	msgpackZstd := serializers.MustPipeline(serializers.Msgpack, serializers.Zstd(0))
	msgpackGzip := serializers.MustPipeline(serializers.Msgpack, serializers.Gzip(0))
	jsonP := serializers.MustPipeline(serializers.JSON)
	signZstd := serializers.MustPipeline(serializers.Msgpack, serializers.Sign(serializertest.SignKeys...), serializers.Zstd(0))
	zstdSign := serializers.MustPipeline(serializers.Msgpack, serializers.Zstd(0), serializers.Sign(serializertest.SignKeys...))
	otherKey := serializers.MustPipeline(serializers.Msgpack, serializers.Zstd(0),
		serializers.Sign(serializers.Key{ID: "other", Secret: bytes.Repeat([]byte{1}, 32)}))
	v1 := serializertest.MustMarshal(t, msgpack, small)
	tests := []struct {
		name   string
		reader serializers.Serializer
		rec    []byte
		reason string
	}{
		{"foreign bytes", msgpack, []byte("hello, world"), "no record header"},
		{"empty data", msgpack, nil, "no record header"},
		{"a gzip stream", msgpack, []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}, "no record header"},
		{"truncated inside the header", msgpack, v1[:15], "truncated record header"},
		{"header without end", msgpack, append([]byte("cachedhttp v1 msgpack"), bytes.Repeat([]byte(" zstd"), 200)...), "longer than 512"},
		{"unknown format version", msgpack, bytes.Replace(v1, []byte(" v1 "), []byte(" v2 "), 1), `unknown record format version "v2"`},
		{"other codec", msgpack, serializertest.MustMarshal(t, jsonP, small), `written by pipeline "cachedhttp v1 json"`},
		{"extra stage", msgpack, serializertest.MustMarshal(t, msgpackZstd, small), `"cachedhttp v1 msgpack zstd", this pipeline is "cachedhttp v1 msgpack"`},
		{"missing stage", msgpackZstd, v1, `this pipeline is "cachedhttp v1 msgpack zstd"`},
		{"other compression", msgpackZstd, serializertest.MustMarshal(t, msgpackGzip, small), "msgpack gzip"},
		{"same stages in another order", zstdSign, serializertest.MustMarshal(t, signZstd, small), "written by pipeline"},
		{"unknown key id", zstdSign, serializertest.MustMarshal(t, otherKey, small), `unknown key id "other"`},
		{"unknown codec name", msgpack, []byte("cachedhttp v1 protobuf\n"), `unknown codec "protobuf"`},
		{"unknown stage name", msgpack, []byte("cachedhttp v1 msgpack lz4\n"), `unknown stage "lz4"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := tt.reader.Unmarshal(tt.rec)
			if r != nil {
				t.Fatal("returned a response for an invalid record")
			}
			wantInvalid(t, err, tt.reason)
		})
	}
}

func TestInspectDescribesRecords(t *testing.T) {
	tests := []struct {
		name  string
		p     *serializers.Pipeline
		codec serializers.Codec
		want  []serializers.StageInfo
		line  string
	}{
		{"plain msgpack", serializers.MustPipeline(serializers.Msgpack), serializers.Msgpack, []serializers.StageInfo{},
			"cachedhttp v1 msgpack"},
		{"json with gzip", serializers.MustPipeline(serializers.JSON, serializers.Gzip(9)), serializers.JSON,
			[]serializers.StageInfo{{Name: "gzip"}}, "cachedhttp v1 json gzip"},
		{"keyed stages name the first key", serializers.MustPipeline(serializers.Msgpack, serializers.Zstd(1),
			serializers.Encrypt(serializertest.EncryptKeys...), serializers.Sign(serializertest.SignKeys...)), serializers.Msgpack,
			[]serializers.StageInfo{{Name: "zstd"}, {Name: "aes-256-gcm", KeyID: "enc-2026"}, {Name: "hmac-sha256", KeyID: "sign-2026"}},
			"cachedhttp v1 msgpack zstd aes-256-gcm:enc-2026 hmac-sha256:sign-2026"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serializertest.MustMarshal(t, tt.p, serializertest.EdgeCases()["full response"])
			h, err := serializers.Inspect(rec)
			if err != nil {
				t.Fatal(err)
			}
			if h.Version != 1 || h.Codec != tt.codec || h.String() != tt.line || h.Len != len(tt.line)+1 {
				t.Fatalf("Inspect = %+v (%q), want codec %v, header %q", h, h, tt.codec, tt.line)
			}
			if len(h.Stages) != len(tt.want) {
				t.Fatalf("stages %+v, want %+v", h.Stages, tt.want)
			}
			for i := range h.Stages {
				if h.Stages[i] != tt.want[i] {
					t.Fatalf("stage %d: %+v, want %+v", i, h.Stages[i], tt.want[i])
				}
			}
			if got := tt.p.String(); got != tt.line {
				t.Fatalf("Pipeline.String() = %q, want %q", got, tt.line)
			}
			if ph := tt.p.Header(); ph.String() != tt.line {
				t.Fatalf("Pipeline.Header() = %q, want %q", ph, tt.line)
			}
		})
	}
}

func TestInspectRejectsMalformedHeaders(t *testing.T) {
	tests := []struct{ name, data, reason string }{
		{"no magic", "cachedhttq v1 msgpack\n", "no record header"},
		{"magic only", "cachedhttp\n", "missing format version"},
		{"no codec", "cachedhttp v1\n", "missing codec"},
		{"two spaces", "cachedhttp v1  msgpack\n", "missing codec"},
		{"trailing space", "cachedhttp v1 msgpack \n", "empty stage"},
		{"version with leading zero", "cachedhttp v01 msgpack\n", "unknown record format version"},
		{"version without v", "cachedhttp 1 msgpack\n", "missing format version"},
		{"upper-case codec", "cachedhttp v1 MSGPACK\n", "unknown codec"},
		{"keyed stage without key", "cachedhttp v1 msgpack hmac-sha256\n", "without a key id"},
		{"keyed stage with empty key", "cachedhttp v1 msgpack hmac-sha256:\n", "empty key id"},
		{"unkeyed stage with key", "cachedhttp v1 msgpack zstd:k1\n", "takes no key id"},
		{"key id with a slash", "cachedhttp v1 msgpack aes-256-gcm:a/b\n", "is not one of"},
		{"key id too long", "cachedhttp v1 msgpack aes-256-gcm:" + strings.Repeat("k", 65) + "\n", "longer than 64"},
		{"nine stages", "cachedhttp v1 msgpack" + strings.Repeat(" zstd", 9) + "\n", "more than 8 stages"},
		{"carriage return", "cachedhttp v1 msgpack\r\n", "unknown codec"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := serializers.Inspect([]byte(tt.data))
			wantInvalid(t, err, tt.reason)
		})
	}
}

func TestInspectAcceptsCorruptPayload(t *testing.T) {
	// Inspect reads only the header: a CLI can describe a record whose
	// payload is damaged or encrypted with a key it does not have.
	h, err := serializers.Inspect([]byte("cachedhttp v1 msgpack aes-256-gcm:k1\ngarbage"))
	if err != nil {
		t.Fatal(err)
	}
	if h.Codec != serializers.Msgpack || len(h.Stages) != 1 || h.Stages[0].KeyID != "k1" {
		t.Fatalf("Inspect = %+v", h)
	}
}

func TestKeyRotation(t *testing.T) {
	oldKey := serializers.Key{ID: "old", Secret: bytes.Repeat([]byte{1}, 32)}
	newKey := serializers.Key{ID: "new", Secret: bytes.Repeat([]byte{2}, 32)}
	r := serializertest.EdgeCases()["full response"]
	for _, stage := range []struct {
		name string
		make func(keys ...serializers.Key) serializers.Stage
	}{{"hmac-sha256", serializers.Sign}, {"aes-256-gcm", serializers.Encrypt}} {
		before := serializers.MustPipeline(serializers.Msgpack, stage.make(oldKey))
		during := serializers.MustPipeline(serializers.Msgpack, stage.make(newKey, oldKey))
		after := serializers.MustPipeline(serializers.Msgpack, stage.make(newKey))
		oldRec := serializertest.MustMarshal(t, before, r)
		newRec := serializertest.MustMarshal(t, during, r)
		t.Run(stage.name+"/writes use the first key", func(t *testing.T) {
			h, err := serializers.Inspect(newRec)
			if err != nil {
				t.Fatal(err)
			}
			if h.Stages[0].KeyID != "new" {
				t.Fatalf("record written with key %q, want %q", h.Stages[0].KeyID, "new")
			}
		})
		t.Run(stage.name+"/reads accept every configured key", func(t *testing.T) {
			for _, rec := range [][]byte{oldRec, newRec} {
				got, err := during.Unmarshal(rec)
				if err != nil {
					t.Fatal(err)
				}
				if d := serializertest.Diff(r, got); d != "" {
					t.Fatal(d)
				}
			}
		})
		t.Run(stage.name+"/a retired key no longer reads", func(t *testing.T) {
			_, err := after.Unmarshal(oldRec)
			wantInvalid(t, err, `unknown key id "old"`)
		})
		t.Run(stage.name+"/same id with another secret fails", func(t *testing.T) {
			impostor := serializers.MustPipeline(serializers.Msgpack,
				stage.make(serializers.Key{ID: "new", Secret: bytes.Repeat([]byte{3}, 32)}))
			_, err := impostor.Unmarshal(newRec)
			if !errors.Is(err, serializers.ErrInvalidRecord) {
				t.Fatalf("got %v, want ErrInvalidRecord", err)
			}
		})
	}
}

func TestEncryptionHidesTheResponse(t *testing.T) {
	p := serializers.MustPipeline(serializers.JSON, serializers.Encrypt(serializertest.EncryptKeys...))
	r := &models.Response{StatusCode: 200, Body: []byte("secret body text"),
		Request: models.Request{URL: "https://example.com/private"}}
	rec1, rec2 := serializertest.MustMarshal(t, p, r), serializertest.MustMarshal(t, p, r)
	for _, s := range []string{"secret body text", "example.com/private", `"status"`} {
		if bytes.Contains(rec1, []byte(s)) {
			t.Fatalf("encrypted record contains %q in clear", s)
		}
	}
	if bytes.Equal(rec1, rec2) {
		t.Fatal("two encryptions of one response are equal: nonces repeat")
	}
}

func TestNewPipelineRejectsBadConfigurations(t *testing.T) {
	key32 := serializers.Key{ID: "k", Secret: make([]byte, 32)}
	tests := []struct {
		name   string
		codec  serializers.Codec
		stages []serializers.Stage
		reason string
	}{
		{"zero codec", 0, nil, "invalid codec"},
		{"unknown codec", 9, nil, "invalid codec"},
		{"nil stage", serializers.Msgpack, []serializers.Stage{nil}, "stage 0 is nil"},
		{"zstd level too high", serializers.Msgpack, []serializers.Stage{serializers.Zstd(23)}, "level 23 out of range"},
		{"negative zstd level", serializers.Msgpack, []serializers.Stage{serializers.Zstd(-1)}, "out of range"},
		{"gzip level too high", serializers.Msgpack, []serializers.Stage{serializers.Gzip(10)}, "level 10 out of range"},
		{"zero decompression limit", serializers.Msgpack, []serializers.Stage{serializers.Zstd(0, serializers.MaxDecompressedSize(0))}, "not positive"},
		{"same stage twice", serializers.Msgpack, []serializers.Stage{serializers.Zstd(0), serializers.Zstd(1)}, "zstd twice"},
		{"compression after encryption", serializers.Msgpack, []serializers.Stage{serializers.Encrypt(key32), serializers.Gzip(0)}, "after encryption"},
		{"sign without keys", serializers.Msgpack, []serializers.Stage{serializers.Sign()}, "no keys"},
		{"short signing key", serializers.Msgpack, []serializers.Stage{serializers.Sign(serializers.Key{ID: "k", Secret: make([]byte, 31)})}, "has 31 bytes"},
		{"AES key of 16 bytes", serializers.Msgpack, []serializers.Stage{serializers.Encrypt(serializers.Key{ID: "k", Secret: make([]byte, 16)})}, "has 16 bytes"},
		{"key id with a space", serializers.Msgpack, []serializers.Stage{serializers.Sign(serializers.Key{ID: "a b", Secret: make([]byte, 32)})}, "is not one of"},
		{"duplicate key id", serializers.Msgpack, []serializers.Stage{serializers.Encrypt(key32, key32)}, `key id "k" twice`},
		{"nine stages", serializers.Msgpack, make([]serializers.Stage, 9), "at most 8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := serializers.NewPipeline(tt.codec, tt.stages...)
			if err == nil {
				t.Fatalf("NewPipeline succeeded: %v", p)
			}
			if !strings.Contains(err.Error(), tt.reason) {
				t.Fatalf("error %q does not give the reason %q", err, tt.reason)
			}
		})
	}
}

func TestMustPipelinePanicsOnError(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("MustPipeline did not panic on an invalid codec")
		}
	}()
	serializers.MustPipeline(0)
}
