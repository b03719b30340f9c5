package gregjones_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/backendtest"
	"github.com/cachedhttp/cachedhttp/backends/bbolt"
	"github.com/cachedhttp/cachedhttp/backends/dynamodb"
	"github.com/cachedhttp/cachedhttp/backends/filesystem"
	"github.com/cachedhttp/cachedhttp/backends/gridfs"
	"github.com/cachedhttp/cachedhttp/backends/memcache"
	"github.com/cachedhttp/cachedhttp/backends/memory"
	"github.com/cachedhttp/cachedhttp/backends/mongodb"
	_ "github.com/cachedhttp/cachedhttp/backends/redis"
)

// store opens a new, empty cachedhttp backend on a real store, in a
// namespace no other test uses, and removes it at cleanup.
type store struct {
	name string
	open func(t *testing.T) backends.Backend
}

// unique returns a name no other test (or helper running tests at the
// same time on the same servers) uses.
func unique(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s_%d_%s", prefix, time.Now().UnixNano(), hex.EncodeToString(b[:]))
}

// openDSN opens a backend from a DSN and clears it at cleanup.
func openDSN(t *testing.T, dsn string) backends.Backend {
	t.Helper()
	b, err := backends.Open(t.Context(), dsn)
	if err != nil {
		t.Fatalf("open %s: %v", dsn, err)
	}
	t.Cleanup(func() {
		_ = b.Clear(context.Background())
		_ = b.Close()
	})
	return b
}

func mongoDB(t *testing.T) *mongo.Database {
	t.Helper()
	u := backendtest.Service(t, "CACHEDHTTP_MONGODB_URL")
	client, err := mongo.Connect(context.Background(), options.Client().ApplyURI(u))
	if err != nil {
		t.Fatalf("connect %s: %v", u, err)
	}
	t.Cleanup(func() { _ = client.Disconnect(context.Background()) })
	return client.Database("cachedhttp_test")
}

// stores lists every cachedhttp backend, on the real servers
// scripts/services.sh starts.
func stores() []store {
	return []store{
		{"memory", func(t *testing.T) backends.Backend {
			b := memory.New(memory.Options{})
			t.Cleanup(func() { _ = b.Close() })
			return b
		}},
		{"bbolt", func(t *testing.T) backends.Backend {
			b, err := bbolt.Open(filepath.Join(t.TempDir(), "cache.db"), nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = b.Close() })
			return b
		}},
		{"filesystem", func(t *testing.T) backends.Backend {
			b, err := filesystem.Open(t.TempDir(), nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = b.Close() })
			return b
		}},
		{"redis", func(t *testing.T) backends.Backend {
			return openDSN(t, backendtest.Service(t, "CACHEDHTTP_REDIS_URL")+"?prefix="+url.QueryEscape(unique("gj")+":"))
		}},
		{"redis cluster", func(t *testing.T) backends.Backend {
			return openDSN(t, "redis+cluster://"+backendtest.Service(t, "CACHEDHTTP_REDIS_CLUSTER")+"?prefix="+url.QueryEscape(unique("gj")+":"))
		}},
		{"redis sentinel", func(t *testing.T) backends.Backend {
			addrs := backendtest.Service(t, "CACHEDHTTP_REDIS_SENTINEL")
			master := backendtest.Service(t, "CACHEDHTTP_REDIS_SENTINEL_MASTER")
			return openDSN(t, "redis+sentinel://"+addrs+"/0?master="+url.QueryEscape(master)+"&prefix="+url.QueryEscape(unique("gj")+":"))
		}},
		{"memcache", func(t *testing.T) backends.Backend {
			servers := strings.Split(backendtest.Service(t, "CACHEDHTTP_MEMCACHE"), ",")
			b, err := memcache.New(servers, memcache.Options{Prefix: unique("gj") + ":"})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				_ = b.Clear(context.Background())
				_ = b.Close()
			})
			return b
		}},
		{"mongodb", func(t *testing.T) backends.Backend {
			coll := mongoDB(t).Collection(unique("gj"))
			b, err := mongodb.New(t.Context(), coll, mongodb.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				_ = b.Close()
				_ = coll.Drop(context.Background())
			})
			return b
		}},
		{"gridfs", func(t *testing.T) backends.Backend {
			db := mongoDB(t)
			bucket := unique("gj")
			b, err := gridfs.New(t.Context(), db, gridfs.Options{Bucket: bucket})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				_ = b.Close()
				_ = db.Collection(bucket + ".files").Drop(context.Background())
				_ = db.Collection(bucket + ".chunks").Drop(context.Background())
			})
			return b
		}},
		{"dynamodb", func(t *testing.T) backends.Backend {
			client := awsddb.New(awsddb.Options{
				Region:       "us-east-1",
				BaseEndpoint: aws.String(backendtest.Service(t, "CACHEDHTTP_DYNAMODB_URL")),
				Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
			})
			table := unique("gj")
			b, err := dynamodb.New(t.Context(), client, table, dynamodb.Options{CreateTable: true, WaitMinDelay: 100 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				_ = b.Close()
				_, _ = client.DeleteTable(context.Background(), &awsddb.DeleteTableInput{TableName: aws.String(table)})
			})
			return b
		}},
	}
}
