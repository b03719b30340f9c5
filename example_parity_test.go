package cachedhttp_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/cachedhttp/cachedhttp"
	"github.com/cachedhttp/cachedhttp/backends/memory"
)

// Offline: WithOnlyIfCached answers every request from the cache (stale too,
// when stale-if-error allows it) and never contacts the origin; what is not
// stored is a 504.
func ExampleWithOnlyIfCached() {
	origin := exampleOrigin()
	defer origin.Close()
	store := memory.New(memory.Options{})
	online, _ := cachedhttp.NewTransport(cachedhttp.WithBackend(store))
	get(&http.Client{Transport: online}, origin.URL+"/stored")
	online.Close() // flushes the write

	offline, err := cachedhttp.NewTransport(cachedhttp.WithBackend(store), cachedhttp.WithOnlyIfCached(),
		cachedhttp.WithStaleIfError(time.Hour))
	if err != nil {
		log.Fatal(err)
	}
	defer offline.Close()
	c := &http.Client{Transport: offline}
	for _, p := range []string{"/stored", "/never-fetched"} {
		resp, _ := c.Get(origin.URL + p)
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		fmt.Println(p, resp.StatusCode, cachedhttp.Info(resp).FromCache)
	}
	// Output:
	// /stored 200 true
	// /never-fetched 504 false
}

// Redirects: with the user's expiry (session-wide or a URL rule), each hop
// of a redirect chain is stored, so repeating the request for the first URL
// makes no network request.
func ExampleWithURLRule_redirects() {
	hits := 0
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		if r.URL.Path == "/old" {
			http.Redirect(w, r, "/new", http.StatusFound)
			return
		}
		fmt.Fprint(w, "the new place")
	}))
	defer origin.Close()
	tr, _ := cachedhttp.NewTransport(cachedhttp.WithURLRule("*", time.Hour))
	defer tr.Close()
	c := &http.Client{Transport: tr}
	for range 2 {
		fmt.Println(get(c, origin.URL+"/old"), hits)
	}
	// Output:
	// the new place 2
	// the new place 2
}

// The maintenance API: ask what is stored, list by filter, delete by age,
// give everything a new lifetime.
func ExampleTransport_Find() {
	origin := exampleOrigin()
	defer origin.Close()
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	tr, _ := cachedhttp.NewTransport(cachedhttp.WithClock(clock), cachedhttp.WithWriteQueue(0))
	defer tr.Close()
	c := &http.Client{Transport: tr}
	get(c, origin.URL+"/a")
	now = now.Add(2 * time.Minute) // /a is stale now
	get(c, origin.URL+"/b")

	ctx := context.Background()
	ok, _ := tr.ContainsURL(ctx, origin.URL+"/a", nil)
	fmt.Println("contains /a:", ok)
	for r := range tr.Find(ctx, cachedhttp.Filter{Expired: true}) {
		fmt.Println("expired:", r.Response.Request.URL[len(origin.URL):])
	}
	n, _ := tr.ResetExpiration(ctx, time.Hour)
	fmt.Println("reset:", n)
	n, _ = tr.DeleteOlderThan(ctx, time.Minute)
	fmt.Println("deleted older than a minute:", n)
	// Output:
	// contains /a: true
	// expired: /a
	// reset: 2
	// deleted older than a minute: 1
}

func get(c *http.Client, u string) string {
	resp, err := c.Get(u)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
