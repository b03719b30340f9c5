package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp"
	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/backendtest"
)

// TestMigrateToRedis migrates a bbolt cache into Redis (a store with native
// TTLs) and reads it back through a Session. It needs a Redis server
// (CACHEDHTTP_REDIS_URL, set by `make test`).
func TestMigrateToRedis(t *testing.T) {
	redisURL := backendtest.Service(t, "CACHEDHTTP_REDIS_URL")
	to := redisURL + "?prefix=" + url.QueryEscape(fmt.Sprintf("cmd-migrate-%d:", time.Now().UnixNano()))
	t.Cleanup(func() {
		b, err := backends.Open(context.Background(), to)
		if err == nil {
			b.Clear(context.Background())
			b.Close()
		}
	})
	const n = 10
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) { cacheable("redis "+r.URL.Path)(w, r) })
	from := tempDSN(t)
	sess, err := open(from)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		fetch(t, sess.Client, fmt.Sprintf("%s/%d", o.URL, i))
	}
	sess.Close()

	mustRun(t, "migrate", "-from", from, "-to", to)

	sess, err = open(to)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	for i := range n {
		req, _ := http.NewRequestWithContext(cachedhttp.OnlyIfCached(context.Background()), http.MethodGet, fmt.Sprintf("%s/%d", o.URL, i), nil)
		resp, err := sess.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != fmt.Sprintf("redis /%d", i) || !cachedhttp.Info(resp).FromCache {
			t.Errorf("%d: %s %q", i, resp.Status, body)
		}
	}
	// Redis holds each record with a TTL, as bbolt did.
	b := sess.Cache.Backend()
	entries := 0
	for e, err := range b.Scan(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		entries++
		if e.Expires.IsZero() {
			t.Errorf("%s has no TTL in Redis", e.Key)
		}
	}
	if entries != n {
		t.Errorf("Redis holds %d entries, want %d", entries, n)
	}
}
