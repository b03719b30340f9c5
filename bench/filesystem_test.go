package bench

import (
	"testing"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/filesystem"
)

func init() {
	extraImpls = append(extraImpls, cachedhttpImpl("cachedhttp-filesystem", true, func(tb testing.TB, dir string) (backends.Backend, func() error) {
		be, err := filesystem.Open(dir, nil)
		if err != nil {
			tb.Fatal(err)
		}
		return be, nil
	}))
}
