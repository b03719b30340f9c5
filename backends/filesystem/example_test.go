package filesystem_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/filesystem"
)

func ExampleOpen() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	ctx := context.Background()

	b, err := filesystem.Open(filepath.Join(dir, "http-cache"), &filesystem.Options{MaxEntries: 10000})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close()
	_ = b.Set(ctx, "greeting", []byte("hello"), time.Hour)
	v, err := b.Get(ctx, "greeting")
	fmt.Println(string(v), err)
	rel, _ := filepath.Rel(b.Dir(), b.File("greeting"))
	fmt.Println(rel)
	// Output:
	// hello <nil>
	// 18/f6/18f6b0200b6fd32ce4e85b6c841f72247964195b8e1cd7c52e046dc51e48f779
}

func Example_dsn() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	b, err := backends.Open(context.Background(), "file://"+filepath.Join(dir, "http-cache")+"?max_bytes=1073741824&max_entries=100000")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close()
	fmt.Printf("%T\n", b)
	// Output: *filesystem.Backend
}
