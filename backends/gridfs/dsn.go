package gridfs

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

// DefaultDatabase is the database used when the DSN names none.
const DefaultDatabase = "cachedhttp"

func init() {
	backends.Register("gridfs", open)
	backends.Register("gridfs+srv", open)
}

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
	c := dsnConfig{database: DefaultDatabase}
	if db := strings.Trim(dsn.Path, "/"); db != "" {
		c.database = db
	}
	q := dsn.Query()
	for name, vals := range q {
		v := vals[len(vals)-1]
		switch name {
		case "database":
			c.database = v
		case "bucket":
			if v == "" {
				return c, fmt.Errorf("gridfs: empty bucket name")
			}
			c.opts.Bucket = v
		case "chunk_size":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > MaxChunkSize {
				return c, fmt.Errorf("gridfs: chunk_size=%q: want bytes in [1, %d]", v, MaxChunkSize)
			}
			c.opts.ChunkSize = n
		case "indexes":
			on, err := strconv.ParseBool(v)
			if err != nil {
				return c, fmt.Errorf("gridfs: indexes=%q: %w", v, err)
			}
			c.opts.SkipIndexes = !on
		default:
			continue // the driver's
		}
		q.Del(name)
	}
	if c.database == "" {
		return c, fmt.Errorf("gridfs: empty database name")
	}
	u := *dsn
	u.Scheme = strings.Replace(strings.ToLower(u.Scheme), "gridfs", "mongodb", 1)
	u.RawQuery = q.Encode()
	c.uri = u.String()
	return c, nil
}

// open is the backends.Factory for gridfs:// and gridfs+srv://.
func open(ctx context.Context, dsn *url.URL) (backends.Backend, error) {
	c, err := parseDSN(dsn)
	if err != nil {
		return nil, err
	}
	client, err := mongo.Connect(ctx, options.Client().ApplyURI(c.uri))
	if err != nil {
		return nil, fmt.Errorf("gridfs: connect: %w", err)
	}
	b, err := New(ctx, client.Database(c.database), c.opts)
	if err != nil {
		_ = client.Disconnect(context.WithoutCancel(ctx))
		return nil, err
	}
	b.owned = client
	return b, nil
}
