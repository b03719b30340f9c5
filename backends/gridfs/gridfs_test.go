package gridfs_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/backendtest"
	"github.com/cachedhttp/cachedhttp/backends/gridfs"
)

const testDatabase = "cachedhttp_test"

// connect returns a client of the test server, disconnected at cleanup.
func connect(t testing.TB) *mongo.Client {
	t.Helper()
	url := backendtest.Service(t, "CACHEDHTTP_MONGODB_URL")
	client, err := mongo.Connect(context.Background(), options.Client().ApplyURI(url))
	if err != nil {
		t.Fatalf("connect %s: %v", url, err)
	}
	t.Cleanup(func() { _ = client.Disconnect(context.Background()) })
	return client
}

// uniqueBucket returns a bucket name no other test uses and drops its
// collections at cleanup.
func uniqueBucket(t testing.TB, client *mongo.Client) string {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := fmt.Sprintf("g_%d_%s", time.Now().UnixNano(), hex.EncodeToString(b[:]))
	t.Cleanup(func() {
		db := client.Database(testDatabase)
		_ = db.Collection(name + ".files").Drop(context.Background())
		_ = db.Collection(name + ".chunks").Drop(context.Background())
	})
	return name
}

type fixture struct {
	b      *gridfs.Backend
	files  *mongo.Collection
	chunks *mongo.Collection
}

func newFixture(t testing.TB, client *mongo.Client, chunkSize int) fixture {
	t.Helper()
	name := uniqueBucket(t, client)
	b, err := gridfs.New(context.Background(), client.Database(testDatabase), gridfs.Options{Bucket: name, ChunkSize: chunkSize})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = b.Close() })
	db := client.Database(testDatabase)
	return fixture{b: b, files: db.Collection(name + ".files"), chunks: db.Collection(name + ".chunks")}
}

func TestConformance(t *testing.T) {
	client := connect(t)
	backendtest.Run(t, func(t *testing.T) backends.Backend {
		return newFixture(t, client, 0).b
	}, backendtest.Options{Chunking: backendtest.Chunking{
		Size: gridfs.DefaultChunkSize,
		Records: func(t *testing.T, b backends.Backend) int {
			bucket := b.(*gridfs.Backend).Bucket()
			return int(count(t, bucket.GetFilesCollection(), bson.D{}) + count(t, bucket.GetChunksCollection(), bson.D{}))
		},
	}})
}

func hashOf(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

func count(t *testing.T, c *mongo.Collection, filter bson.D) int64 {
	t.Helper()
	n, err := c.CountDocuments(t.Context(), filter)
	if err != nil {
		t.Fatalf("count %s: %v", c.Name(), err)
	}
	return n
}

func randomValue(n int) []byte {
	v := make([]byte, n)
	_, _ = rand.Read(v)
	return v
}

func TestRevisionsAndChunks(t *testing.T) {
	const chunk = 1000
	f := newFixture(t, connect(t), chunk)
	steps := []struct {
		name       string
		size       int
		wantChunks int64
	}{
		{"a value is split into chunks", 10*chunk + 1, 11},
		{"an overwrite leaves one revision and its chunks", 3 * chunk, 3},
		{"an empty value has no chunks", 0, 0},
		{"a value of one chunk", chunk, 1},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			want := randomValue(s.size)
			if err := f.b.Set(t.Context(), "k", want, time.Hour); err != nil {
				t.Fatalf("Set: %v", err)
			}
			if got := count(t, f.files, bson.D{}); got != 1 {
				t.Errorf("files documents = %d, want 1", got)
			}
			if got := count(t, f.chunks, bson.D{}); got != s.wantChunks {
				t.Errorf("chunks = %d, want %d", got, s.wantChunks)
			}
			got, err := f.b.Get(t.Context(), "k")
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("Get = %d bytes, %v; want the %d stored", len(got), err, len(want))
			}
		})
	}
	t.Run("delete removes files and chunks", func(t *testing.T) {
		if err := f.b.Set(t.Context(), "other", randomValue(2500), 0); err != nil {
			t.Fatal(err)
		}
		if err := f.b.Delete(t.Context(), "k", "other", "missing"); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		if n, m := count(t, f.files, bson.D{}), count(t, f.chunks, bson.D{}); n+m != 0 {
			t.Errorf("after Delete: %d files, %d chunks; want none", n, m)
		}
	})
}

func TestDriverReadsTheFiles(t *testing.T) {
	f := newFixture(t, connect(t), 1000)
	want := randomValue(4321)
	if err := f.b.Set(t.Context(), "\xffkey", want, time.Hour); err != nil {
		t.Fatalf("Set: %v", err)
	}
	var got bytes.Buffer
	if _, err := f.b.Bucket().DownloadToStreamByName(hashOf("\xffkey"), &got); err != nil {
		t.Fatalf("the driver's GridFS download: %v", err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("driver read %d bytes, want the %d stored", got.Len(), len(want))
	}
}

func TestBrokenFilesAreMisses(t *testing.T) {
	tests := []struct {
		name    string
		corrupt func(t *testing.T, f fixture, id any)
	}{
		{"a missing middle chunk", func(t *testing.T, f fixture, id any) {
			if _, err := f.chunks.DeleteOne(t.Context(), bson.D{{Key: "files_id", Value: id}, {Key: "n", Value: 1}}); err != nil {
				t.Fatal(err)
			}
		}},
		{"a missing last chunk", func(t *testing.T, f fixture, id any) {
			if _, err := f.chunks.DeleteOne(t.Context(), bson.D{{Key: "files_id", Value: id}, {Key: "n", Value: 2}}); err != nil {
				t.Fatal(err)
			}
		}},
		{"a truncated chunk", func(t *testing.T, f fixture, id any) {
			if _, err := f.chunks.UpdateOne(t.Context(), bson.D{{Key: "files_id", Value: id}, {Key: "n", Value: 0}},
				bson.D{{Key: "$set", Value: bson.D{{Key: "data", Value: primitive.Binary{Data: []byte("short")}}}}}); err != nil {
				t.Fatal(err)
			}
		}},
		{"no chunks at all", func(t *testing.T, f fixture, id any) {
			if _, err := f.chunks.DeleteMany(t.Context(), bson.D{{Key: "files_id", Value: id}}); err != nil {
				t.Fatal(err)
			}
		}},
	}
	client := connect(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, client, 1000)
			if err := f.b.Set(t.Context(), "k", randomValue(2500), 0); err != nil {
				t.Fatalf("Set: %v", err)
			}
			var doc bson.M
			if err := f.files.FindOne(t.Context(), bson.D{}).Decode(&doc); err != nil {
				t.Fatal(err)
			}
			tt.corrupt(t, f, doc["_id"])
			v, err := f.b.Get(t.Context(), "k")
			if !errors.Is(err, backends.ErrNotFound) {
				t.Errorf("Get = %d bytes, %v; want ErrNotFound", len(v), err)
			}
		})
	}
}

func TestScanYieldsEachKeyOnce(t *testing.T) {
	f := newFixture(t, connect(t), 1000)
	keys := map[string]int{"plain": 10, "\x00\xff not UTF-8": 2500, strings.Repeat("long/", 410): 1}
	for k, n := range keys {
		if err := f.b.Set(t.Context(), k, randomValue(n), time.Hour); err != nil {
			t.Fatalf("Set: %v", err)
		}
	}
	// A second revision of "plain", as a concurrent Set leaves briefly.
	var doc bson.D
	if err := f.files.FindOne(t.Context(), bson.D{{Key: "filename", Value: hashOf("plain")}}).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	for i, e := range doc {
		switch e.Key {
		case "_id":
			doc[i].Value = primitive.NewObjectID()
		case "uploadDate":
			doc[i].Value = primitive.NewDateTimeFromTime(time.Now().Add(-time.Hour))
		}
	}
	if _, err := f.files.InsertOne(t.Context(), doc); err != nil {
		t.Fatal(err)
	}
	seen := map[string]backends.Entry{}
	for e, err := range f.b.Scan(t.Context()) {
		if err != nil {
			t.Fatalf("Scan: %v", err)
		}
		if _, dup := seen[e.Key]; dup {
			t.Errorf("Scan yielded %.20q twice", e.Key)
		}
		seen[e.Key] = e
	}
	for k, n := range keys {
		e, ok := seen[k]
		if !ok {
			t.Errorf("Scan did not yield %.20q", k)
			continue
		}
		if e.Size != int64(n) || time.Until(e.Expires) < 59*time.Minute {
			t.Errorf("Entry(%.20q) = size %d expires %v; want %d, in an hour", k, e.Size, e.Expires, n)
		}
	}
	if len(seen) != len(keys) {
		t.Errorf("Scan yielded %d keys, want %d", len(seen), len(keys))
	}
}

func TestDeleteExpired(t *testing.T) {
	f := newFixture(t, connect(t), 1000)
	for _, n := range []int{10, 2500} {
		if err := f.b.Set(t.Context(), fmt.Sprint("gone-", n), randomValue(n), time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.b.Set(t.Context(), "kept", randomValue(1500), time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := f.b.Set(t.Context(), "forever", randomValue(10), 0); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"gone-10", "gone-2500"} {
		for { // wait out the millisecond, whatever the box's load
			_, err := f.b.Get(t.Context(), k)
			if errors.Is(err, backends.ErrNotFound) {
				break
			}
			if err != nil {
				t.Fatalf("Get(%s): %v", k, err)
			}
		}
	}
	n, err := f.b.DeleteExpired(t.Context())
	if err != nil {
		t.Fatalf("DeleteExpired: %v", err)
	}
	if n != 2 {
		t.Errorf("DeleteExpired = %d files, want 2", n)
	}
	if files, chunks := count(t, f.files, bson.D{}), count(t, f.chunks, bson.D{}); files != 2 || chunks != 3 {
		t.Errorf("left: %d files, %d chunks; want 2 files (kept, forever) and 3 chunks", files, chunks)
	}
	if f.b.NativeTTL() {
		t.Error("NativeTTL() = true; GridFS has no TTL")
	}
}

func TestOpenDSN(t *testing.T) {
	url := backendtest.Service(t, "CACHEDHTTP_MONGODB_URL")
	client := connect(t)
	bucket := uniqueBucket(t, client)
	dsn := strings.Replace(url, "mongodb://", "gridfs://", 1)
	if !strings.Contains(strings.TrimPrefix(dsn, "gridfs://"), "/") {
		dsn += "/"
	}
	dsn += "?database=" + testDatabase + "&bucket=" + bucket + "&chunk_size=1000&serverSelectionTimeoutMS=20000"
	b, err := backends.Open(t.Context(), dsn)
	if err != nil {
		t.Fatalf("Open(%q): %v", dsn, err)
	}
	if err := b.Set(t.Context(), "k", randomValue(2500), 0); err != nil {
		t.Fatalf("Set: %v", err)
	}
	n, err := client.Database(testDatabase).Collection(bucket+".chunks").CountDocuments(t.Context(), bson.D{})
	if err != nil || n != 3 {
		t.Errorf("chunks in %s.chunks = %d, %v; want 3 (the DSN's bucket and chunk_size)", bucket, n, err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := b.Get(t.Context(), "k"); !errors.Is(err, backends.ErrClosed) {
		t.Errorf("Get after Close = %v; want ErrClosed", err)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	tests := []struct {
		name string
		db   *mongo.Database
		opts gridfs.Options
	}{
		{"nil database", nil, gridfs.Options{}},
		{"negative chunk size", &mongo.Database{}, gridfs.Options{ChunkSize: -1}},
		{"chunk size above the document limit", &mongo.Database{}, gridfs.Options{ChunkSize: 16 << 20}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if b, err := gridfs.New(t.Context(), tt.db, tt.opts); err == nil {
				t.Errorf("New = %v, nil; want an error", b)
			}
		})
	}
}
