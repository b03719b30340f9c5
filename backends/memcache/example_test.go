package memcache_test

import (
	"context"
	"fmt"
	"time"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/memcache"
)

// A backend on two memcached servers started with -I 2m.
func ExampleNew() {
	b, err := memcache.New([]string{"10.0.0.1:11211", "10.0.0.2:11211"}, memcache.Options{
		Prefix:  "myapp:",
		MaxItem: 2 << 20,
		Timeout: time.Second,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close()
	// A 5 MiB value is stored as a manifest and three chunks.
	_ = b.Set(context.Background(), "key", make([]byte, 5<<20), time.Hour)
}

// The same backend from a DSN.
func Example_dsn() {
	b, err := backends.Open(context.Background(), "memcache://10.0.0.1:11211,10.0.0.2:11211?prefix=myapp:&max_item=2m&timeout=1s")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close()
}
