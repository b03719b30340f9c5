package gridfs_test

import (
	"context"
	"log"

	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/gridfs"
)

// A backend over a GridFS bucket of the caller's client, for large values.
func ExampleNew() {
	ctx := context.Background()
	client, err := mongo.Connect(ctx, options.Client().ApplyURI("mongodb://127.0.0.1:27017"))
	if err != nil {
		log.Fatal(err)
	}
	defer client.Disconnect(ctx)
	b, err := gridfs.New(ctx, client.Database("cachedhttp"), gridfs.Options{Bucket: "bodies"})
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()
	// GridFS has no TTL: purge from time to time.
	if _, err := b.DeleteExpired(ctx); err != nil {
		log.Fatal(err)
	}
}

// Open a backend from a DSN.
func Example_open() {
	b, err := backends.Open(context.Background(), "gridfs://127.0.0.1:27017/?database=cachedhttp&bucket=bodies")
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()
}
