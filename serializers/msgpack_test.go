package serializers_test

import (
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/cachedhttp/cachedhttp/serializers"
)

// msgpackRecord builds a v1 msgpack record from the 17 field values.
func msgpackRecord(t *testing.T, fields ...any) []byte {
	t.Helper()
	b, err := msgpack.Marshal(fields)
	if err != nil {
		t.Fatal(err)
	}
	return append([]byte("cachedhttp v1 msgpack\n"), b...)
}

func TestMsgpackDecoderIsStrict(t *testing.T) {
	p := serializers.MustPipeline(serializers.Msgpack)
	ts := time.Date(2026, 1, 1, 0, 0, 0, 5, time.UTC)
	valid := func(times ...any) []any {
		return append([]any{200, "HTTP/1.1", 1, 1, nil, nil, []byte("b"), "GET", "https://x/", nil}, append(times, false, nil)...)
	}
	t.Run("a record built by the msgpack library decodes", func(t *testing.T) {
		r, err := p.Unmarshal(msgpackRecord(t, valid(ts, nil, ts, nil, nil)...))
		if err != nil {
			t.Fatal(err)
		}
		if !r.RequestTime.Equal(ts) || !r.ResponseTime.IsZero() || r.StatusCode != 200 || string(r.Body) != "b" {
			t.Fatalf("decoded %+v", r)
		}
	})
	tests := []struct {
		name   string
		fields []any
		reason string
	}{
		{"a time written as a string", valid("2026-01-01T00:00:00Z", nil, nil, nil, nil), "not nil or a msgpack timestamp"},
		{"a time written as an integer", valid(int64(1700000000), nil, nil, nil, nil), "not nil or a msgpack timestamp"},
		{"an array of 16 fields", valid(nil, nil, nil, nil, nil)[:16], "array of 16 fields"},
		{"an array of 18 fields", append(valid(nil, nil, nil, nil, nil), nil), "array of 18 fields"},
		{"a status that is a string", append([]any{"200"}, valid(nil, nil, nil, nil, nil)[1:]...), "status"},
		{"a header that is an array", append(append(valid(nil, nil, nil, nil, nil)[:4:4], []string{"x"}), valid(nil, nil, nil, nil, nil)[5:]...), "header"},
	}
	for _, tt := range tests {
		t.Run("rejects "+tt.name, func(t *testing.T) {
			_, err := p.Unmarshal(msgpackRecord(t, tt.fields...))
			wantInvalid(t, err, tt.reason)
		})
	}
}
