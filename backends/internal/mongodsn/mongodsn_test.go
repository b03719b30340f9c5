package mongodsn_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/mongo"

	"github.com/cachedhttp/cachedhttp/backends/internal/mongodsn"
)

var (
	collection = mongodsn.Spec{Scheme: "mongodb", MaxChunkSize: 15 << 20, Name: "collection", DefaultName: "responses"}
	bucket     = mongodsn.Spec{Scheme: "gridfs", MaxChunkSize: 15 << 20, Name: "bucket"}
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		spec    mongodsn.Spec
		dsn     string
		want    mongodsn.Config
		wantErr string // substring of the error; "" means success
	}{
		{"defaults", collection, "mongodb://h:27017",
			mongodsn.Config{URI: "mongodb://h:27017", Database: "cachedhttp", Name: "responses"}, ""},
		{"the store's parameters are taken out, the driver's kept", collection,
			"mongodb://u:p@h:27017/?database=d&collection=c&chunk_size=1000&indexes=false&replicaSet=rs0",
			mongodsn.Config{URI: "mongodb://u:p@h:27017/?replicaSet=rs0", Database: "d", Name: "c", ChunkSize: 1000, SkipIndexes: true}, ""},
		{"the path names the database", collection, "mongodb://h/app?authSource=admin",
			mongodsn.Config{URI: "mongodb://h/app?authSource=admin", Database: "app", Name: "responses"}, ""},
		{"the database parameter wins over the path", collection, "mongodb://h/app?database=other",
			mongodsn.Config{URI: "mongodb://h/app", Database: "other", Name: "responses"}, ""},
		{"the last of a repeated parameter counts", bucket, "gridfs://h/?bucket=a&bucket=b",
			mongodsn.Config{URI: "mongodb://h/", Database: "cachedhttp", Name: "b"}, ""},
		{"a store's scheme becomes mongodb", bucket, "gridfs://h:27017",
			mongodsn.Config{URI: "mongodb://h:27017", Database: "cachedhttp"}, ""},
		{"and its +srv mongodb+srv", bucket, "gridfs+srv://cluster.example/app",
			mongodsn.Config{URI: "mongodb+srv://cluster.example/app", Database: "app"}, ""},
		{"mongodb+srv stays", collection, "mongodb+srv://cluster.example/",
			mongodsn.Config{URI: "mongodb+srv://cluster.example/", Database: "cachedhttp", Name: "responses"}, ""},
		{"a chunk size that is not a number", bucket, "gridfs://h/?chunk_size=x", mongodsn.Config{}, "gridfs: chunk_size"},
		{"a chunk size of zero", collection, "mongodb://h/?chunk_size=0", mongodsn.Config{}, "mongodb: chunk_size"},
		{"a chunk size above the limit", collection, "mongodb://h/?chunk_size=99999999", mongodsn.Config{}, "want bytes in [1, 15728640]"},
		{"a bad indexes flag", bucket, "gridfs://h/?indexes=2", mongodsn.Config{}, "gridfs: indexes"},
		{"an empty name", collection, "mongodb://h/?collection=", mongodsn.Config{}, "empty collection name"},
		{"an empty bucket", bucket, "gridfs://h/?bucket=", mongodsn.Config{}, "empty bucket name"},
		{"an empty database", collection, "mongodb://h/?database=", mongodsn.Config{}, "empty database name"},
		{"another store's scheme", collection, "gridfs://h/", mongodsn.Config{}, `scheme "gridfs"`},
		{"no scheme", bucket, "h/db", mongodsn.Config{}, `scheme ""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := url.Parse(tt.dsn)
			if err != nil {
				t.Fatal(err)
			}
			got, err := mongodsn.Parse(u, tt.spec)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse(%q) = %+v, %v; want an error containing %q", tt.dsn, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("Parse(%q) = %+v, %v; want %+v", tt.dsn, got, err, tt.want)
			}
		})
	}
}

func TestOpenDisconnectsWhenTheStoreFails(t *testing.T) {
	// Connecting does no I/O (the driver dials lazily), so no server is
	// needed: the store's failure must come back, and the client be
	// disconnected (a second Disconnect then reports it).
	var client *mongo.Client
	failed := errors.New("store refused")
	_, err := mongodsn.Open(t.Context(), "mongodb", "mongodb://127.0.0.1:1", func(c *mongo.Client) (int, error) {
		client = c
		return 0, failed
	})
	if !errors.Is(err, failed) {
		t.Fatalf("Open = %v; want the store's error", err)
	}
	if err := client.Disconnect(context.Background()); !errors.Is(err, mongo.ErrClientDisconnected) {
		t.Errorf("Disconnect after Open failed = %v; want ErrClientDisconnected (Open disconnected it)", err)
	}
	if _, err := mongodsn.Open(t.Context(), "mongodb", "mongodb://h/?connectTimeoutMS=x", func(*mongo.Client) (int, error) { return 1, nil }); err == nil || !strings.HasPrefix(err.Error(), "mongodb: connect: ") {
		t.Errorf("Open with a bad connection string = %v; want a connect error", err)
	}
}

// FuzzParse checks that Parse never panics and that what it accepts is
// consistent: a connection string the store's parameters were taken from.
func FuzzParse(f *testing.F) {
	f.Add("mongodb://u:p@h:27017/db?collection=c&chunk_size=1000&indexes=false&replicaSet=rs0")
	f.Add("gridfs+srv://cluster.example/app?bucket=b")
	f.Add("mongodb://h/?chunk_size=-1&database=")
	f.Fuzz(func(t *testing.T, dsn string) {
		u, err := url.Parse(dsn)
		if err != nil {
			return
		}
		for _, spec := range []mongodsn.Spec{collection, bucket} {
			c, err := mongodsn.Parse(u, spec)
			if err != nil {
				continue
			}
			if c.Database == "" || c.ChunkSize < 0 || c.ChunkSize > spec.MaxChunkSize || (spec.DefaultName != "" && c.Name == "") {
				t.Fatalf("Parse(%q) accepted an inconsistent %+v", dsn, c)
			}
			got, err := url.Parse(c.URI)
			if err != nil {
				t.Fatalf("Parse(%q) made a connection string that does not parse: %q: %v", dsn, c.URI, err)
			}
			for _, p := range []string{"database", spec.Name, "chunk_size", "indexes"} {
				if got.Query().Has(p) {
					t.Fatalf("Parse(%q) left %s in the connection string %q", dsn, p, c.URI)
				}
			}
		}
	})
}

// A DSN's store parameters are taken out; the driver's go on.
func ExampleParse() {
	u, _ := url.Parse("gridfs://127.0.0.1:27017/app?bucket=http&chunk_size=262144&replicaSet=rs0")
	c, err := mongodsn.Parse(u, mongodsn.Spec{Scheme: "gridfs", MaxChunkSize: 15 << 20, Name: "bucket"})
	fmt.Println(c.URI, c.Database, c.Name, c.ChunkSize, err)
	// Output:
	// mongodb://127.0.0.1:27017/app?replicaSet=rs0 app http 262144 <nil>
}

// With nothing listening, an operation without a deadline fails after the
// default server selection timeout, not the driver's 30 s (hang detection
// only: the bound checked is generous).
func TestOpenGivesUpOnAnUnreachableServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	begin := time.Now()
	_, err = mongodsn.Open(context.Background(), "mongodb", "mongodb://"+addr, func(c *mongo.Client) (*mongo.Client, error) {
		return c, c.Ping(context.Background(), nil)
	})
	if err == nil {
		t.Fatal("Open of a closed port succeeded")
	}
	if took := time.Since(begin); took > 20*time.Second {
		t.Fatalf("Open of a closed port took %v; the driver's default is 30 s, ours %v", took, mongodsn.DefaultServerSelectionTimeout)
	}
}
