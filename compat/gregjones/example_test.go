package gregjones_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/gregjones/httpcache"
	"github.com/gregjones/httpcache/diskcache"

	"github.com/cachedhttp/cachedhttp"
	"github.com/cachedhttp/cachedhttp/backends/bbolt"
	"github.com/cachedhttp/cachedhttp/compat/gregjones"
)

// exampleOrigin is a server whose responses may be cached for ten minutes.
func exampleOrigin() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=600")
		fmt.Fprintf(w, "hello from %s", r.URL.Path)
	}))
}

func fetch(c *http.Client, url string) *http.Response {
	resp, err := c.Get(url)
	if err != nil {
		log.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body) // gregjones stores a response once its body is read
	resp.Body.Close()
	return resp
}

// Moving from httpcache.NewTransport(cache) to cachedhttp, keeping what the
// old cache holds: import its directory once, then use cachedhttp.
func Example_migrate() {
	origin := exampleOrigin()
	defer origin.Close()
	dir, _ := os.MkdirTemp("", "gregjones")
	defer os.RemoveAll(dir)

	// Before: gregjones/httpcache with a diskcache directory.
	before := httpcache.NewTransport(diskcache.New(filepath.Join(dir, "httpcache"))).Client()
	fetch(before, origin.URL+"/items")
	fmt.Println("before:", fetch(before, origin.URL+"/items").Header.Get("X-From-Cache"))

	// Once: import the directory. diskcache names files by the MD5 of the
	// URL, so the URLs to keep are listed (a log, a sitemap, ...).
	keys, err := gregjones.KeysForURLs([]string{origin.URL + "/items"})
	if err != nil {
		log.Fatal(err)
	}
	src, err := gregjones.OpenDisk(filepath.Join(dir, "httpcache"), keys)
	if err != nil {
		log.Fatal(err)
	}
	defer src.Close()
	db := "bbolt://" + filepath.ToSlash(filepath.Join(dir, "http_cache.db"))
	res, err := gregjones.Import(context.Background(), src, gregjones.ImportOptions{
		Transport: []cachedhttp.Option{cachedhttp.WithBackendDSN(db)}, // and the options your Transport uses
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("imported:", res.Imported)

	// After: cachedhttp, already warm.
	sess, err := cachedhttp.NewSession(cachedhttp.WithBackendDSN(db))
	if err != nil {
		log.Fatal(err)
	}
	defer sess.Close()
	resp := fetch(sess.Client, origin.URL+"/items")
	fmt.Println("after:", cachedhttp.Info(resp).FromCache)
	// Output:
	// before: 1
	// imported: 1
	// after: true
}

// Keeping a gregjones store (here diskcache; leveldbcache, memcache and
// redis work alike) behind cachedhttp.
func ExampleNewBackend() {
	origin := exampleOrigin()
	defer origin.Close()
	dir, _ := os.MkdirTemp("", "gregjones")
	defer os.RemoveAll(dir)

	store := gregjones.NewBackend(diskcache.New(dir), nil)
	t, err := cachedhttp.NewTransport(cachedhttp.WithBackend(store))
	if err != nil {
		log.Fatal(err)
	}
	defer t.Close()
	client := &http.Client{Transport: t}
	for range 2 {
		fmt.Println("from cache:", cachedhttp.Info(fetch(client, origin.URL+"/a")).FromCache)
	}
	// Output:
	// from cache: false
	// from cache: true
}

// A cachedhttp backend (here bbolt; Redis, MongoDB, DynamoDB, memcached and
// the others work alike) behind gregjones' Transport.
func ExampleNewCache() {
	origin := exampleOrigin()
	defer origin.Close()
	dir, _ := os.MkdirTemp("", "gregjones")
	defer os.RemoveAll(dir)

	db, err := bbolt.Open(filepath.Join(dir, "cache.db"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	client := httpcache.NewTransport(gregjones.NewCache(db, nil)).Client()
	for range 2 {
		fmt.Printf("X-From-Cache: %q\n", fetch(client, origin.URL+"/b").Header.Get("X-From-Cache"))
	}
	// Output:
	// X-From-Cache: ""
	// X-From-Cache: "1"
}

// Reading one record a gregjones Transport stored.
func ExampleParseRecord() {
	data := []byte("HTTP/1.1 200 OK\r\n" +
		"Cache-Control: max-age=60\r\n" +
		"Content-Length: 5\r\n" +
		"Date: Mon, 02 Jan 2006 15:04:05 GMT\r\n" +
		"Vary: Accept\r\n" +
		"X-Varied-Accept: application/json\r\n" +
		"\r\nhello")
	rec, err := gregjones.ParseRecord(gregjones.Entry{Key: "https://example.com/a", Data: data})
	if err != nil {
		log.Fatal(err)
	}
	r := rec.Response
	fmt.Println(r.Request.Method, r.Request.URL, r.Request.Header)
	fmt.Println(r.StatusCode, string(r.Body), r.Header.Get("X-Varied-Accept") == "")
	fmt.Println(r.ResponseTime.UTC(), r.Expires.UTC())
	// Output:
	// GET https://example.com/a map[Accept:[application/json]]
	// 200 hello true
	// 2006-01-02 15:04:05 +0000 UTC 2006-01-02 15:05:05 +0000 UTC
}
