package mongodb

import (
	"bytes"
	"errors"
	"net/url"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"

	"github.com/cachedhttp/cachedhttp/backends/internal/chunk"
)

func mustMarshal(t testing.TB, d bson.D) []byte {
	t.Helper()
	b, err := bson.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeDocument(t *testing.T) {
	exp := time.UnixMilli(1_700_000_000_123)
	tests := []struct {
		name    string
		doc     bson.D
		want    document
		wantErr bool
	}{
		{"inline value with expiry", bson.D{
			{Key: "_id", Value: "h"}, {Key: "key", Value: primitive.Binary{Data: []byte("\xffk")}},
			{Key: "expires", Value: primitive.NewDateTimeFromTime(exp)}, {Key: "size", Value: int64(2)},
			{Key: "value", Value: primitive.Binary{Data: []byte("ab")}},
		}, document{Key: "\xffk", Value: []byte("ab"), Expires: exp, Size: 2}, false},
		{"empty inline value is not nil", bson.D{
			{Key: "key", Value: primitive.Binary{Data: []byte("k")}}, {Key: "size", Value: int64(0)},
			{Key: "value", Value: primitive.Binary{}},
		}, document{Key: "k", Value: []byte{}}, false},
		{"chunked manifest", bson.D{
			{Key: "key", Value: primitive.Binary{Data: []byte("k")}}, {Key: "size", Value: int64(30)},
			{Key: "gen", Value: "g"}, {Key: "chunks", Value: int32(3)},
		}, document{Key: "k", Size: 30, Gen: "g", Chunks: 3}, false},
		{"key that is a string is foreign", bson.D{{Key: "key", Value: "k"}}, document{}, true},
		{"no key is foreign", bson.D{{Key: "value", Value: primitive.Binary{}}}, document{}, true},
		{"expires that is not a date", bson.D{{Key: "key", Value: primitive.Binary{Data: []byte("k")}}, {Key: "expires", Value: "soon"}}, document{}, true},
		{"negative size", bson.D{{Key: "key", Value: primitive.Binary{Data: []byte("k")}}, {Key: "size", Value: int64(-1)}}, document{}, true},
		{"chunks without generation", bson.D{{Key: "key", Value: primitive.Binary{Data: []byte("k")}}, {Key: "chunks", Value: int32(2)}}, document{}, true},
		{"absurd chunk count", bson.D{{Key: "key", Value: primitive.Binary{Data: []byte("k")}}, {Key: "gen", Value: "g"}, {Key: "chunks", Value: int64(1 << 40)}}, document{}, true},
		{"both chunks and an inline value", bson.D{
			{Key: "key", Value: primitive.Binary{Data: []byte("k")}}, {Key: "gen", Value: "g"}, {Key: "chunks", Value: int32(1)},
			{Key: "value", Value: primitive.Binary{Data: []byte("x")}},
		}, document{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeDocument(mustMarshal(t, tt.doc))
			if tt.wantErr {
				if !errors.Is(err, errBadDocument) {
					t.Fatalf("decodeDocument = %+v, %v; want errBadDocument", got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("decodeDocument: %v", err)
			}
			if got.Key != tt.want.Key || !bytes.Equal(got.Value, tt.want.Value) || (got.Value == nil) != (tt.want.Value == nil) ||
				!got.Expires.Equal(tt.want.Expires) || got.Size != tt.want.Size || got.Gen != tt.want.Gen || got.Chunks != tt.want.Chunks {
				t.Errorf("decodeDocument = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestAssemble(t *testing.T) {
	ids := []string{"h/g/0", "h/g/1", "h/g/2"}
	full := map[string][]byte{"h/g/0": []byte("ab"), "h/g/1": []byte("cd"), "h/g/2": []byte("e")}
	tests := []struct {
		name    string
		size    int64
		parts   map[string][]byte
		want    string
		wantErr bool
	}{
		{"chunks joined in id order", 5, full, "abcde", false},
		{"a missing chunk is an error", 5, map[string][]byte{"h/g/0": []byte("ab"), "h/g/2": []byte("e")}, "", true},
		{"a chunk of another generation does not count", 5, map[string][]byte{"h/g/0": []byte("ab"), "h/x/1": []byte("cd"), "h/g/2": []byte("e")}, "", true},
		{"a size mismatch is an error", 6, full, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := document{Gen: "g", Size: tt.size, Chunks: 3}
			got, err := d.Assemble(func(i int) ([]byte, bool) {
				p, ok := tt.parts[ids[i]]
				return p, ok
			})
			if (err != nil) != tt.wantErr || string(got) != tt.want {
				t.Errorf("assemble = %q, %v; want %q, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestParseDSN(t *testing.T) {
	tests := []struct {
		name    string
		dsn     string
		wantURI string
		wantDB  string
		wantCol string
		want    Options
		wantErr bool
	}{
		{"defaults", "mongodb://h:27017", "mongodb://h:27017", DefaultDatabase, DefaultCollection, Options{}, false},
		{"our parameters are stripped, the driver's kept", "mongodb://u:p@h:27017/?database=d&collection=c&chunk_size=1000&indexes=false&replicaSet=rs0",
			"mongodb://u:p@h:27017/?replicaSet=rs0", "d", "c", Options{ChunkSize: 1000, SkipIndexes: true}, false},
		{"the path names the database", "mongodb://h/app?authSource=admin", "mongodb://h/app?authSource=admin", "app", DefaultCollection, Options{}, false},
		{"bad chunk size", "mongodb://h/?chunk_size=0", "", "", "", Options{}, true},
		{"chunk size above the limit", "mongodb://h/?chunk_size=99999999", "", "", "", Options{}, true},
		{"bad indexes flag", "mongodb://h/?indexes=maybe", "", "", "", Options{}, true},
		{"empty collection", "mongodb://h/?collection=", "", "", "", Options{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := url.Parse(tt.dsn)
			if err != nil {
				t.Fatal(err)
			}
			c, err := parseDSN(u)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("parseDSN(%q) = %+v; want an error", tt.dsn, c)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseDSN(%q): %v", tt.dsn, err)
			}
			if c.uri != tt.wantURI || c.database != tt.wantDB || c.collection != tt.wantCol || c.opts != tt.want {
				t.Errorf("parseDSN(%q) = %+v; want uri %q db %q coll %q opts %+v", tt.dsn, c, tt.wantURI, tt.wantDB, tt.wantCol, tt.want)
			}
		})
	}
}

// FuzzDecodeDocument feeds arbitrary bytes to the document decoders: they
// must not panic, and a document they accept must be consistent.
func FuzzDecodeDocument(f *testing.F) {
	f.Add(mustMarshal(f, bson.D{{Key: "key", Value: primitive.Binary{Data: []byte("k")}}, {Key: "value", Value: primitive.Binary{Data: []byte("v")}}, {Key: "size", Value: int64(1)}}))
	f.Add(mustMarshal(f, bson.D{{Key: "key", Value: primitive.Binary{Data: []byte("k")}}, {Key: "gen", Value: "g"}, {Key: "chunks", Value: int32(2)}, {Key: "size", Value: int64(9)}, {Key: "expires", Value: primitive.DateTime(5)}}))
	f.Add(mustMarshal(f, bson.D{{Key: "_id", Value: "h/g/0"}, {Key: "value", Value: primitive.Binary{Data: []byte("v")}}}))
	f.Add([]byte{5, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := decodeDocument(bson.Raw(data))
		if err == nil {
			if d.Chunks < 0 || d.Chunks > chunk.MaxChunks || (d.Chunks > 0) == (d.Gen == "") || d.Size < 0 {
				t.Fatalf("accepted an inconsistent document %+v", d)
			}
			if d.Chunks > 0 {
				if _, err := d.Assemble(func(int) ([]byte, bool) { return nil, false }); err == nil {
					t.Fatalf("assembled a chunked value without chunks")
				}
			}
		}
		_, _ = decodeReplaced(bson.Raw(data))
		_, _ = decodeChunk(bson.Raw(data))
	})
}
