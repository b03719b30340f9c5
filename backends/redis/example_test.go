package redis_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/redis"
)

// A backend on a client you configure yourself: TLS, pool size, timeouts.
func ExampleNew() {
	client := goredis.NewClient(&goredis.Options{
		Addr:      "cache.internal:6380",
		TLSConfig: &tls.Config{MinVersion: tls.VersionTLS12},
		PoolSize:  32,
	})
	defer client.Close() // the caller owns the client unless Options.CloseClient is set

	b, err := redis.New(client, redis.Options{Prefix: "myapp:http:"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close()
	_ = b.Set(context.Background(), "key", []byte("value"), time.Hour)
}

// A backend on a Redis Cluster, from a DSN.
func Example_cluster() {
	ctx := context.Background()
	b, err := backends.Open(ctx, "redis+cluster://10.0.0.1:7000,10.0.0.2:7000,10.0.0.3:7000?prefix=myapp:")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close()
	for e, err := range b.Scan(ctx) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(e.Key, e.Size, e.Expires)
	}
}

// A backend on the primary a set of sentinels names; it follows failovers.
func Example_sentinel() {
	b, err := backends.Open(context.Background(),
		"redis+sentinel://:password@10.0.0.1:26379,10.0.0.2:26379/0?master=mymaster&prefix=myapp:")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close()
}

// go-redis's own log lines (failed dials, sentinel and cluster topology
// changes) go to the program's logger instead of standard error; the DSN
// bounds every wait (here tighter than the defaults).
func ExampleSetLogger() {
	redis.SetLogger(slog.Default().With("component", "http-cache"))

	b, err := backends.Open(context.Background(),
		"redis://127.0.0.1:6379/0?prefix=myapp:&dial_timeout=500ms&read_timeout=200ms&write_timeout=200ms")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close()
}
