package cachedhttp

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/cachedhttp/cachedhttp/models"
	"github.com/cachedhttp/cachedhttp/policy"
)

func recOf(body string) *models.Response {
	return &models.Response{StatusCode: 200, Header: http.Header{"Cache-Control": {"max-age=60"}}, Body: []byte(body)}
}

// TestRecCacheCurrentAtItsCount: a record is current only while the
// backend's write count is the one it was read at; a later read of the same
// bytes at a new count makes it current again, and new bytes under the key
// replace it.
func TestRecCacheCurrentAtItsCount(t *testing.T) {
	c := newRecCache(1<<20, &policy.Policy{})
	data := []byte("bytes v1")
	d1 := c.put("k", data, recOf("v1"), 7, true)
	if got := c.current("k", 7); got != d1 {
		t.Fatalf("current at the count read = %p, want %p", got, d1)
	}
	if got := c.current("k", 8); got != nil {
		t.Fatal("current after another write answered")
	}
	if got := c.get("k", []byte("bytes v1"), 8, true); got != d1 {
		t.Fatal("the same bytes read at count 8 were not recognised")
	}
	if got := c.current("k", 8); got != d1 {
		t.Fatal("not current at the count of the last read of the same bytes")
	}
	d2 := c.put("k", []byte("bytes v2"), recOf("v2"), 9, true)
	if got := c.current("k", 9); got != d2 {
		t.Fatalf("after new bytes, current = %p, want the new record %p", got, d2)
	}
	if got := c.get("k", data, 9, true); got != nil {
		t.Fatal("the old bytes still answer")
	}
	if got := c.current("k", 8); got != nil {
		t.Fatal("the replaced record answers at its old count")
	}
	// Unversioned: never current.
	c.put("u", []byte("x"), recOf("u"), 0, false)
	if c.current("u", 0) != nil {
		t.Fatal("an unversioned record was current")
	}
}

// TestRecCacheConcurrent: current, get and put on a few keys from several
// goroutines (run under -race): current answers nil or a record of its own
// key read at the count asked.
func TestRecCacheConcurrent(t *testing.T) {
	c := newRecCache(1<<20, &policy.Policy{})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				k := fmt.Sprintf("k%d", i%3)
				ver := uint64(i / 50)
				switch (g + i) % 3 {
				case 0:
					c.put(k, []byte(k+fmt.Sprint(ver)), recOf(k), ver, true)
				case 1:
					c.get(k, []byte(k+fmt.Sprint(ver)), ver, true)
				default:
					if d := c.current(k, ver); d != nil && string(d.rec().Body) != k {
						t.Errorf("current(%s) gave the record of %s", k, d.rec().Body)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
}
