package memory_test

import (
	"context"
	"fmt"
	"time"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/memory"
)

func ExampleNew() {
	ctx := context.Background()
	// At most 1,000 entries and 16 MiB of keys and values.
	b := memory.New(memory.Options{MaxEntries: 1000, MaxBytes: 16 << 20})
	defer b.Close()
	_ = b.Set(ctx, "greeting", []byte("hello"), time.Minute)
	v, err := b.Get(ctx, "greeting")
	fmt.Println(string(v), err)
	// Output: hello <nil>
}

func Example_dsn() {
	b, err := backends.Open(context.Background(), "memory://?max_entries=1000&max_bytes=16777216")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close()
	fmt.Printf("%T\n", b)
	// Output: *memory.Backend
}
