package mongodb_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/mongodb"
)

// A backend over a collection of the caller's client; purge expired
// documents yourself when the server has no TTL indexes (FerretDB).
func ExampleNew() {
	ctx := context.Background()
	client, err := mongo.Connect(ctx, options.Client().ApplyURI("mongodb://127.0.0.1:27017"))
	if err != nil {
		log.Fatal(err)
	}
	defer client.Disconnect(ctx)
	b, err := mongodb.New(ctx, client.Database("cachedhttp").Collection("responses"), mongodb.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()
	if err := b.Set(ctx, "GET https://example.com/", []byte("response"), time.Hour); err != nil {
		log.Fatal(err)
	}
	if !b.NativeTTL() {
		n, err := b.DeleteExpired(ctx)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("purged", n, "values")
	}
}

// Open a backend from a DSN: database and collection are this package's
// parameters, the rest goes to the driver.
func Example_open() {
	b, err := backends.Open(context.Background(), "mongodb://127.0.0.1:27017/?database=cachedhttp&collection=responses&maxPoolSize=20")
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()
}
