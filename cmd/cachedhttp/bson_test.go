package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/cachedhttp/cachedhttp/backends/backendtest"
)

// checkBSONRoundTrip stores a response through the command with a -cache
// DSN that says serializer=bson, and shows it back.
func checkBSONRoundTrip(t *testing.T, dsn string) {
	t.Helper()
	o := newOrigin(t, cacheable("bson body"))
	mustRun(t, "get", "-cache", dsn, o.URL)
	r := mustRun(t, "show", "-cache", dsn, o.URL)
	if !strings.Contains(r.out, "record:       cachedhttp v1 bson zstd (") || !strings.Contains(r.out, "bson body") {
		t.Errorf("show of a BSON record:\n%s", r.out)
	}
	if n := o.hits.Load(); n != 1 {
		t.Errorf("origin hit %d times, want 1", n)
	}
}

// TestSerializerBSON checks that the command registers the BSON codec:
// serializer=bson works in any DSN.
func TestSerializerBSON(t *testing.T) {
	checkBSONRoundTrip(t, tempDSN(t)+"?serializer=bson")
}

// TestSerializerBSONInMongoDB does the same on the store BSON is for. It
// needs a MongoDB API server (CACHEDHTTP_MONGODB_URL, set by `make test`).
func TestSerializerBSONInMongoDB(t *testing.T) {
	server := backendtest.Service(t, "CACHEDHTTP_MONGODB_URL")
	const database = "cachedhttp_test"
	collection := fmt.Sprintf("cmd_bson_%d", time.Now().UnixNano())
	t.Cleanup(func() {
		client, err := mongo.Connect(context.Background(), options.Client().ApplyURI(server))
		if err != nil {
			t.Errorf("connect to drop %s: %v", collection, err)
			return
		}
		defer client.Disconnect(context.Background())
		if err := client.Database(database).Collection(collection).Drop(context.Background()); err != nil {
			t.Errorf("drop %s: %v", collection, err)
		}
	})
	u, err := url.Parse(server)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + database
	q := u.Query()
	q.Set("collection", collection)
	q.Set("serializer", "bson")
	u.RawQuery = q.Encode()
	checkBSONRoundTrip(t, u.String())
}
