package redis_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"strings"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/backendtest"
	"github.com/cachedhttp/cachedhttp/backends/redis"
)

// mode names one way of reaching Redis, with the environment variable that
// holds its address and the constructor of its client.
type mode struct {
	name   string
	env    string
	client func(t testing.TB, addr string) goredis.UniversalClient
}

var modes = []mode{
	{"single", "CACHEDHTTP_REDIS_URL", singleClient},
	{"cluster", "CACHEDHTTP_REDIS_CLUSTER", clusterClient},
	{"sentinel", "CACHEDHTTP_REDIS_SENTINEL", sentinelClient},
	{"ring", "CACHEDHTTP_REDIS_URL", ringClient},
}

func singleClient(t testing.TB, url string) goredis.UniversalClient {
	t.Helper()
	o, err := goredis.ParseURL(url)
	if err != nil {
		t.Fatalf("parse %s: %v", url, err)
	}
	c := goredis.NewClient(o)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// ringClient returns a Ring of two shards on the one server of url,
// databases 0 and 1, so that keys spread over two keyspaces.
func ringClient(t testing.TB, url string) goredis.UniversalClient {
	t.Helper()
	o, err := goredis.ParseURL(url)
	if err != nil {
		t.Fatalf("parse %s: %v", url, err)
	}
	// The shard addresses carry the database ("host:port/1"), so that every
	// Ring built here maps a shard name to the same database.
	c := goredis.NewRing(&goredis.RingOptions{
		Addrs: map[string]string{"shard0": o.Addr + "/0", "shard1": o.Addr + "/1"},
		NewClient: func(opt *goredis.Options) *goredis.Client {
			addr, db, _ := strings.Cut(opt.Addr, "/")
			opt.Addr = addr
			opt.DB, _ = strconv.Atoi(db)
			return goredis.NewClient(opt)
		},
	})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func clusterClient(t testing.TB, addrs string) goredis.UniversalClient {
	t.Helper()
	c := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: strings.Split(addrs, ",")})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func sentinelClient(t testing.TB, addrs string) goredis.UniversalClient {
	t.Helper()
	master := backendtest.Service(t, "CACHEDHTTP_REDIS_SENTINEL_MASTER")
	c := goredis.NewFailoverClient(&goredis.FailoverOptions{
		MasterName:    master,
		SentinelAddrs: strings.Split(addrs, ","),
	})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// connect returns a client of mode m, skipping (or failing under make test)
// when its server is not configured.
func (m mode) connect(t testing.TB) goredis.UniversalClient {
	t.Helper()
	return m.client(t, backendtest.Service(t, m.env))
}

// uniquePrefix returns a fresh namespace so that tests sharing a server do
// not see each other's keys.
func uniquePrefix(t testing.TB) string {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "cachedhttp-test:" + hex.EncodeToString(b[:]) + ":"
}

// newBackend returns a Backend on client under prefix (a fresh one when
// prefix is empty), cleared and closed when the test ends.
func newBackend(t testing.TB, client goredis.UniversalClient, prefix string) *redis.Backend {
	t.Helper()
	if prefix == "" {
		prefix = uniquePrefix(t)
	}
	b, err := redis.New(client, redis.Options{Prefix: prefix})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		// b may be closed already; clear through a second backend on the
		// same client and namespace.
		if c, err := redis.New(client, redis.Options{Prefix: prefix}); err == nil {
			_ = c.Clear(context.Background())
		}
		_ = b.Close()
	})
	return b
}

// factory adapts newBackend to the conformance suite's factory.
func (m mode) factory(t *testing.T) backends.Backend {
	t.Helper()
	return newBackend(t, m.connect(t), "")
}
