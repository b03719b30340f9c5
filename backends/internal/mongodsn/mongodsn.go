package mongodsn

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

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

// The driver's defaults suit a database that must answer eventually (30 s
// to find a server, 30 s to connect, socket reads without end); a cache
// must rather give up fast, since a miss only costs the origin request.
// Open uses these unless the URI sets the option itself.
const (
	// DefaultServerSelectionTimeout bounds the wait for a server to send
	// an operation to (serverSelectionTimeoutMS): with the server down, an
	// operation without a deadline fails after it.
	DefaultServerSelectionTimeout = 2 * time.Second
	// DefaultConnectTimeout bounds opening one connection
	// (connectTimeoutMS).
	DefaultConnectTimeout = 2 * time.Second
	// DefaultSocketTimeout bounds each socket read or write
	// (socketTimeoutMS), so that an operation without a deadline (a
	// maintenance Scan, Close) cannot wait on a hung server for ever. It is
	// not set when the URI sets timeoutMS, which replaces it.
	DefaultSocketTimeout = 10 * time.Second
	// CloseTimeout bounds Owner.Close: connections still in use then are
	// closed, failing their operations.
	CloseTimeout = 2 * time.Second
)

// clientOptions returns the driver's options for uri: the URI's own, over
// this package's defaults. The driver logs nothing unless its MONGODB_LOG_*
// environment variables ask for it.
func clientOptions(uri string) *options.ClientOptions {
	opts := options.Client().ApplyURI(uri)
	set := map[string]bool{}
	if u, err := url.Parse(uri); err == nil {
		for name := range u.Query() {
			set[strings.ToLower(name)] = true // URI options are case-insensitive
		}
	}
	if !set["serverselectiontimeoutms"] {
		opts.SetServerSelectionTimeout(DefaultServerSelectionTimeout)
	}
	if !set["connecttimeoutms"] {
		opts.SetConnectTimeout(DefaultConnectTimeout)
	}
	if !set["sockettimeoutms"] && !set["timeoutms"] {
		opts.SetSocketTimeout(DefaultSocketTimeout)
	}
	return opts
}

// Open connects a client to uri (a Config's URI) and passes it to
// newStore, which owns it from then on (Owner.Own); when newStore fails,
// Open disconnects it. scheme starts the errors. The client uses the URI's
// options over this package's defaults (DefaultServerSelectionTimeout,
// DefaultConnectTimeout, DefaultSocketTimeout); newStore should do its
// first operations (creating indexes) under ctx, which bounds the open.
func Open[B any](ctx context.Context, scheme, uri string, newStore func(*mongo.Client) (B, error)) (B, error) {
	var zero B
	client, err := mongo.Connect(ctx, clientOptions(uri))
	if err != nil {
		return zero, fmt.Errorf("%s: connect: %w", scheme, err)
	}
	b, err := newStore(client)
	if err != nil {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), CloseTimeout)
		defer cancel()
		_ = client.Disconnect(dctx)
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

// Close marks the store closed and disconnects the client it owns, waiting
// at most CloseTimeout for the operations in flight (an operation abandoned
// by its caller against a hung server would otherwise hold Close for as
// long as it waits). A second Close returns an error matching
// backends.ErrClosed.
func (o *Owner) Close() error {
	if !o.State.Close() {
		return backends.ErrClosed
	}
	if o.client == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), CloseTimeout)
	defer cancel()
	if err := o.client.Disconnect(ctx); err != nil {
		return fmt.Errorf("disconnect: %w", err)
	}
	return nil
}
