package mongodb_test

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
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/backendtest"
	"github.com/cachedhttp/cachedhttp/backends/mongodb"
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

// uniqueName returns a collection name no other test uses.
func uniqueName(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s_%d_%s", prefix, time.Now().UnixNano(), hex.EncodeToString(b[:]))
}

// newCollection returns a fresh collection, dropped at cleanup.
func newCollection(t testing.TB, client *mongo.Client) *mongo.Collection {
	t.Helper()
	coll := client.Database(testDatabase).Collection(uniqueName("t"))
	t.Cleanup(func() { _ = coll.Drop(context.Background()) })
	return coll
}

// newBackend returns a backend over a fresh collection.
func newBackend(t testing.TB, opts mongodb.Options) (*mongodb.Backend, *mongo.Collection) {
	t.Helper()
	coll := newCollection(t, connect(t))
	b, err := mongodb.New(context.Background(), coll, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b, coll
}

// The backend implements the atomic interfaces: the suite runs their
// checks only for a backend that does, so a lost method must not pass
// unnoticed.
var _ interface {
	backends.Adder
	backends.Incrementer
} = (*mongodb.Backend)(nil)

func TestConformance(t *testing.T) {
	client := connect(t)
	backendtest.Run(t, func(t *testing.T) backends.Backend {
		coll := newCollection(t, client)
		b, err := mongodb.New(t.Context(), coll, mongodb.Options{})
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		t.Cleanup(func() { _ = b.Close() })
		return b
	}, backendtest.Options{})
}

func TestConformanceSmallChunks(t *testing.T) {
	// Small chunks make more of the suite's values chunked, so the suite
	// exercises the chunk path (overwrite, delete, scan, concurrency): 4 KiB
	// under -short, where values stay below 1 MiB; 64 KiB otherwise, so
	// that the 20 MiB value is not 5120 documents.
	chunk := 64 << 10
	if testing.Short() {
		chunk = 4 << 10
	}
	client := connect(t)
	backendtest.Run(t, func(t *testing.T) backends.Backend {
		coll := newCollection(t, client)
		b, err := mongodb.New(t.Context(), coll, mongodb.Options{ChunkSize: chunk})
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		t.Cleanup(func() { _ = b.Close() })
		return b
	}, backendtest.Options{Chunking: backendtest.Chunking{
		Size: chunk,
		Records: func(t *testing.T, b backends.Backend) int {
			return int(countDocs(t, b.(*mongodb.Backend).Collection(), bson.D{}))
		},
		// FerretDB 1.x's findAndModify is not atomic: two writers can both
		// be told they replaced the same document, and a superseded
		// writer's chunks may stay behind (invisible to Get and Scan).
		LeavesSuperseded: isFerretDB(t, client),
	}})
}

func hashOf(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

func countDocs(t *testing.T, coll *mongo.Collection, filter bson.D) int64 {
	t.Helper()
	n, err := coll.CountDocuments(t.Context(), filter)
	if err != nil {
		t.Fatalf("CountDocuments(%v): %v", filter, err)
	}
	return n
}

func chunkCount(t *testing.T, coll *mongo.Collection, key string) int64 {
	t.Helper()
	return countDocs(t, coll, bson.D{{Key: "parent", Value: hashOf(key)}})
}

func TestChunking(t *testing.T) {
	const chunk = 1000
	b, coll := newBackend(t, mongodb.Options{ChunkSize: chunk})
	tests := []struct {
		name       string
		size       int
		wantChunks int64
	}{
		{"value of exactly the chunk size stays inline", chunk, 0},
		{"one byte over the chunk size makes two chunks", chunk + 1, 2},
		{"ten and a half chunks make eleven", 10*chunk + chunk/2, 11},
		{"an overwrite with a small value removes the old chunks", 10, 0},
		{"an empty value is inline", 0, 0},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := bytes.Repeat([]byte{byte('a' + i)}, tt.size)
			if err := b.Set(t.Context(), "k", want, time.Hour); err != nil {
				t.Fatalf("Set: %v", err)
			}
			if got := chunkCount(t, coll, "k"); got != tt.wantChunks {
				t.Errorf("chunk documents = %d, want %d", got, tt.wantChunks)
			}
			got, err := b.Get(t.Context(), "k")
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Get = %d bytes, want %d", len(got), len(want))
			}
		})
	}
	t.Run("a chunked overwrite of a chunked value leaves only the new chunks", func(t *testing.T) {
		for _, n := range []int{5 * chunk, 3 * chunk} {
			if err := b.Set(t.Context(), "k", bytes.Repeat([]byte{'z'}, n), 0); err != nil {
				t.Fatalf("Set: %v", err)
			}
		}
		if got := chunkCount(t, coll, "k"); got != 3 {
			t.Errorf("chunk documents = %d, want 3", got)
		}
	})
	t.Run("delete removes the chunks", func(t *testing.T) {
		if err := b.Delete(t.Context(), "k"); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		if got := countDocs(t, coll, bson.D{}); got != 0 {
			t.Errorf("documents after Delete = %d, want 0", got)
		}
	})
}

func TestLargeValueDefaultChunkSize(t *testing.T) {
	b, coll := newBackend(t, mongodb.Options{})
	want := make([]byte, 20<<20)
	_, _ = rand.Read(want)
	if err := b.Set(t.Context(), "big", want, 0); err != nil {
		t.Fatalf("Set 20 MiB: %v", err)
	}
	if got := chunkCount(t, coll, "big"); got != 3 {
		t.Errorf("chunk documents of 20 MiB with 8 MiB chunks = %d, want 3", got)
	}
	got, err := b.Get(t.Context(), "big")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("Get = %d bytes, not the 20 MiB stored", len(got))
	}
}

func TestMissingChunkIsAMiss(t *testing.T) {
	b, coll := newBackend(t, mongodb.Options{ChunkSize: 100})
	if err := b.Set(t.Context(), "k", bytes.Repeat([]byte{'x'}, 1000), 0); err != nil {
		t.Fatalf("Set: %v", err)
	}
	var c bson.M
	if err := coll.FindOne(t.Context(), bson.D{{Key: "parent", Value: hashOf("k")}}).Decode(&c); err != nil {
		t.Fatalf("find a chunk: %v", err)
	}
	if _, err := coll.DeleteOne(t.Context(), bson.D{{Key: "_id", Value: c["_id"]}}); err != nil {
		t.Fatalf("delete chunk: %v", err)
	}
	v, err := b.Get(t.Context(), "k")
	if !errors.Is(err, backends.ErrNotFound) {
		t.Fatalf("Get with a chunk missing = %d bytes, %v; want ErrNotFound", len(v), err)
	}
}

func TestScanReturnsOddKeysAndNoChunks(t *testing.T) {
	b, _ := newBackend(t, mongodb.Options{ChunkSize: 100})
	keys := map[string]int{
		"plain":                          10,
		"\xff\xfe invalid UTF-8 \x00":    10,
		strings.Repeat("long-key/", 228): 10, // 2052 bytes
		"chunked":                        1000,
	}
	for k, n := range keys {
		if err := b.Set(t.Context(), k, bytes.Repeat([]byte{'v'}, n), time.Hour); err != nil {
			t.Fatalf("Set(%.20q): %v", k, err)
		}
	}
	seen := map[string]backends.Entry{}
	for e, err := range b.Scan(t.Context()) {
		if err != nil {
			t.Fatalf("Scan: %v", err)
		}
		seen[e.Key] = e
	}
	if len(seen) != len(keys) {
		t.Errorf("Scan yielded %d keys, want %d (chunk documents must not appear)", len(seen), len(keys))
	}
	for k, n := range keys {
		e, ok := seen[k]
		if !ok {
			t.Errorf("Scan did not yield %.30q", k)
			continue
		}
		if e.Size != int64(n) {
			t.Errorf("Entry(%.20q).Size = %d, want %d", k, e.Size, n)
		}
		if time.Until(e.Expires) < 59*time.Minute {
			t.Errorf("Entry(%.20q).Expires = %v, want about an hour from now", k, e.Expires)
		}
		if _, err := b.Get(t.Context(), e.Key); err != nil {
			t.Errorf("Get of the scanned key %.20q: %v", k, err)
		}
	}
}

// isFerretDB reports whether the test server is FerretDB, whose buildInfo
// has a ferretdbVersion field.
func isFerretDB(t *testing.T, client *mongo.Client) bool {
	t.Helper()
	var info bson.M
	if err := client.Database("admin").RunCommand(t.Context(), bson.D{{Key: "buildInfo", Value: 1}}).Decode(&info); err != nil {
		t.Fatalf("buildInfo: %v", err)
	}
	_, ok := info["ferretdbVersion"]
	return ok
}

func TestTTLIndexAndDeleteExpired(t *testing.T) {
	client := connect(t)
	coll := newCollection(t, client)
	b, err := mongodb.New(t.Context(), coll, mongodb.Options{ChunkSize: 100})
	if err != nil {
		t.Fatalf("New on a server that may refuse TTL indexes: %v", err)
	}
	defer b.Close()

	t.Run("NativeTTL matches the indexes the server has", func(t *testing.T) {
		specs, err := coll.Indexes().ListSpecifications(t.Context())
		if err != nil {
			t.Fatalf("list indexes: %v", err)
		}
		hasTTL, onExpires, onParent := false, false, false
		for _, s := range specs {
			elems, err := s.KeysDocument.Elements()
			if err != nil || len(elems) != 1 {
				continue
			}
			switch elems[0].Key() {
			case "expires":
				onExpires = true
				hasTTL = hasTTL || s.ExpireAfterSeconds != nil
			case "parent":
				onParent = true
			}
		}
		if b.NativeTTL() != hasTTL {
			t.Errorf("NativeTTL() = %v, but a TTL index exists = %v", b.NativeTTL(), hasTTL)
		}
		if !onExpires || !onParent {
			t.Errorf("indexes on expires %v and parent %v; want both (a plain index on expires when TTL is refused): %v", onExpires, onParent, specs)
		}
		if isFerretDB(t, client) && b.NativeTTL() {
			t.Errorf("NativeTTL() = true on FerretDB, which has no TTL indexes")
		}
		if !isFerretDB(t, client) && !b.NativeTTL() {
			t.Errorf("NativeTTL() = false on MongoDB, which has TTL indexes")
		}
	})

	t.Run("expired documents are misses and DeleteExpired removes them", func(t *testing.T) {
		for _, n := range []int{10, 1000} { // inline, and 10 chunks
			if err := b.Set(t.Context(), fmt.Sprintf("gone-%d", n), bytes.Repeat([]byte{'g'}, n), time.Millisecond); err != nil {
				t.Fatalf("Set: %v", err)
			}
		}
		if err := b.Set(t.Context(), "kept", []byte("kept"), time.Hour); err != nil {
			t.Fatalf("Set: %v", err)
		}
		if err := b.Set(t.Context(), "forever", []byte("forever"), 0); err != nil {
			t.Fatalf("Set: %v", err)
		}
		for _, k := range []string{"gone-10", "gone-1000"} {
			for { // wait out the millisecond, whatever the box's load
				_, err := b.Get(t.Context(), k)
				if errors.Is(err, backends.ErrNotFound) {
					break
				}
				if err != nil {
					t.Fatalf("Get(%s): %v", k, err)
				}
			}
		}
		var sweeper backends.Sweeper = b
		n, err := sweeper.Sweep(t.Context())
		if err != nil {
			t.Fatalf("Sweep: %v", err)
		}
		// A TTL monitor may have removed some already; without one both
		// values (one inline, one of 10 chunks) are ours to delete.
		if !b.NativeTTL() && n != 2 {
			t.Errorf("Sweep deleted %d values, want 2", n)
		}
		if got := countDocs(t, coll, bson.D{}); got != 2 {
			t.Errorf("documents left = %d, want 2 (kept, forever: expired chunks deleted too)", got)
		}
	})
}

func TestSkipIndexesCreatesNone(t *testing.T) {
	b, coll := newBackend(t, mongodb.Options{SkipIndexes: true})
	if err := b.Set(t.Context(), "k", []byte("v"), 0); err != nil {
		t.Fatalf("Set: %v", err)
	}
	specs, err := coll.Indexes().ListSpecifications(t.Context())
	if err != nil {
		t.Fatalf("list indexes: %v", err)
	}
	if len(specs) != 1 || b.NativeTTL() {
		t.Errorf("indexes = %d, NativeTTL = %v; want only _id_ and false", len(specs), b.NativeTTL())
	}
}

func TestOpenDSN(t *testing.T) {
	url := backendtest.Service(t, "CACHEDHTTP_MONGODB_URL")
	coll := uniqueName("dsn")
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	dsn := url + sep + "database=" + testDatabase + "&collection=" + coll + "&chunk_size=1000&serverSelectionTimeoutMS=20000"
	if !strings.Contains(strings.TrimPrefix(url, "mongodb://"), "/") {
		dsn = strings.Replace(dsn, "?", "/?", 1)
	}
	b, err := backends.Open(t.Context(), dsn)
	if err != nil {
		t.Fatalf("Open(%q): %v", dsn, err)
	}
	client := connect(t)
	t.Cleanup(func() { _ = client.Database(testDatabase).Collection(coll).Drop(context.Background()) })
	if err := b.Set(t.Context(), "k", bytes.Repeat([]byte{'v'}, 2500), 0); err != nil {
		t.Fatalf("Set: %v", err)
	}
	// The DSN's database, collection and chunk_size were applied.
	n, err := client.Database(testDatabase).Collection(coll).CountDocuments(t.Context(), bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	if n != 4 {
		t.Errorf("documents in %s = %d, want 4 (one value in three 1000-byte chunks)", coll, n)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := b.Get(t.Context(), "k"); !errors.Is(err, backends.ErrClosed) {
		t.Errorf("Get after Close = %v, want ErrClosed", err)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	tests := []struct {
		name string
		coll *mongo.Collection
		opts mongodb.Options
	}{
		{"nil collection", nil, mongodb.Options{}},
		{"negative chunk size", &mongo.Collection{}, mongodb.Options{ChunkSize: -1, SkipIndexes: true}},
		{"chunk size above the document limit", &mongo.Collection{}, mongodb.Options{ChunkSize: 16 << 20, SkipIndexes: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if b, err := mongodb.New(t.Context(), tt.coll, tt.opts); err == nil {
				t.Errorf("New = %v, nil; want an error", b)
			}
		})
	}
}

// SetMany stores small values with one bulk write; one that replaces a
// chunked value deletes its chunks, and a chunked item in the batch is
// stored whole.
func TestSetManyReplacesChunkedValues(t *testing.T) {
	b, coll := newBackend(t, mongodb.Options{ChunkSize: 1024})
	ctx := t.Context()
	big := bytes.Repeat([]byte("c"), 3000)
	if err := b.Set(ctx, "was-chunked", big, 0); err != nil {
		t.Fatal(err)
	}
	if n := countDocs(t, coll, bson.D{{Key: "parent", Value: hashOf("was-chunked")}}); n != 3 {
		t.Fatalf("%d chunk documents after a 3-chunk Set, want 3", n)
	}
	err := b.SetMany(ctx, []backends.Item{
		{Key: "was-chunked", Value: []byte("small now")},
		{Key: "new", Value: []byte("n")},
		{Key: "chunked-in-batch", Value: big, TTL: time.Hour},
	})
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string][]byte{"was-chunked": []byte("small now"), "new": []byte("n"), "chunked-in-batch": big} {
		if got, err := b.Get(ctx, key); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("Get(%q) after SetMany: %d bytes, %v", key, len(got), err)
		}
	}
	if n := countDocs(t, coll, bson.D{{Key: "parent", Value: hashOf("was-chunked")}}); n != 0 {
		t.Fatalf("%d chunks of the replaced value left", n)
	}
}
