package gregjones_test

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gregjones/httpcache"
	httpcachetest "github.com/gregjones/httpcache/test"

	"github.com/cachedhttp/cachedhttp/backends/memory"
	"github.com/cachedhttp/cachedhttp/compat/gregjones"
)

// gregjones' own test for Cache implementations passes against a Cache over
// every cachedhttp backend.
func TestCacheConformance(t *testing.T) {
	for _, s := range stores() {
		t.Run(s.name, func(t *testing.T) {
			httpcachetest.Cache(t, gregjones.NewCache(s.open(t), nil))
		})
	}
}

// origin is an httptest server that counts the requests it answers.
type origin struct {
	*httptest.Server
	hits atomic.Int64
}

func newOrigin(t *testing.T, h http.HandlerFunc) *origin {
	t.Helper()
	o := &origin{}
	o.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.hits.Add(1)
		h(w, r)
	}))
	t.Cleanup(o.Close)
	return o
}

func get(t *testing.T, c *http.Client, u string, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: body: %v", u, err)
	}
	return resp, string(b)
}

// A gregjones Transport keeps its responses in every cachedhttp backend
// through a Cache and answers the second request from it, bodies larger
// than a memcached item or a DynamoDB item included.
func TestGregjonesTransportOverEveryBackend(t *testing.T) {
	big := strings.Repeat("0123456789abcdef", 96<<10) // 1.5 MiB
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=600")
		if r.URL.Path == "/big" {
			io.WriteString(w, big)
			return
		}
		fmt.Fprintf(w, "body of %s", r.URL.Path)
	})
	for _, s := range stores() {
		t.Run(s.name, func(t *testing.T) {
			client := httpcache.NewTransport(gregjones.NewCache(s.open(t), nil)).Client()
			for _, path := range []string{"/small", "/big"} {
				before := o.hits.Load()
				_, want := get(t, client, o.URL+path)
				resp, body := get(t, client, o.URL+path)
				if body != want || resp.Header.Get(httpcache.XFromCache) != "1" {
					t.Errorf("%s: second GET: X-From-Cache %q, body of %d bytes (want %d)", path, resp.Header.Get(httpcache.XFromCache), len(body), len(want))
				}
				if n := o.hits.Load() - before; n != 1 {
					t.Errorf("%s: origin answered %d requests; want 1", path, n)
				}
			}
		})
	}
}

func TestCacheTTL(t *testing.T) {
	b := memory.New(memory.Options{})
	defer b.Close()
	c := gregjones.NewCache(b, &gregjones.CacheOptions{TTL: time.Hour})
	before := time.Now()
	c.Set("https://example.com/", []byte("v"))
	for e, err := range b.Scan(t.Context()) {
		if err != nil {
			t.Fatal(err)
		}
		if e.Expires.Before(before.Add(time.Hour-time.Second)) || e.Expires.After(time.Now().Add(time.Hour+time.Second)) {
			t.Errorf("entry expires %v; want an hour after %v", e.Expires, before)
		}
	}
	if v, ok := c.Get("https://example.com/"); !ok || string(v) != "v" {
		t.Errorf("Get = %q, %v", v, ok)
	}
}

// The Cache interface has no errors: a failing backend reads as a miss and
// its errors go to the logger.
func TestCacheLogsBackendErrors(t *testing.T) {
	b := memory.New(memory.Options{})
	var logs bytes.Buffer
	c := gregjones.NewCache(b, &gregjones.CacheOptions{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	c.Set("k", []byte("v"))
	b.Close()
	if _, ok := c.Get("k"); ok {
		t.Error("Get on a closed backend reported a hit")
	}
	c.Set("k", []byte("v"))
	c.Delete("k")
	for _, op := range []string{"get failed", "set failed", "delete failed"} {
		if !strings.Contains(logs.String(), op) {
			t.Errorf("log lacks %q:\n%s", op, logs.String())
		}
	}
	// A plain miss is not an error.
	logs.Reset()
	b2 := memory.New(memory.Options{})
	defer b2.Close()
	c2 := gregjones.NewCache(b2, &gregjones.CacheOptions{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if _, ok := c2.Get("missing"); ok || logs.Len() != 0 {
		t.Errorf("miss: ok=%v, log %q", ok, logs.String())
	}
}
