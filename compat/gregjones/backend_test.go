package gregjones_test

import (
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gregjones/httpcache"
	"github.com/gregjones/httpcache/diskcache"
	"github.com/gregjones/httpcache/leveldbcache"

	"github.com/cachedhttp/cachedhttp"
	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/backendtest"
	"github.com/cachedhttp/cachedhttp/compat/gregjones"
)

// A Backend over gregjones' own caches passes cachedhttp's conformance
// suite, Scan aside (a gregjones Cache cannot list its keys).
func TestBackendConformance(t *testing.T) {
	caches := []struct {
		name string
		open func(t *testing.T) httpcache.Cache
	}{
		{"MemoryCache", func(*testing.T) httpcache.Cache { return httpcache.NewMemoryCache() }},
		{"diskcache", func(t *testing.T) httpcache.Cache { return diskcache.New(t.TempDir()) }},
		{"leveldbcache", func(t *testing.T) httpcache.Cache {
			c, err := leveldbcache.New(filepath.Join(t.TempDir(), "db"))
			if err != nil {
				t.Fatal(err)
			}
			return c
		}},
	}
	for _, c := range caches {
		t.Run(c.name, func(t *testing.T) {
			backendtest.Run(t, func(t *testing.T) backends.Backend {
				return gregjones.NewBackend(c.open(t), nil)
			}, backendtest.Options{ScanUnsupported: true})
		})
	}
}

// clock is a settable clock for expiry tests.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestBackendExpiryFollowsTheClock(t *testing.T) {
	clk := &clock{now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	b := gregjones.NewBackend(httpcache.NewMemoryCache(), &gregjones.BackendOptions{Now: clk.Now})
	ctx := t.Context()
	if err := b.Set(ctx, "k", []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Minute - time.Millisecond)
	if v, err := b.Get(ctx, "k"); err != nil || string(v) != "v" {
		t.Fatalf("1ms before expiry: %q, %v", v, err)
	}
	clk.Add(time.Millisecond)
	if _, err := b.Get(ctx, "k"); !errors.Is(err, backends.ErrNotFound) {
		t.Fatalf("at expiry: %v; want ErrNotFound", err)
	}
}

// A Backend and a gregjones Transport can share one Cache: the prefix keeps
// them apart, and Clear leaves the Transport's responses alone.
func TestBackendSharesACacheWithGregjones(t *testing.T) {
	shared := httpcache.NewMemoryCache()
	shared.Set("https://example.com/", []byte("HTTP/1.1 200 OK\r\n\r\n"))
	a := gregjones.NewBackend(shared, nil)
	other := gregjones.NewBackend(shared, &gregjones.BackendOptions{Prefix: "other:"})
	ctx := t.Context()
	for _, b := range []*gregjones.Backend{a, other} {
		if err := b.Set(ctx, "https://example.com/", []byte("cachedhttp"), 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Get(ctx, "https://example.com/"); !errors.Is(err, backends.ErrNotFound) {
		t.Errorf("after Clear: %v; want ErrNotFound", err)
	}
	if v, err := other.Get(ctx, "https://example.com/"); err != nil || string(v) != "cachedhttp" {
		t.Errorf("other prefix after Clear: %q, %v", v, err)
	}
	if v, ok := shared.Get("https://example.com/"); !ok || string(v) != "HTTP/1.1 200 OK\r\n\r\n" {
		t.Errorf("gregjones' own entry after Clear: %q, %v", v, ok)
	}
}

// A value cut short or mixed with another (diskcache rewrites files in
// place and diskv reads them outside its lock) is a miss, never a wrong
// value; a value a Backend did not write is an error.
func TestBackendTornAndForeignValues(t *testing.T) {
	c := httpcache.NewMemoryCache()
	b := gregjones.NewBackend(c, nil)
	ctx := t.Context()
	if err := b.Set(ctx, "k", []byte("a whole value"), 0); err != nil {
		t.Fatal(err)
	}
	whole, _ := c.Get(gregjones.DefaultPrefix + "v:k")
	mixed := append([]byte(nil), whole...)
	mixed[len(mixed)-1] ^= 1
	for _, tt := range []struct {
		name string
		v    []byte
		want error
	}{
		{"empty (truncated, not yet written)", []byte{}, backends.ErrNotFound},
		{"part of the header", whole[:10], backends.ErrNotFound},
		{"cut short", whole[:len(whole)-3], backends.ErrNotFound},
		{"mixed with another value", mixed, backends.ErrNotFound},
		{"a gregjones response", []byte("HTTP/1.1 200 OK\r\n\r\n"), gregjones.ErrInvalidEnvelope},
		{"another version", append([]byte("CHGJ\x09"), whole[5:]...), gregjones.ErrInvalidEnvelope},
	} {
		c.Set(gregjones.DefaultPrefix+"v:k", tt.v)
		if got, err := b.Get(ctx, "k"); !errors.Is(err, tt.want) {
			t.Errorf("%s: Get = %q, %v; want %v", tt.name, got, err, tt.want)
		}
	}
}

// A lost generation counter (evicted from memcached, say) must not revive
// values from before a Clear.
func TestBackendLostGenerationIsAMiss(t *testing.T) {
	c := httpcache.NewMemoryCache()
	b := gregjones.NewBackend(c, nil)
	ctx := t.Context()
	if err := b.Set(ctx, "k", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	c.Delete(gregjones.DefaultPrefix + "generation")
	if _, err := b.Get(ctx, "k"); !errors.Is(err, backends.ErrNotFound) {
		t.Errorf("Get after the generation vanished: %v; want ErrNotFound", err)
	}
	if err := b.Set(ctx, "j", []byte("w"), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get(ctx, "k"); !errors.Is(err, backends.ErrNotFound) {
		t.Errorf("old value after a new generation: %v; want ErrNotFound", err)
	}
	if v, err := b.Get(ctx, "j"); err != nil || string(v) != "w" {
		t.Errorf("new value: %q, %v", v, err)
	}
}

// A cachedhttp Transport keeps its records in a gregjones diskcache through
// a Backend, and a second Transport on the same directory serves them.
func TestTransportOverDiskcache(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=600")
		w.Write([]byte("hello " + r.URL.Path))
	})
	dir := t.TempDir()
	for i := range 2 {
		tr, err := cachedhttp.NewTransport(cachedhttp.WithBackend(gregjones.NewBackend(diskcache.New(dir), nil)))
		if err != nil {
			t.Fatal(err)
		}
		resp, body := get(t, &http.Client{Transport: tr}, o.URL+"/x")
		tr.Close()
		if body != "hello /x" {
			t.Fatalf("transport %d: body %q", i, body)
		}
		if hit := cachedhttp.Info(resp).FromCache; hit != (i == 1) {
			t.Errorf("transport %d: FromCache %v (%s)", i, hit, strings.Join(resp.Header.Values("Cache-Status"), ", "))
		}
	}
	if n := o.hits.Load(); n != 1 {
		t.Errorf("origin answered %d requests; want 1", n)
	}
}
