package bsoncodec_test

import (
	"errors"
	"flag"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"

	"github.com/cachedhttp/cachedhttp/models"
	"github.com/cachedhttp/cachedhttp/serializers"
	_ "github.com/cachedhttp/cachedhttp/serializers/bsoncodec"
	"github.com/cachedhttp/cachedhttp/serializers/internal/serializertest"
)

var update = flag.Bool("update", false, "write golden records that do not exist yet (never overwrites)")

// goldenDir holds the golden records of every codec; this package reads
// those of BSON (FORMAT.md: append-only).
const goldenDir = "../../testdata/serializers"

func TestConformance(t *testing.T) { serializertest.Run(t, serializers.BSON) }

// TestGoldenRecords decodes every BSON golden record with the pipeline that
// wrote it, so that old BSON records keep reading now that the codec lives
// in this package. With -update it first writes the goldens that do not
// exist yet.
func TestGoldenRecords(t *testing.T) {
	serializertest.CheckGoldenRecords(t, goldenDir, serializertest.Specs(serializers.BSON), *update)
}

// TestGoldenRecordsAreComplete fails when a BSON golden directory holds a
// file that TestGoldenRecords does not read.
func TestGoldenRecordsAreComplete(t *testing.T) {
	serializertest.CheckGoldenRecordsComplete(t, goldenDir, serializertest.Specs(serializers.BSON), "compact", "msgpack", "json")
}

func TestImportRegistersBSON(t *testing.T) {
	if !slices.Contains(serializers.Codecs(), "bson") {
		t.Fatalf("Codecs() = %v, want bson among them", serializers.Codecs())
	}
	if c, err := serializers.ParseCodec("bson"); err != nil || c != serializers.BSON {
		t.Fatalf("ParseCodec(bson) = %v, %v; want BSON", c, err)
	}
	s, _, err := serializers.FromQuery(url.Values{"serializer": {"bson"}})
	if err != nil {
		t.Fatal(err)
	}
	rec := serializertest.MustMarshal(t, s, serializertest.EdgeCases()["full response"])
	h, err := serializers.Inspect(rec)
	if err != nil {
		t.Fatal(err)
	}
	if h.Codec != serializers.BSON || h.String() != "cachedhttp v1 bson zstd" {
		t.Fatalf("serializer=bson writes %q, want %q", h, "cachedhttp v1 bson zstd")
	}
	keyed := serializers.MustPipeline(serializers.BSON, serializers.Zstd(1),
		serializers.Encrypt(serializertest.EncryptKeys...), serializers.Sign(serializertest.SignKeys...))
	if got, want := keyed.String(), "cachedhttp v1 bson zstd aes-256-gcm:enc-2026 hmac-sha256:sign-2026"; got != want {
		t.Fatalf("header %q, want %q", got, want)
	}
}

func TestHeaderValuesThatAreNotUTF8(t *testing.T) {
	// Servers send Latin-1 header values; BSON strings carry any bytes.
	r := &models.Response{StatusCode: 200, Header: http.Header{"Content-Disposition": {"attachment; filename=\"caf\xe9.txt\""}}}
	for _, spec := range serializertest.Specs(serializers.BSON) {
		t.Run(spec.String(), func(t *testing.T) {
			p := spec.Build(t, false)
			got, err := p.Unmarshal(serializertest.MustMarshal(t, p, r))
			if err != nil {
				t.Fatal(err)
			}
			if d := serializertest.Diff(r, got); d != "" {
				t.Fatal(d)
			}
		})
	}
}

func TestTimesOutsideTheRangeOfABSONDate(t *testing.T) {
	p := serializers.MustPipeline(serializers.BSON)
	for _, tm := range []time.Time{
		time.Date(300_000_000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-300_000_000, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		_, err := p.Marshal(&models.Response{StatusCode: 200, Expires: tm})
		if err == nil || !strings.Contains(err.Error(), "out of the range of a BSON date") {
			t.Errorf("Marshal of a response expiring in year %d: error %v, want one saying a BSON date cannot hold it", tm.Year(), err)
		}
	}
}

// bsonRecord builds a v1 BSON record from a document.
func bsonRecord(t *testing.T, doc bson.D) []byte {
	t.Helper()
	b, err := bson.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return append([]byte("cachedhttp v1 bson\n"), b...)
}

func TestBSONDecoderIsStrict(t *testing.T) {
	p := serializers.MustPipeline(serializers.BSON)
	ts := time.Date(2026, 1, 1, 0, 0, 0, 5_000_123, time.UTC)
	t.Run("a document built by the driver decodes", func(t *testing.T) {
		r, err := p.Unmarshal(bsonRecord(t, bson.D{
			{Key: "status", Value: 200},
			{Key: "body", Value: primitive.Binary{Data: []byte("b")}},
			{Key: "created", Value: primitive.NewDateTimeFromTime(ts)},
			{Key: "created_ns", Value: int32(123)},
		}))
		if err != nil {
			t.Fatal(err)
		}
		if r.StatusCode != 200 || string(r.Body) != "b" || !r.Created.Equal(ts) {
			t.Fatalf("decoded %+v", r)
		}
	})
	tests := []struct {
		name   string
		rec    []byte
		reason string
	}{
		{"nanoseconds without a date", bsonRecord(t, bson.D{{Key: "created_ns", Value: int32(5)}}), "nanoseconds without a date"},
		{"nanoseconds of a whole millisecond", bsonRecord(t, bson.D{
			{Key: "created", Value: primitive.NewDateTimeFromTime(ts)}, {Key: "created_ns", Value: int32(1e6)}}), "nanoseconds 1000000 out of range"},
		{"negative nanoseconds", bsonRecord(t, bson.D{
			{Key: "created", Value: primitive.NewDateTimeFromTime(ts)}, {Key: "created_ns", Value: int32(-1)}}), "nanoseconds -1 out of range"},
		{"a status that is a string", bsonRecord(t, bson.D{{Key: "status", Value: "200"}}), "status"},
		{"a record longer than its length prefix", append(bsonRecord(t, bson.D{}), 0), "document length does not match"},
		{"a record shorter than its length prefix", bsonRecord(t, bson.D{})[:len("cachedhttp v1 bson\n")+4], "document length does not match"},
		{"an element overrunning the document", []byte("cachedhttp v1 bson\n\x0c\x00\x00\x00\x02s\x00\xff\x00\x00\x00\x00"), "too few bytes"},
	}
	for _, tt := range tests {
		t.Run("rejects "+tt.name, func(t *testing.T) {
			r, err := p.Unmarshal(tt.rec)
			if r != nil || !errors.Is(err, serializers.ErrInvalidRecord) || !strings.Contains(err.Error(), tt.reason) {
				t.Fatalf("Unmarshal = %v, %v; want ErrInvalidRecord saying %q", r != nil, err, tt.reason)
			}
		})
	}
}
