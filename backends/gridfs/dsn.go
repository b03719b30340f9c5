package gridfs

import (
	"context"
	"net/url"

	"go.mongodb.org/mongo-driver/mongo"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/internal/mongodsn"
)

// DefaultDatabase is the database used when the DSN names none.
const DefaultDatabase = mongodsn.DefaultDatabase

func init() {
	backends.Register("gridfs", open)
	backends.Register("gridfs+srv", open)
}

// dsnSpec is what a gridfs:// DSN may say beyond the driver's parameters;
// an absent bucket is Options' default.
var dsnSpec = mongodsn.Spec{Scheme: "gridfs", MaxChunkSize: MaxChunkSize, Name: "bucket"}

// dsnConfig is what a DSN says: this package's parameters, and the
// connection string left for the driver.
type dsnConfig struct {
	uri      string
	database string
	opts     Options
}

// parseDSN splits dsn into this package's parameters and a mongodb://
// connection string for the driver.
func parseDSN(dsn *url.URL) (dsnConfig, error) {
	c, err := mongodsn.Parse(dsn, dsnSpec)
	return dsnConfig{uri: c.URI, database: c.Database, opts: Options{Bucket: c.Name, ChunkSize: c.ChunkSize, SkipIndexes: c.SkipIndexes}}, err
}

// open is the backends.Factory for gridfs:// and gridfs+srv://.
func open(ctx context.Context, dsn *url.URL) (backends.Backend, error) {
	c, err := parseDSN(dsn)
	if err != nil {
		return nil, err
	}
	return mongodsn.Open(ctx, dsnSpec.Scheme, c.uri, func(client *mongo.Client) (backends.Backend, error) {
		b, err := New(ctx, client.Database(c.database), c.opts)
		if err != nil {
			return nil, err
		}
		b.life.Own(client)
		return b, nil
	})
}
