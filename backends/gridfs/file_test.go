package gridfs

import (
	"errors"
	"net/url"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
)

func mustMarshal(t testing.TB, d bson.D) []byte {
	t.Helper()
	b, err := bson.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func fileDoc(length int64, chunkSize int32, meta bson.D) bson.D {
	return bson.D{
		{Key: "_id", Value: primitive.NewObjectID()},
		{Key: "length", Value: length},
		{Key: "chunkSize", Value: chunkSize},
		{Key: "uploadDate", Value: primitive.DateTime(1)},
		{Key: "filename", Value: "f"},
		{Key: "metadata", Value: meta},
	}
}

func TestDecodeFile(t *testing.T) {
	key := bson.E{Key: "key", Value: primitive.Binary{Data: []byte("\xffk")}}
	exp := time.UnixMilli(1_700_000_000_123)
	tests := []struct {
		name    string
		doc     bson.D
		wantErr bool
		check   func(f file) bool
	}{
		{"a file with expiry", fileDoc(10, 4, bson.D{key, {Key: "expires", Value: primitive.NewDateTimeFromTime(exp)}}), false,
			func(f file) bool {
				return f.Key == "\xffk" && f.Length == 10 && f.ChunkSize == 4 && f.Expires.Equal(exp) && f.chunks() == 3
			}},
		{"a file without expiry", fileDoc(0, 4, bson.D{key}), false,
			func(f file) bool { return f.Expires.IsZero() && f.chunks() == 0 }},
		{"a file of another program has no metadata.key", fileDoc(10, 4, bson.D{{Key: "owner", Value: "x"}}), true, nil},
		{"a string key is foreign", fileDoc(10, 4, bson.D{{Key: "key", Value: "k"}}), true, nil},
		{"negative length", fileDoc(-1, 4, bson.D{key}), true, nil},
		{"zero chunk size", fileDoc(10, 0, bson.D{key}), true, nil},
		{"expires not a date", fileDoc(10, 4, bson.D{key, {Key: "expires", Value: "soon"}}), true, nil},
		{"no filename", bson.D{{Key: "length", Value: int64(1)}, {Key: "metadata", Value: bson.D{key}}}, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := decodeFile(mustMarshal(t, tt.doc))
			if tt.wantErr {
				if !errors.Is(err, errBadFile) {
					t.Errorf("decodeFile = %+v, %v; want errBadFile", f, err)
				}
				return
			}
			if err != nil || !tt.check(f) {
				t.Errorf("decodeFile = %+v, %v", f, err)
			}
		})
	}
}

func chunkDoc(t *testing.T, n int32, data string) bson.Raw {
	return mustMarshal(t, bson.D{{Key: "n", Value: n}, {Key: "data", Value: primitive.Binary{Data: []byte(data)}}})
}

func TestAssembler(t *testing.T) {
	f := file{Length: 10, ChunkSize: 4}
	tests := []struct {
		name    string
		chunks  []bson.Raw
		want    string
		wantErr bool
	}{
		{"all chunks in order", []bson.Raw{chunkDoc(t, 0, "abcd"), chunkDoc(t, 1, "efgh"), chunkDoc(t, 2, "ij")}, "abcdefghij", false},
		{"a skipped index", []bson.Raw{chunkDoc(t, 0, "abcd"), chunkDoc(t, 2, "ij")}, "", true},
		{"a short middle chunk", []bson.Raw{chunkDoc(t, 0, "abcd"), chunkDoc(t, 1, "ef"), chunkDoc(t, 2, "ij")}, "", true},
		{"a missing last chunk", []bson.Raw{chunkDoc(t, 0, "abcd"), chunkDoc(t, 1, "efgh")}, "", true},
		{"an extra chunk", []bson.Raw{chunkDoc(t, 0, "abcd"), chunkDoc(t, 1, "efgh"), chunkDoc(t, 2, "ij"), chunkDoc(t, 3, "k")}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAssembler(f)
			var err error
			for _, c := range tt.chunks {
				if err = a.add(c); err != nil {
					break
				}
			}
			var got []byte
			if err == nil {
				got, err = a.value()
			}
			if (err != nil) != tt.wantErr || string(got) != tt.want {
				t.Errorf("assembled %q, %v; want %q, error %v", got, err, tt.want, tt.wantErr)
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
		want    Options
		wantErr bool
	}{
		{"defaults", "gridfs://h:27017", "mongodb://h:27017", DefaultDatabase, Options{}, false},
		{"our parameters are stripped, the driver's kept", "gridfs://u:p@h/?database=d&bucket=b&chunk_size=1000&indexes=false&replicaSet=rs0",
			"mongodb://u:p@h/?replicaSet=rs0", "d", Options{Bucket: "b", ChunkSize: 1000, SkipIndexes: true}, false},
		{"srv", "gridfs+srv://cluster.example/app", "mongodb+srv://cluster.example/app", "app", Options{}, false},
		{"bad chunk size", "gridfs://h/?chunk_size=x", "", "", Options{}, true},
		{"empty bucket", "gridfs://h/?bucket=", "", "", Options{}, true},
		{"bad indexes flag", "gridfs://h/?indexes=2", "", "", Options{}, true},
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
			if err != nil || c.uri != tt.wantURI || c.database != tt.wantDB || c.opts != tt.want {
				t.Errorf("parseDSN(%q) = %+v, %v; want uri %q db %q opts %+v", tt.dsn, c, err, tt.wantURI, tt.wantDB, tt.want)
			}
		})
	}
}

func TestRevisionOrder(t *testing.T) {
	a, b := primitive.NewObjectID(), primitive.NewObjectID() // a < b: same process, counter grows
	tests := []struct {
		name string
		r, o revision
		want bool
	}{
		{"an earlier upload is older", revision{1, b}, revision{2, a}, true},
		{"a later upload is newer", revision{2, a}, revision{1, b}, false},
		{"the same millisecond orders by _id", revision{1, a}, revision{1, b}, true},
		{"a revision is not older than itself", revision{1, a}, revision{1, a}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.r.before(tt.o); got != tt.want {
				t.Errorf("before = %v, want %v", got, tt.want)
			}
		})
	}
}

// FuzzDecodeFile feeds arbitrary bytes to the files and chunks decoders:
// they must not panic, and must not accept chunks that disagree with the
// file.
func FuzzDecodeFile(f *testing.F) {
	meta := bson.D{{Key: "key", Value: primitive.Binary{Data: []byte("k")}}, {Key: "expires", Value: primitive.DateTime(5)}}
	f.Add(mustMarshal(f, fileDoc(10, 4, meta)), mustMarshal(f, bson.D{{Key: "n", Value: int32(0)}, {Key: "data", Value: primitive.Binary{Data: []byte("abcd")}}}))
	f.Add(mustMarshal(f, fileDoc(0, 255, meta)), []byte{5, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, fileBytes, chunkBytes []byte) {
		fl, err := decodeFile(bson.Raw(fileBytes))
		if err != nil {
			return
		}
		if fl.Length < 0 || fl.Length > maxLength || fl.ChunkSize < 0 || fl.ChunkSize > MaxChunkSize {
			t.Fatalf("accepted an inconsistent file %+v", fl)
		}
		a := newAssembler(fl)
		if a.add(bson.Raw(chunkBytes)) == nil {
			if v, err := a.value(); err == nil && int64(len(v)) != fl.Length {
				t.Fatalf("assembled %d bytes for a file of %d", len(v), fl.Length)
			}
		}
	})
}
