package mongodsn

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/internal/lifecycle"
)

// DefaultDatabase is the database used when the DSN names none.
const DefaultDatabase = "cachedhttp"

// Spec is what a store's DSN may say beyond the driver's parameters.
type Spec struct {
	// Scheme is the store's scheme ("mongodb", "gridfs"); Scheme+"+srv"
	// stands for mongodb+srv. It starts the store's errors.
	Scheme string
	// MaxChunkSize bounds the parameter chunk_size.
	MaxChunkSize int
	// Name is the store's own name parameter ("collection", "bucket"), and
	// DefaultName its value when the DSN does not give it. Given empty, it
	// is an error.
	Name, DefaultName string
}

// Config is what a DSN says.
type Config struct {
	// URI is the DSN without the store's parameters, as a mongodb:// (or
	// mongodb+srv://) connection string.
	URI string
	// Database is the parameter database, else the DSN's path, else
	// DefaultDatabase.
	Database string
	// Name is the value of Spec.Name.
	Name string
	// ChunkSize is the parameter chunk_size; 0 when absent.
	ChunkSize int
	// SkipIndexes is the negation of the parameter indexes (default true).
	SkipIndexes bool
}

// Parse splits dsn into the parameters of the store s describes and the
// driver's connection string.
func Parse(dsn *url.URL, s Spec) (Config, error) {
	c := Config{Database: DefaultDatabase, Name: s.DefaultName}
	srv := strings.ToLower(dsn.Scheme) == s.Scheme+"+srv"
	if !srv && !strings.EqualFold(dsn.Scheme, s.Scheme) {
		return c, fmt.Errorf("%s: scheme %q: want %s:// or %s+srv://", s.Scheme, dsn.Scheme, s.Scheme, s.Scheme)
	}
	if db := strings.Trim(dsn.Path, "/"); db != "" {
		c.Database = db
	}
	q := dsn.Query()
	for name, vals := range q {
		v := vals[len(vals)-1]
		switch name {
		case "database":
			c.Database = v
		case s.Name:
			if v == "" {
				return c, fmt.Errorf("%s: empty %s name", s.Scheme, s.Name)
			}
			c.Name = v
		case "chunk_size":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > s.MaxChunkSize {
				return c, fmt.Errorf("%s: chunk_size=%q: want bytes in [1, %d]", s.Scheme, v, s.MaxChunkSize)
			}
			c.ChunkSize = n
		case "indexes":
			on, err := strconv.ParseBool(v)
			if err != nil {
				return c, fmt.Errorf("%s: indexes=%q: %w", s.Scheme, v, err)
			}
			c.SkipIndexes = !on
		default:
			continue // the driver's
		}
		q.Del(name)
	}
	if c.Database == "" {
		return c, fmt.Errorf("%s: empty database name", s.Scheme)
	}
	u := *dsn
	u.Scheme = "mongodb"
	if srv {
		u.Scheme = "mongodb+srv"
	}
	u.RawQuery = q.Encode()
	c.URI = u.String()
	return c, nil
}

// Open connects a client to uri (a Config's URI) and passes it to
// newStore, which owns it from then on (Owner.Own); when newStore fails,
// Open disconnects it. scheme starts the errors.
func Open[B any](ctx context.Context, scheme, uri string, newStore func(*mongo.Client) (B, error)) (B, error) {
	var zero B
	client, err := mongo.Connect(ctx, options.Client().ApplyURI(uri))
	if err != nil {
		return zero, fmt.Errorf("%s: connect: %w", scheme, err)
	}
	b, err := newStore(client)
	if err != nil {
		_ = client.Disconnect(context.WithoutCancel(ctx))
		return zero, err
	}
	return b, nil
}

// Owner is the lifecycle of a store on a MongoDB server: the State its
// methods begin with, and the client it owns when Open made it (none when
// the caller passed its own collection or database to the store's New),
// which Close disconnects.
type Owner struct {
	lifecycle.State
	client *mongo.Client
}

// Own makes client the owner's, to disconnect on Close.
func (o *Owner) Own(client *mongo.Client) {
	o.client = client
}

// Close marks the store closed and disconnects the client it owns. A second
// Close returns an error matching backends.ErrClosed.
func (o *Owner) Close() error {
	if !o.State.Close() {
		return backends.ErrClosed
	}
	if o.client == nil {
		return nil
	}
	if err := o.client.Disconnect(context.Background()); err != nil {
		return fmt.Errorf("disconnect: %w", err)
	}
	return nil
}
