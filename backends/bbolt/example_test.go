package bbolt_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/bbolt"
)

func ExampleOpen() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	ctx := context.Background()

	b, err := bbolt.Open(filepath.Join(dir, "http-cache.db"), &bbolt.Options{MaxBytes: 256 << 20})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close()
	_ = b.Set(ctx, "greeting", []byte("hello"), time.Hour)
	v, err := b.Get(ctx, "greeting")
	fmt.Println(string(v), err)
	// Output: hello <nil>
}

func ExampleBackend_Sweep() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	ctx := context.Background()
	b, err := bbolt.Open(filepath.Join(dir, "http-cache.db"), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close()
	_ = b.Set(ctx, "short-lived", []byte("v"), time.Nanosecond)
	_ = b.Set(ctx, "kept", []byte("v"), 0)
	time.Sleep(time.Millisecond)
	n, err := b.Sweep(ctx)
	fmt.Println(n, err)
	// Output: 1 <nil>
}

func Example_dsn() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	b, err := backends.Open(context.Background(), "bbolt://"+filepath.Join(dir, "cache.db")+"?timeout=2s&max_bytes=268435456&nosync=true")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close()
	fmt.Printf("%T\n", b)
	// Output: *bbolt.Backend
}

// Compact shrinks a file after many of its entries went: here 900 of
// 1,000 values expire, and the file is copied without them.
func ExampleCompact() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	ctx := context.Background()
	path := filepath.Join(dir, "http-cache.db")

	b, err := bbolt.Open(path, &bbolt.Options{NoSync: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	value := make([]byte, 1000)
	for i := range 1000 {
		ttl := time.Hour
		if i%10 != 0 {
			ttl = time.Nanosecond // expired at once
		}
		_ = b.Set(ctx, fmt.Sprint("key-", i), value, ttl)
	}
	_ = b.Close()

	c, err := bbolt.Compact(ctx, path, nil) // no other handle may be open
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("expired:", c.Expired, "smaller:", c.After < c.Before/4)
	// Output: expired: 900 smaller: true
}
