package filesystem

import (
	"os"
	"testing"

	"github.com/cachedhttp/cachedhttp/backends"
)

// Corrupt truncates the entry file of key in b (a *Backend) by one byte, as
// a crash without Options.Sync can leave it (backendtest's
// Options.Corrupt).
func Corrupt(t *testing.T, b backends.Backend, key string) {
	t.Helper()
	path, _ := b.(*Backend).locate(key)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, fi.Size()-1); err != nil {
		t.Fatal(err)
	}
}
