package gregjones_test

import (
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/gregjones/httpcache"

	"github.com/cachedhttp/cachedhttp"
	"github.com/cachedhttp/cachedhttp/backends/bbolt"
	"github.com/cachedhttp/cachedhttp/backends/memory"
	"github.com/cachedhttp/cachedhttp/compat/gregjones"
)

// BenchmarkImport measures Import of 1,000 gregjones records of 1 KiB
// (parse, replay through a Transport, encode, store); one op imports all of
// them, and ns/record is the cost of one.
func BenchmarkImport(b *testing.B) {
	const n = 1000
	body := make([]byte, 1024)
	c := httpcache.NewMemoryCache()
	keys := make([]string, n)
	for i := range n {
		keys[i] = fmt.Sprintf("https://example.com/items/%d", i)
		c.Set(keys[i], fmt.Appendf(nil, "HTTP/1.1 200 OK\r\nCache-Control: max-age=600\r\nContent-Length: %d\r\nDate: %s\r\n\r\n%s",
			len(body), time.Now().UTC().Format(http.TimeFormat), body))
	}
	for _, dst := range []string{"memory", "bbolt"} {
		b.Run(dst, func(b *testing.B) {
			b.ReportAllocs()
			imported := 0
			for b.Loop() {
				var opt cachedhttp.Option
				if dst == "memory" {
					m := memory.New(memory.Options{})
					defer m.Close()
					opt = cachedhttp.WithBackend(m)
				} else {
					db, err := bbolt.Open(filepath.Join(b.TempDir(), "cache.db"), nil)
					if err != nil {
						b.Fatal(err)
					}
					defer db.Close()
					opt = cachedhttp.WithBackend(db)
				}
				res, err := gregjones.Import(b.Context(), gregjones.FromCache(c, keys), gregjones.ImportOptions{
					Transport: []cachedhttp.Option{opt},
				})
				if err != nil || res.Imported != n {
					b.Fatalf("Import = %+v, %v", res, err)
				}
				imported += n
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(imported), "ns/record")
		})
	}
}
