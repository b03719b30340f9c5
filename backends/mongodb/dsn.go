package mongodb

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/cachedhttp/cachedhttp/backends"
)

// Defaults of the DSN parameters database and collection.
const (
	DefaultDatabase   = "cachedhttp"
	DefaultCollection = "responses"
)

func init() {
	backends.Register("mongodb", open)
	backends.Register("mongodb+srv", open)
}

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
	c := dsnConfig{database: DefaultDatabase, collection: DefaultCollection}
	if db := strings.Trim(dsn.Path, "/"); db != "" {
		c.database = db
	}
	q := dsn.Query()
	for name, vals := range q {
		v := vals[len(vals)-1]
		switch name {
		case "database":
			c.database = v
		case "collection":
			c.collection = v
		case "chunk_size":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > MaxChunkSize {
				return c, fmt.Errorf("mongodb: chunk_size=%q: want bytes in [1, %d]", v, MaxChunkSize)
			}
			c.opts.ChunkSize = n
		case "indexes":
			on, err := strconv.ParseBool(v)
			if err != nil {
				return c, fmt.Errorf("mongodb: indexes=%q: %w", v, err)
			}
			c.opts.SkipIndexes = !on
		default:
			continue // the driver's
		}
		q.Del(name)
	}
	if c.database == "" || c.collection == "" {
		return c, fmt.Errorf("mongodb: empty database or collection name")
	}
	u := *dsn
	u.RawQuery = q.Encode()
	c.uri = u.String()
	return c, nil
}

// open is the backends.Factory for mongodb:// and mongodb+srv://.
func open(ctx context.Context, dsn *url.URL) (backends.Backend, error) {
	c, err := parseDSN(dsn)
	if err != nil {
		return nil, err
	}
	client, err := mongo.Connect(ctx, options.Client().ApplyURI(c.uri))
	if err != nil {
		return nil, fmt.Errorf("mongodb: connect: %w", err)
	}
	b, err := New(ctx, client.Database(c.database).Collection(c.collection), c.opts)
	if err != nil {
		_ = client.Disconnect(context.WithoutCancel(ctx))
		return nil, err
	}
	b.owned = client
	return b, nil
}
