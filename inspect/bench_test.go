package inspect_test

import (
	"io"
	"net/http"
	"strconv"
	"testing"
)

// BenchmarkEntriesPage measures a listing page, which decodes every record
// of the store (bbolt) to filter, sort and count them.
func BenchmarkEntriesPage(b *testing.B) {
	for _, n := range []int{300, 2000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			f := newFixture(b, n, nil)
			b.ReportAllocs()
			for b.Loop() {
				resp, err := http.Get(f.base + "?host=api.example.test&sort=largest")
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
}
