package cachedhttp_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cachedhttp/cachedhttp"
	"github.com/cachedhttp/cachedhttp/backends/memory"
)

// exampleOrigin stands in for a slow API: every answer is fresh for a minute.
func exampleOrigin() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		fmt.Fprintf(w, "hello from %s", r.URL.Path)
	}))
}

// The quick start: a Session is an *http.Client whose cache lives in a bbolt
// file (http_cache.db in the working directory unless WithSessionPath says
// otherwise).
func Example() {
	origin := exampleOrigin()
	defer origin.Close()
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)

	sess, err := cachedhttp.NewSession(cachedhttp.WithSessionPath(filepath.Join(dir, "http_cache.db")))
	if err != nil {
		log.Fatal(err)
	}
	defer sess.Close()

	for range 2 {
		resp, err := sess.Get(origin.URL + "/greeting")
		if err != nil {
			log.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Printf("%s (from cache: %v)\n", body, cachedhttp.Info(resp).FromCache)
	}
	// Output:
	// hello from /greeting (from cache: false)
	// hello from /greeting (from cache: true)
}

// A Transport goes into any http.Client; it wraps http.DefaultTransport
// unless WithTransport says otherwise.
func ExampleNewTransport() {
	origin := exampleOrigin()
	defer origin.Close()

	t, err := cachedhttp.NewTransport(
		cachedhttp.WithBackend(memory.New(memory.Options{MaxBytes: 64 << 20})),
		cachedhttp.WithExpireAfter(time.Hour), // for responses without caching headers
	)
	if err != nil {
		log.Fatal(err)
	}
	defer t.Close()
	client := &http.Client{Transport: t, Timeout: 10 * time.Second}

	for range 2 {
		resp, err := client.Get(origin.URL + "/a")
		if err != nil {
			log.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body) // stored once read to the end
		resp.Body.Close()
	}
	resp, _ := client.Get(origin.URL + "/a")
	resp.Body.Close()
	// Cache-Status is "cachedhttp; hit; ttl=<seconds of freshness left>".
	status, _, _ := strings.Cut(resp.Header.Get("Cache-Status"), "; ttl=")
	fmt.Println(status)
	// Output:
	// cachedhttp; hit
}

// Per-URL rules are tried in order and the first match wins; globs match
// host+path as requests-cache's urls_expire_after does.
func ExampleWithURLRule() {
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "no caching headers here")
	}))
	defer origin.Close()

	t, _ := cachedhttp.NewTransport(
		cachedhttp.WithURLRule("*/static/*", cachedhttp.NeverExpire),
		cachedhttp.WithURLRule("*/api/*", 5*time.Minute),
		cachedhttp.WithURLRule("*/live/*", cachedhttp.DoNotCache),
	)
	defer t.Close()
	client := &http.Client{Transport: t}
	for _, path := range []string{"/static/app.js", "/api/items", "/live/feed"} {
		r1, _ := client.Get(origin.URL + path)
		io.Copy(io.Discard, r1.Body)
		r1.Body.Close()
		r2, _ := client.Get(origin.URL + path)
		r2.Body.Close()
		fmt.Printf("%-15s second request from cache: %v\n", path, cachedhttp.Info(r2).FromCache)
	}
	// Output:
	// /static/app.js  second request from cache: true
	// /api/items      second request from cache: true
	// /live/feed      second request from cache: false
}

// Per-request controls travel in the request's context.
func ExampleOnlyIfCached() {
	origin := exampleOrigin()
	defer origin.Close()
	t, _ := cachedhttp.NewTransport()
	defer t.Close()
	client := &http.Client{Transport: t}

	ctx := cachedhttp.OnlyIfCached(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, origin.URL+"/report", nil)
	resp, _ := client.Do(req)
	resp.Body.Close()
	fmt.Println("offline, nothing stored:", resp.StatusCode)

	resp, _ = client.Get(origin.URL + "/report")
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()

	resp, _ = client.Do(req)
	resp.Body.Close()
	fmt.Println("offline, stored:", resp.StatusCode)

	// Refresh revalidates, ForceRefresh refetches, Bypass skips the cache,
	// ExpireAfter sets this request's lifetime.
	req, _ = http.NewRequestWithContext(cachedhttp.ForceRefresh(context.Background()), http.MethodGet, origin.URL+"/report", nil)
	resp, _ = client.Do(req)
	resp.Body.Close()
	fmt.Println("force refresh from cache:", cachedhttp.Info(resp).FromCache)
	// Output:
	// offline, nothing stored: 504
	// offline, stored: 200
	// force refresh from cache: false
}
