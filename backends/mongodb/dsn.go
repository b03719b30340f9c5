package mongodb

import (
	"context"
	"net/url"

	"go.mongodb.org/mongo-driver/mongo"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/internal/mongodsn"
)

// Defaults of the DSN parameters database and collection.
const (
	DefaultDatabase   = mongodsn.DefaultDatabase
	DefaultCollection = "responses"
)

func init() {
	backends.Register("mongodb", open)
	backends.Register("mongodb+srv", open)
}

// dsnSpec is what a mongodb:// DSN may say beyond the driver's parameters.
var dsnSpec = mongodsn.Spec{Scheme: "mongodb", MaxChunkSize: MaxChunkSize, Name: "collection", DefaultName: DefaultCollection}

// dsnConfig is what a DSN says: this package's parameters, and the
// connection string left for the driver.
type dsnConfig struct {
	uri        string
	database   string
	collection string
	opts       Options
}

// parseDSN splits dsn into this package's parameters and the driver's
// connection string (dsn without them).
func parseDSN(dsn *url.URL) (dsnConfig, error) {
	c, err := mongodsn.Parse(dsn, dsnSpec)
	return dsnConfig{uri: c.URI, database: c.Database, collection: c.Name, opts: Options{ChunkSize: c.ChunkSize, SkipIndexes: c.SkipIndexes}}, err
}

// open is the backends.Factory for mongodb:// and mongodb+srv://.
func open(ctx context.Context, dsn *url.URL) (backends.Backend, error) {
	c, err := parseDSN(dsn)
	if err != nil {
		return nil, err
	}
	return mongodsn.Open(ctx, dsnSpec.Scheme, c.uri, func(client *mongo.Client) (backends.Backend, error) {
		b, err := New(ctx, client.Database(c.database).Collection(c.collection), c.opts)
		if err != nil {
			return nil, err
		}
		b.life.Own(client)
		return b, nil
	})
}
