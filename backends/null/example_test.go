package null_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/cachedhttp/cachedhttp/backends"
	_ "github.com/cachedhttp/cachedhttp/backends/null"
)

// Example_dsn turns caching off from configuration.
func Example_dsn() {
	ctx := context.Background()
	b, err := backends.Open(ctx, "null://")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close()
	_ = b.Set(ctx, "k", []byte("v"), 0)
	_, err = b.Get(ctx, "k")
	fmt.Println(errors.Is(err, backends.ErrNotFound))
	// Output: true
}
