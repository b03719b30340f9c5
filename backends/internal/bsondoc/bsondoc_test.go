package bsondoc_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/backendtest"
	"github.com/cachedhttp/cachedhttp/backends/internal/bsondoc"
)

func TestHashKeys(t *testing.T) {
	got := bsondoc.HashKeys([]string{"", "k"})
	if len(got) != 2 || got[0] != bsondoc.HashKey("") || got[1] != bsondoc.HashKey("k") || len(got[1]) != 64 {
		t.Errorf("HashKeys = %q", got)
	}
}

func TestExpires(t *testing.T) {
	now := time.Unix(100, 500)
	if _, ok := bsondoc.Expires(now, 0); ok {
		t.Error("Expires(0) has a field; a value without ttl has none")
	}
	e, ok := bsondoc.Expires(now, time.Millisecond)
	if !ok || e.Key != "expires" || e.Value != primitive.DateTime(100_002) {
		t.Errorf("Expires(1ms) = %+v, %v; want expires: Date(100002 ms), rounded up", e, ok)
	}
}

func TestValidateRejectsShortDocuments(t *testing.T) {
	for _, raw := range [][]byte{nil, {0, 0, 0, 0}, {5, 0, 0, 0}, {6, 0, 0, 0, 0}} {
		if err := bsondoc.Validate(raw); err == nil {
			t.Errorf("Validate(%x) = nil; want an error", raw)
		}
	}
}

// collection returns a fresh collection on the test server, dropped at
// cleanup.
func collection(t *testing.T) *mongo.Collection {
	t.Helper()
	url := backendtest.Service(t, "CACHEDHTTP_MONGODB_URL")
	client, err := mongo.Connect(context.Background(), options.Client().ApplyURI(url))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Disconnect(context.Background()) })
	var b [6]byte
	_, _ = rand.Read(b[:])
	coll := client.Database("cachedhttp_test").Collection("bsondoc_" + hex.EncodeToString(b[:]))
	t.Cleanup(func() { _ = coll.Drop(context.Background()) })
	return coll
}

func TestFindAndFindOne(t *testing.T) {
	coll := collection(t)
	if _, err := bsondoc.FindOne(t.Context(), coll, bson.D{{Key: "_id", Value: 1}}); !errors.Is(err, backends.ErrNotFound) {
		t.Fatalf("FindOne of a missing document = %v; want ErrNotFound", err)
	}
	for i := range 5 {
		if _, err := coll.InsertOne(t.Context(), bson.D{{Key: "_id", Value: i}}); err != nil {
			t.Fatal(err)
		}
	}
	if raw, err := bsondoc.FindOne(t.Context(), coll, bson.D{{Key: "_id", Value: 3}}); err != nil || raw.Lookup("_id").Int32() != 3 {
		t.Fatalf("FindOne = %v, %v", raw, err)
	}
	sorted := options.Find().SetSort(bson.D{{Key: "_id", Value: 1}})
	var seen []int32
	err := bsondoc.Find(t.Context(), coll, bson.D{}, sorted, func(raw bson.Raw) error {
		seen = append(seen, raw.Lookup("_id").Int32())
		if len(seen) == 3 {
			return bsondoc.ErrStop
		}
		return nil
	})
	if err != nil || len(seen) != 3 || seen[2] != 2 {
		t.Errorf("Find stopped with ErrStop = %v after %v; want nil after 0, 1, 2", err, seen)
	}
	failed := errors.New("fn failed")
	if err := bsondoc.Find(t.Context(), coll, bson.D{}, sorted, func(bson.Raw) error { return failed }); err != failed {
		t.Errorf("Find = %v; want fn's error unchanged", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := bsondoc.Find(ctx, coll, bson.D{}, sorted, func(bson.Raw) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("Find with a cancelled context = %v; want context.Canceled", err)
	}
}
