package serializers_test

import (
	"bytes"
	"encoding/gob"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/models"
	"github.com/cachedhttp/cachedhttp/serializers"
	"github.com/cachedhttp/cachedhttp/serializers/internal/serializertest"
)

// The tests of this package must not import serializers/bsoncodec (nor
// anything that does): they check what a program without it sees.

const bsonImport = `import _ "github.com/cachedhttp/cachedhttp/serializers/bsoncodec"`

func TestBSONWithoutItsPackage(t *testing.T) {
	t.Run("the constant keeps its name", func(t *testing.T) {
		if got := serializers.BSON.String(); got != "bson" {
			t.Fatalf("BSON.String() = %q", got)
		}
	})
	t.Run("is not among the usable codecs", func(t *testing.T) {
		if slices.Contains(serializers.Codecs(), "bson") {
			t.Fatalf("Codecs() = %v lists bson, which is not registered", serializers.Codecs())
		}
	})
	wantHint := func(t *testing.T, err error) {
		t.Helper()
		if !errors.Is(err, serializers.ErrUnknownCodec) {
			t.Fatalf("error %v does not match ErrUnknownCodec", err)
		}
		if !strings.Contains(err.Error(), bsonImport) {
			t.Fatalf("error %q does not say to %s", err, bsonImport)
		}
	}
	t.Run("NewPipeline names the package to import", func(t *testing.T) {
		_, err := serializers.NewPipeline(serializers.BSON, serializers.Zstd(0))
		wantHint(t, err)
	})
	t.Run("ParseCodec names the package to import", func(t *testing.T) {
		_, err := serializers.ParseCodec("bson")
		wantHint(t, err)
	})
	t.Run("FromQuery names the package to import", func(t *testing.T) {
		_, _, err := serializers.FromQuery(url.Values{"serializer": {"bson"}})
		wantHint(t, err)
	})
	rec, err := os.ReadFile(filepath.Join(goldenDir, "v1", "bson+zstd", "full.rec"))
	if err != nil {
		t.Fatal(err)
	}
	t.Run("Inspect describes a BSON record", func(t *testing.T) {
		h, err := serializers.Inspect(rec)
		if err != nil {
			t.Fatal(err)
		}
		if h.Codec != serializers.BSON || h.String() != "cachedhttp v1 bson zstd" {
			t.Fatalf("Inspect = %+v (%q)", h, h)
		}
	})
	t.Run("PipelineFor a BSON record names the package to import", func(t *testing.T) {
		h, err := serializers.Inspect(rec)
		if err != nil {
			t.Fatal(err)
		}
		_, err = serializers.PipelineFor(h, nil, nil)
		wantHint(t, err)
	})
	t.Run("a BSON record is an invalid record for other pipelines", func(t *testing.T) {
		r, err := serializers.Default().Unmarshal(rec)
		if r != nil || !errors.Is(err, serializers.ErrInvalidRecord) {
			t.Fatalf("Unmarshal = %v, %v; want ErrInvalidRecord", r != nil, err)
		}
	})
}

// gobEncoding is a codec registered the way a codec package registers
// one, to test the registry. encoding/gob does not keep nil and empty maps
// apart, so it would not pass serializertest.Run.
type gobEncoding struct{}

func (gobEncoding) AppendEncode(dst []byte, r *models.Response) ([]byte, error) {
	b := bytes.NewBuffer(dst)
	err := gob.NewEncoder(b).Encode(r)
	return b.Bytes(), err
}

func (gobEncoding) Decode(data []byte) (*models.Response, error) {
	rd := bytes.NewReader(data)
	var r models.Response
	if err := gob.NewDecoder(rd).Decode(&r); err != nil {
		return nil, err
	}
	if rd.Len() != 0 {
		return nil, fmt.Errorf("%d bytes after the gob value", rd.Len())
	}
	return &r, nil
}

var gobCodec = serializers.RegisterCodec("gob-test", gobEncoding{})

func TestRegisteredCodec(t *testing.T) {
	want := &models.Response{StatusCode: 200, Header: http.Header{"Etag": {`"x"`}}, Body: []byte("hello"),
		Created: time.Date(2026, 5, 17, 10, 0, 0, 1, time.UTC)}
	if gobCodec == serializers.Msgpack || gobCodec == serializers.JSON || gobCodec == serializers.BSON || gobCodec == serializers.Compact || gobCodec == 0 {
		t.Fatalf("RegisterCodec returned %d, a value already taken", gobCodec)
	}
	if got := gobCodec.String(); got != "gob-test" {
		t.Fatalf("String() = %q", got)
	}
	if got := serializers.Codecs(); !slices.Equal(got, []string{"compact", "gob-test", "json", "msgpack"}) {
		t.Fatalf("Codecs() = %v", got)
	}
	c, err := serializers.ParseCodec("gob-test")
	if err != nil || c != gobCodec {
		t.Fatalf("ParseCodec = %v, %v", c, err)
	}
	s, rest, err := serializers.FromQuery(url.Values{"serializer": {"gob-test"}, "compress": {"gzip"}, "other": {"1"}})
	if err != nil {
		t.Fatal(err)
	}
	if rest.Encode() != "other=1" {
		t.Fatalf("FromQuery left %v", rest)
	}
	rec := serializertest.MustMarshal(t, s, want)
	h, err := serializers.Inspect(rec)
	if err != nil {
		t.Fatal(err)
	}
	if h.Codec != gobCodec || h.String() != "cachedhttp v1 gob-test gzip" {
		t.Fatalf("Inspect = %+v (%q)", h, h)
	}
	p, err := serializers.PipelineFor(h, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.Unmarshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	if d := serializertest.Diff(want, got); d != "" {
		t.Fatal(d)
	}
	t.Run("its records are invalid for other pipelines", func(t *testing.T) {
		_, err := serializers.Default().Unmarshal(rec)
		if !errors.Is(err, serializers.ErrInvalidRecord) {
			t.Fatalf("Unmarshal = %v, want ErrInvalidRecord", err)
		}
	})
	t.Run("a decoding error is an invalid record", func(t *testing.T) {
		plain := serializers.MustPipeline(gobCodec)
		_, err := plain.Unmarshal([]byte("cachedhttp v1 gob-test\nnot gob"))
		if !errors.Is(err, serializers.ErrInvalidRecord) || !strings.Contains(err.Error(), "gob-test") {
			t.Fatalf("Unmarshal = %v, want ErrInvalidRecord naming the codec", err)
		}
	})
}

func TestRegisterCodecPanics(t *testing.T) {
	tests := []struct {
		name    string
		codec   string
		enc     serializers.Encoding
		message string
	}{
		{"a second registration", "gob-test", gobEncoding{}, "called twice for codec gob-test"},
		{"a built-in name", "msgpack", gobEncoding{}, "called twice for codec msgpack"},
		{"another built-in name", "json", gobEncoding{}, "called twice for codec json"},
		{"a nil encoding", "nil-test", nil, "nil Encoding"},
		{"an empty name", "", gobEncoding{}, "1 to 32 characters"},
		{"a name too long", strings.Repeat("a", 33), gobEncoding{}, "1 to 32 characters"},
		{"an upper-case name", "Gob", gobEncoding{}, "starting with a letter"},
		{"a name with a space", "gob x", gobEncoding{}, "starting with a letter"},
		{"a name with a colon", "gob:1", gobEncoding{}, "starting with a letter"},
		{"a name starting with a digit", "1gob", gobEncoding{}, "starting with a letter"},
	}
	for _, tt := range tests {
		t.Run("on "+tt.name, func(t *testing.T) {
			defer func() {
				p := recover()
				if p == nil {
					t.Fatal("RegisterCodec did not panic")
				}
				if msg := fmt.Sprint(p); !strings.Contains(msg, tt.message) {
					t.Fatalf("panic %q does not say %q", msg, tt.message)
				}
			}()
			serializers.RegisterCodec(tt.codec, tt.enc)
		})
	}
	if slices.Contains(serializers.Codecs(), "nil-test") {
		t.Fatal("a failed registration left its name")
	}
}

func TestParseCodec(t *testing.T) {
	for _, name := range []string{"compact", "msgpack", "json"} {
		if c, err := serializers.ParseCodec(name); err != nil || c.String() != name {
			t.Errorf("ParseCodec(%q) = %v, %v", name, c, err)
		}
	}
	_, err := serializers.ParseCodec("xml")
	if !errors.Is(err, serializers.ErrUnknownCodec) || !strings.Contains(err.Error(), `"xml" (registered: compact, gob-test, json, msgpack)`) {
		t.Fatalf("ParseCodec(xml) = %v, want ErrUnknownCodec listing the registered codecs", err)
	}
	if got := serializers.Codec(200).String(); got != "Codec(200)" {
		t.Fatalf("String of an unused value = %q", got)
	}
	if _, err := serializers.NewPipeline(serializers.Codec(200)); !errors.Is(err, serializers.ErrUnknownCodec) {
		t.Fatalf("NewPipeline(Codec(200)) = %v, want ErrUnknownCodec", err)
	}
}
