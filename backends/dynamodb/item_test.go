package dynamodb

import (
	"errors"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cachedhttp/cachedhttp/backends/internal/chunk"
)

func b(v string) *types.AttributeValueMemberB { return &types.AttributeValueMemberB{Value: []byte(v)} }
func s(v string) *types.AttributeValueMemberS { return &types.AttributeValueMemberS{Value: v} }
func n(v string) *types.AttributeValueMemberN { return &types.AttributeValueMemberN{Value: v} }

type attrs = map[string]types.AttributeValue

func TestDecodeItem(t *testing.T) {
	tests := []struct {
		name    string
		raw     attrs
		want    item
		wantErr bool
	}{
		{"inline value with expiry", attrs{"pk": s("h"), "k": b("\xffk"), "v": b("ab"), "sz": n("2"), "exp": n("1700000000123"), "ttl": n("1700000001")},
			item{Key: "\xffk", Value: []byte("ab"), Size: 2, Expires: time.UnixMilli(1700000000123)}, false},
		{"empty value is not nil", attrs{"k": b("k"), "v": &types.AttributeValueMemberB{}, "sz": n("0")}, item{Key: "k", Value: []byte{}}, false},
		{"chunked manifest", attrs{"k": b("k"), "sz": n("30"), "g": s("gen"), "n": n("3")}, item{Key: "k", Size: 30, Gen: "gen", Chunks: 3}, false},
		{"a chunk item is not a value", attrs{"pk": s("h#g#0"), "v": b("x")}, item{}, true},
		{"string key", attrs{"k": s("k")}, item{}, true},
		{"size not a number", attrs{"k": b("k"), "sz": s("2")}, item{}, true},
		{"size unparsable", attrs{"k": b("k"), "sz": n("1e3")}, item{}, true},
		{"negative size", attrs{"k": b("k"), "sz": n("-1")}, item{}, true},
		{"chunks without generation", attrs{"k": b("k"), "n": n("2")}, item{}, true},
		{"generation with the separator", attrs{"k": b("k"), "n": n("2"), "g": s("a#b")}, item{}, true},
		{"absurd chunk count", attrs{"k": b("k"), "n": n("99999999999"), "g": s("g")}, item{}, true},
		{"both chunks and an inline value", attrs{"k": b("k"), "n": n("1"), "g": s("g"), "v": b("x")}, item{}, true},
		{"value of the wrong type", attrs{"k": b("k"), "v": s("x")}, item{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeItem(tt.raw)
			if tt.wantErr {
				if !errors.Is(err, errBadItem) {
					t.Fatalf("decodeItem = %+v, %v; want errBadItem", got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("decodeItem: %v", err)
			}
			if got.Key != tt.want.Key || string(got.Value) != string(tt.want.Value) || (got.Value == nil) != (tt.want.Value == nil) ||
				got.Size != tt.want.Size || !got.Expires.Equal(tt.want.Expires) || got.Gen != tt.want.Gen || got.Chunks != tt.want.Chunks {
				t.Errorf("decodeItem = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestAssemble(t *testing.T) {
	it := item{Gen: "g", Chunks: 3, Size: 5}
	full := map[string][]byte{"h#g#0": []byte("ab"), "h#g#1": []byte("cd"), "h#g#2": []byte("e")}
	tests := []struct {
		name    string
		size    int64
		parts   map[string][]byte
		want    string
		wantErr bool
	}{
		{"chunks joined in order", 5, full, "abcde", false},
		{"a missing chunk is an error", 5, map[string][]byte{"h#g#0": []byte("ab"), "h#g#2": []byte("e")}, "", true},
		{"a chunk of another generation does not count", 5, map[string][]byte{"h#g#0": []byte("ab"), "h#x#1": []byte("cd"), "h#g#2": []byte("e")}, "", true},
		{"a size mismatch is an error", 6, full, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			it.Size = tt.size
			got, err := it.Assemble(func(i int) ([]byte, bool) {
				p, ok := tt.parts[chunkPK("h", it.Gen, i)]
				return p, ok
			})
			if (err != nil) != tt.wantErr || string(got) != tt.want {
				t.Errorf("assemble = %q, %v; want %q, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestParseDSN(t *testing.T) {
	// def is a config with the default bounds.
	def := func(c dsnConfig) dsnConfig {
		c.dialTimeout, c.readTimeout, c.maxAttempts = DefaultDialTimeout, DefaultReadTimeout, DefaultMaxAttempts
		return c
	}
	tests := []struct {
		name    string
		dsn     string
		want    dsnConfig
		wantErr bool
	}{
		{"table only", "dynamodb://cache", def(dsnConfig{table: "cache"}), false},
		{"every parameter", "dynamodb://My_Table-1.x?region=eu-west-1&endpoint=http://127.0.0.1:4568&create_table=true&consistent_read=false&chunk_size=1000&dial_timeout=3s&read_timeout=250ms&max_attempts=5",
			dsnConfig{table: "My_Table-1.x", region: "eu-west-1", endpoint: "http://127.0.0.1:4568", opts: Options{CreateTable: true, EventuallyConsistent: true, ChunkSize: 1000},
				dialTimeout: 3 * time.Second, readTimeout: 250 * time.Millisecond, maxAttempts: 5}, false},
		{"table in the path", "dynamodb:///cache", def(dsnConfig{table: "cache"}), false},
		{"bad timeout", "dynamodb://t?read_timeout=0s", dsnConfig{}, true},
		{"no attempt", "dynamodb://t?max_attempts=0", dsnConfig{}, true},
		{"no table", "dynamodb://?region=x", dsnConfig{}, true},
		{"unknown parameter", "dynamodb://t?regoin=x", dsnConfig{}, true},
		{"endpoint without scheme", "dynamodb://t?endpoint=127.0.0.1:4568", dsnConfig{}, true},
		{"bad flag", "dynamodb://t?create_table=sure", dsnConfig{}, true},
		{"chunk size above the item limit", "dynamodb://t?chunk_size=" + strconv.Itoa(400<<10), dsnConfig{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := url.Parse(tt.dsn)
			if err != nil {
				t.Fatal(err)
			}
			got, err := parseDSN(u)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("parseDSN(%q) = %+v; want an error", tt.dsn, got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("parseDSN(%q) = %+v, %v; want %+v", tt.dsn, got, err, tt.want)
			}
		})
	}
}

// FuzzDecodeItem builds items from arbitrary attribute values (numbers as
// DynamoDB sends them: strings) and checks the decoders neither panic nor
// accept an inconsistent item.
func FuzzDecodeItem(f *testing.F) {
	f.Add([]byte("k"), []byte("v"), "1", "", "", "1700000000000", uint8(0))
	f.Add([]byte("k"), []byte(nil), "30", "gen", "3", "", uint8(0))
	f.Add([]byte("k"), []byte("x"), "-5", "g#1", "99999999999999999999", "x", uint8(255))
	f.Fuzz(func(t *testing.T, key, value []byte, size, gen, chunks, exp string, kinds uint8) {
		raw := attrs{"pk": s("h")}
		put := func(name string, bit uint8, asB types.AttributeValue, other types.AttributeValue) {
			switch {
			case kinds&(1<<bit) != 0:
				// absent
			case kinds&(1<<(bit+4)) != 0:
				raw[name] = other
			default:
				raw[name] = asB
			}
		}
		put("k", 0, &types.AttributeValueMemberB{Value: key}, s(string(key)))
		if value != nil {
			raw["v"] = &types.AttributeValueMemberB{Value: value}
		}
		put("sz", 1, n(size), s(size))
		if gen != "" {
			raw["g"] = s(gen)
		}
		put("n", 2, n(chunks), b(chunks))
		put("exp", 3, n(exp), s(exp))
		it, err := decodeItem(raw)
		if err == nil {
			if it.Size < 0 || it.Chunks < 0 || it.Chunks > chunk.MaxChunks || (it.Chunks > 0) == (it.Gen == "") || (it.Chunks > 0 && it.Value != nil) {
				t.Fatalf("accepted an inconsistent item %+v", it)
			}
			if it.Chunks > 0 {
				if _, err := it.Assemble(func(int) ([]byte, bool) { return nil, false }); err == nil {
					t.Fatal("assembled a chunked value without chunks")
				}
			}
		}
		_, _, _ = decodeChunkRef(raw)
		_, _, _ = decodeChunk(raw)
	})
}
