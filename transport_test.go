package cachedhttp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/memory"
)

// fakeClock is the injected clock of these tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Now().UTC().Truncate(time.Second)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// origin is an httptest server that counts its hits and stamps Date from
// the fake clock.
type origin struct {
	*httptest.Server
	hits atomic.Int64
	mu   sync.Mutex
	reqs []*http.Request
}

func newOrigin(t *testing.T, clk *fakeClock, h http.HandlerFunc) *origin {
	t.Helper()
	o := &origin{}
	o.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.hits.Add(1)
		o.mu.Lock()
		o.reqs = append(o.reqs, r.Clone(context.Background()))
		o.mu.Unlock()
		w.Header().Set("Date", clk.Now().Format(http.TimeFormat))
		h(w, r)
	}))
	t.Cleanup(o.Close)
	return o
}

func (o *origin) last() *http.Request {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.reqs[len(o.reqs)-1]
}

type harness struct {
	t   *testing.T
	clk *fakeClock
	o   *origin
	tr  *Transport
	be  backends.Backend
	c   *http.Client
}

func newHarness(t *testing.T, h http.HandlerFunc, opts ...Option) *harness {
	t.Helper()
	return newHarnessWith(t, memory.New(memory.Options{}), h, opts...)
}

// newHarnessWith is newHarness over the backend be, which it closes.
func newHarnessWith(t *testing.T, be backends.Backend, h http.HandlerFunc, opts ...Option) *harness {
	t.Helper()
	clk := newClock()
	o := newOrigin(t, clk, h)
	all := append([]Option{WithBackend(be), WithClock(clk.Now)}, opts...)
	tr, err := NewTransport(all...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close(); be.Close() })
	return &harness{t: t, clk: clk, o: o, tr: tr, be: be, c: &http.Client{Transport: tr}}
}

type result struct {
	resp *http.Response
	body string
	info CacheInfo
}

func (h *harness) do(req *http.Request) result {
	h.t.Helper()
	resp, err := h.c.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatalf("read body: %v", err)
	}
	info := Info(resp)
	resp.Body.Close()
	return result{resp: resp, body: string(b), info: info}
}

func (h *harness) get(path string, hdr ...string) result {
	h.t.Helper()
	return h.getCtx(context.Background(), path, hdr...)
}

func (h *harness) getCtx(ctx context.Context, path string, hdr ...string) result {
	h.t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, h.o.URL+path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	return h.do(req)
}

func (h *harness) wantHits(n int64) {
	h.t.Helper()
	if got := h.o.hits.Load(); got != n {
		h.t.Fatalf("origin hits = %d, want %d", got, n)
	}
}

func wantStatus(t *testing.T, r result, prefix string) {
	t.Helper()
	got := r.resp.Header.Get("Cache-Status")
	if !strings.HasPrefix(got, prefix) {
		t.Fatalf("Cache-Status = %q, want prefix %q", got, prefix)
	}
}

// counter serves a body that changes on every origin hit.
func counter(cc string, extra ...string) http.HandlerFunc {
	var n atomic.Int64
	return func(w http.ResponseWriter, r *http.Request) {
		if cc != "" {
			w.Header().Set("Cache-Control", cc)
		}
		for i := 0; i+1 < len(extra); i += 2 {
			w.Header().Set(extra[i], extra[i+1])
		}
		fmt.Fprintf(w, "response %d", n.Add(1))
	}
}

func TestMissThenHit(t *testing.T) {
	h := newHarness(t, counter("max-age=60"))
	r1 := h.get("/a")
	wantStatus(t, r1, "cachedhttp; fwd=uri-miss; fwd-status=200; stored; ttl=60")
	if r1.info.FromCache {
		t.Fatal("first response claims to come from the cache")
	}
	h.clk.Advance(10 * time.Second)
	r2 := h.get("/a")
	h.wantHits(1)
	if r2.body != r1.body {
		t.Fatalf("hit body %q, want %q", r2.body, r1.body)
	}
	wantStatus(t, r2, "cachedhttp; hit; ttl=50")
	if got := r2.resp.Header.Get("Age"); got != "10" {
		t.Fatalf("RFC9111 5.1 Age = %q, want 10", got)
	}
	if !r2.info.FromCache || r2.info.Key == "" || r2.info.Created.IsZero() || r2.info.Expires.IsZero() {
		t.Fatalf("Info = %+v", r2.info)
	}
	if r2.resp.Request == nil || r2.resp.Request.URL.Path != "/a" {
		t.Fatal("resp.Request is not the caller's request")
	}
}

func TestRFC9111_4_2_StaleIsRefetched(t *testing.T) {
	h := newHarness(t, counter("max-age=60"))
	h.get("/a")
	h.clk.Advance(61 * time.Second)
	r := h.get("/a")
	h.wantHits(2)
	wantStatus(t, r, "cachedhttp; fwd=stale")
	if r.body != "response 2" {
		t.Fatalf("body %q", r.body)
	}
}

func etagHandler(cc string) http.HandlerFunc {
	var n atomic.Int64
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", cc)
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("X-Seen", fmt.Sprint(n.Add(1)))
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		io.WriteString(w, "etag body")
	}
}

func TestRFC9111_4_3_RevalidationWith304(t *testing.T) {
	h := newHarness(t, etagHandler("max-age=10"))
	h.get("/e")
	h.clk.Advance(20 * time.Second)
	r := h.get("/e")
	h.wantHits(2)
	if got := h.o.last().Header.Get("If-None-Match"); got != `"v1"` {
		t.Fatalf("RFC9111 4.3.1 conditional request If-None-Match = %q", got)
	}
	if r.body != "etag body" || r.resp.StatusCode != 200 {
		t.Fatalf("revalidated response %d %q", r.resp.StatusCode, r.body)
	}
	wantStatus(t, r, "cachedhttp; fwd=stale; fwd-status=304")
	if !r.info.Revalidated || !r.info.FromCache {
		t.Fatalf("Info = %+v", r.info)
	}
	// RFC9111 4.3.4: the 304's fields replace the stored ones and freshen it.
	if got := r.resp.Header.Get("X-Seen"); got != "2" {
		t.Fatalf("RFC9111 4.3.4 header not updated from 304: X-Seen = %q", got)
	}
	r = h.get("/e")
	h.wantHits(2)
	wantStatus(t, r, "cachedhttp; hit")
	if got := r.resp.Header.Get("X-Seen"); got != "2" {
		t.Fatalf("freshened record not stored: X-Seen = %q", got)
	}
}

func TestRFC9111_4_3_1_IfModifiedSince(t *testing.T) {
	var lm string
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("Last-Modified", lm)
		if r.Header.Get("If-Modified-Since") == lm {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		io.WriteString(w, "lm body")
	})
	lm = h.clk.Now().Add(-time.Hour).Format(http.TimeFormat)
	h.get("/lm")
	r := h.get("/lm")
	h.wantHits(2)
	if h.o.last().Header.Get("If-Modified-Since") != lm || r.body != "lm body" || !r.info.Revalidated {
		t.Fatalf("no-cache response not revalidated with If-Modified-Since: %+v %q", r.info, r.body)
	}
}

func TestRFC9111_4_3_2_CallerConditionalAnsweredFromCache(t *testing.T) {
	h := newHarness(t, etagHandler("max-age=60"))
	h.get("/e")
	r := h.get("/e", "If-None-Match", `"v1"`)
	h.wantHits(1)
	if r.resp.StatusCode != http.StatusNotModified || r.body != "" {
		t.Fatalf("got %d %q, want 304 from cache", r.resp.StatusCode, r.body)
	}
	if r.resp.Header.Get("ETag") != `"v1"` {
		t.Fatal("RFC9110 15.4.5 304 lacks ETag")
	}
	r = h.get("/e", "If-None-Match", `"other"`)
	if r.resp.StatusCode != 200 || r.body != "etag body" {
		t.Fatalf("non-matching If-None-Match: got %d", r.resp.StatusCode)
	}
	h.wantHits(1)
}

func TestRFC9111_3_NoStore(t *testing.T) {
	h := newHarness(t, counter("no-store"))
	h.get("/n")
	r := h.get("/n")
	h.wantHits(2)
	wantStatus(t, r, "cachedhttp; fwd=uri-miss; fwd-status=200")
	if strings.Contains(r.resp.Header.Get("Cache-Status"), "stored") {
		t.Fatal("no-store response reported stored")
	}
}

func TestRequestDirectives(t *testing.T) {
	t.Run("RFC9111 5.2.1.4 request no-cache revalidates", func(t *testing.T) {
		h := newHarness(t, counter("max-age=60"))
		h.get("/a")
		r := h.get("/a", "Cache-Control", "no-cache")
		h.wantHits(2)
		wantStatus(t, r, "cachedhttp; fwd=request")
	})
	t.Run("RFC9111 5.4 Pragma no-cache without Cache-Control", func(t *testing.T) {
		h := newHarness(t, counter("max-age=60"))
		h.get("/a")
		h.get("/a", "Pragma", "no-cache")
		h.wantHits(2)
	})
	t.Run("RFC9111 5.2.1.5 request no-store is not stored", func(t *testing.T) {
		h := newHarness(t, counter("max-age=60"))
		h.get("/a", "Cache-Control", "no-store")
		h.get("/a")
		h.wantHits(2)
	})
	t.Run("RFC9111 5.2.1.1 request max-age", func(t *testing.T) {
		h := newHarness(t, counter("max-age=60"))
		h.get("/a")
		h.clk.Advance(30 * time.Second)
		h.get("/a", "Cache-Control", "max-age=40")
		h.wantHits(1)
		h.get("/a", "Cache-Control", "max-age=20")
		h.wantHits(2)
	})
	t.Run("RFC9111 5.2.1.2 request max-stale", func(t *testing.T) {
		h := newHarness(t, counter("max-age=10"))
		h.get("/a")
		h.clk.Advance(20 * time.Second)
		r := h.get("/a", "Cache-Control", "max-stale=30")
		h.wantHits(1)
		if !r.info.FromCache {
			t.Fatal("max-stale response not from cache")
		}
	})
	t.Run("RFC9111 5.2.1.3 request min-fresh", func(t *testing.T) {
		h := newHarness(t, counter("max-age=60"))
		h.get("/a")
		h.clk.Advance(30 * time.Second)
		h.get("/a", "Cache-Control", "min-fresh=40")
		h.wantHits(2)
	})
	t.Run("RFC9111 5.2.1.7 only-if-cached miss is 504", func(t *testing.T) {
		h := newHarness(t, counter("max-age=60"))
		r := h.get("/a", "Cache-Control", "only-if-cached")
		h.wantHits(0)
		if r.resp.StatusCode != http.StatusGatewayTimeout {
			t.Fatalf("status %d, want 504", r.resp.StatusCode)
		}
		h.get("/a")
		r = h.get("/a", "Cache-Control", "only-if-cached")
		if r.resp.StatusCode != 200 || !r.info.FromCache {
			t.Fatalf("only-if-cached hit: %d", r.resp.StatusCode)
		}
		h.wantHits(1)
	})
}

func TestPerRequestControls(t *testing.T) {
	ctx := context.Background()
	t.Run("Refresh revalidates a fresh response", func(t *testing.T) {
		h := newHarness(t, etagHandler("max-age=60"))
		h.get("/e")
		r := h.getCtx(Refresh(ctx), "/e")
		h.wantHits(2)
		if h.o.last().Header.Get("If-None-Match") != `"v1"` || !r.info.Revalidated {
			t.Fatalf("Refresh did not revalidate: %+v", r.info)
		}
	})
	t.Run("ForceRefresh fetches unconditionally and stores", func(t *testing.T) {
		h := newHarness(t, counter("max-age=60"))
		h.get("/a")
		r := h.getCtx(ForceRefresh(ctx), "/a")
		h.wantHits(2)
		if h.o.last().Header.Get("If-None-Match") != "" || r.body != "response 2" {
			t.Fatal("ForceRefresh sent a conditional request")
		}
		if r := h.get("/a"); r.body != "response 2" {
			t.Fatalf("ForceRefresh response not stored: %q", r.body)
		}
	})
	t.Run("OnlyIfCached answers 504 on a miss", func(t *testing.T) {
		h := newHarness(t, counter("max-age=60"))
		r := h.getCtx(OnlyIfCached(ctx), "/a")
		if r.resp.StatusCode != http.StatusGatewayTimeout {
			t.Fatalf("status %d", r.resp.StatusCode)
		}
		h.wantHits(0)
	})
	t.Run("Bypass neither reads nor writes", func(t *testing.T) {
		h := newHarness(t, counter("max-age=60"))
		h.getCtx(Bypass(ctx), "/a")
		h.get("/a")
		h.getCtx(Bypass(ctx), "/a")
		h.wantHits(3)
	})
	t.Run("ExpireAfter bounds the age accepted and the lifetime stored", func(t *testing.T) {
		h := newHarness(t, counter(""), WithExpireAfter(time.Hour))
		h.getCtx(ExpireAfter(ctx, time.Minute), "/a")
		h.clk.Advance(2 * time.Minute)
		h.getCtx(ExpireAfter(ctx, time.Minute), "/a")
		h.wantHits(2)
	})
}

func TestUserExpiry(t *testing.T) {
	t.Run("session default applies without headers", func(t *testing.T) {
		h := newHarness(t, counter(""), WithExpireAfter(time.Minute))
		h.get("/a")
		h.clk.Advance(59 * time.Second)
		h.get("/a")
		h.wantHits(1)
		h.clk.Advance(2 * time.Second)
		h.get("/a")
		h.wantHits(2)
	})
	t.Run("DoNotCache", func(t *testing.T) {
		h := newHarness(t, counter("max-age=60"), WithExpireAfter(DoNotCache), WithCacheControl(false))
		h.get("/a")
		h.get("/a")
		h.wantHits(2)
	})
	t.Run("ExpireImmediately stores and revalidates", func(t *testing.T) {
		h := newHarness(t, etagHandler(""), WithExpireAfter(ExpireImmediately))
		h.get("/e")
		r := h.get("/e")
		h.wantHits(2)
		if !r.info.Revalidated {
			t.Fatalf("not revalidated: %+v", r.info)
		}
	})
	t.Run("NeverExpire", func(t *testing.T) {
		h := newHarness(t, counter(""), WithExpireAfter(NeverExpire))
		h.get("/a")
		h.clk.Advance(10 * 365 * 24 * time.Hour)
		r := h.get("/a")
		h.wantHits(1)
		if !r.info.Expires.IsZero() {
			t.Fatalf("Expires = %v, want never", r.info.Expires)
		}
	})
	t.Run("per-URL rule, first match wins", func(t *testing.T) {
		h := newHarness(t, counter(""), WithURLRule("*/short/*", time.Second), WithURLRule("*/short/*", time.Hour), WithURLRule("*/never/*", DoNotCache))
		h.get("/short/x")
		h.clk.Advance(2 * time.Second)
		h.get("/short/x")
		h.wantHits(2)
		h.get("/never/x")
		h.get("/never/x")
		h.wantHits(4)
	})
	t.Run("response Cache-Control beats a per-URL rule", func(t *testing.T) {
		h := newHarness(t, counter("max-age=5"), WithURLRule("*/a", time.Hour))
		h.get("/a")
		h.clk.Advance(6 * time.Second)
		h.get("/a")
		h.wantHits(2)
	})
	t.Run("WithCacheControl(false) ignores response headers", func(t *testing.T) {
		h := newHarness(t, counter("no-store"), WithCacheControl(false), WithExpireAfter(time.Hour))
		h.get("/a")
		h.get("/a")
		h.wantHits(1)
	})
	t.Run("filter function vetoes storage", func(t *testing.T) {
		h := newHarness(t, counter("max-age=60"), WithFilter(func(r *http.Response) bool { return r.Request.URL.Path != "/no" }))
		h.get("/no")
		h.get("/no")
		h.get("/yes")
		h.get("/yes")
		h.wantHits(3)
	})
}

func TestRFC9111_4_1_Vary(t *testing.T) {
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		w.Header().Set("Vary", "Accept-Language")
		io.WriteString(w, "lang="+r.Header.Get("Accept-Language"))
	})
	if r := h.get("/v", "Accept-Language", "en"); r.body != "lang=en" {
		t.Fatal(r.body)
	}
	r := h.get("/v", "Accept-Language", "fr")
	wantStatus(t, r, "cachedhttp; fwd=vary-miss")
	if r.body != "lang=fr" {
		t.Fatal(r.body)
	}
	h.wantHits(2)
	// Both variants stay stored.
	if r := h.get("/v", "Accept-Language", "en"); r.body != "lang=en" || !r.info.FromCache {
		t.Fatalf("variant en: %q %+v", r.body, r.info)
	}
	if r := h.get("/v", "Accept-Language", "fr"); r.body != "lang=fr" || !r.info.FromCache {
		t.Fatalf("variant fr: %q %+v", r.body, r.info)
	}
	h.wantHits(2)
}

func TestRFC9111_4_1_VaryStarNeverMatches(t *testing.T) {
	h := newHarness(t, counter("max-age=60", "Vary", "Accept, *"))
	h.get("/v")
	h.get("/v")
	h.wantHits(2)
}

func TestRFC9111_4_4_UnsafeMethodInvalidates(t *testing.T) {
	var loc string
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			w.Header().Set("Location", loc)
			w.WriteHeader(http.StatusCreated)
			return
		}
		w.Header().Set("Cache-Control", "max-age=600")
		fmt.Fprintf(w, "%s at %d", r.URL.Path, time.Now().UnixNano())
	})
	loc = h.o.URL + "/other"
	h.get("/target")
	h.get("/other")
	h.get("/foreign")
	h.wantHits(3)
	req, _ := http.NewRequest(http.MethodPost, h.o.URL+"/target", strings.NewReader("x"))
	r := h.do(req)
	wantStatus(t, r, "cachedhttp; fwd=method; fwd-status=201")
	h.wantHits(4)
	h.get("/target")
	h.get("/other")
	h.wantHits(6)
	h.get("/foreign")
	h.wantHits(6)
}

// RFC 9111 §4.4: Location and Content-Location are invalidated only when
// they have the same origin as the target URI.
func TestRFC9111_4_4_ForeignLocationNotInvalidated(t *testing.T) {
	var foreign *origin
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			w.Header().Set("Location", foreign.URL+"/x") // another port: another origin
			w.Header().Set("Content-Location", "/a")
			w.WriteHeader(http.StatusOK)
			return
		}
		w.Header().Set("Cache-Control", "max-age=600")
		io.WriteString(w, "a")
	})
	foreign = newOrigin(t, h.clk, counter("max-age=600"))
	getForeign := func() result {
		req, _ := http.NewRequest(http.MethodGet, foreign.URL+"/x", nil)
		return h.do(req)
	}
	h.get("/a")
	getForeign()
	req, _ := http.NewRequest(http.MethodPut, h.o.URL+"/b", strings.NewReader("x"))
	h.do(req)
	h.get("/a") // Content-Location /a is same-origin: invalidated
	h.wantHits(3)
	if r := getForeign(); !r.info.FromCache || foreign.hits.Load() != 1 {
		t.Fatalf("foreign Location was invalidated: from cache %v, foreign hits %d", r.info.FromCache, foreign.hits.Load())
	}
}

func TestRFC5861_4_StaleIfError(t *testing.T) {
	var fail atomic.Bool
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request) {
		if fail.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Cache-Control", "max-age=10, stale-if-error=60")
		io.WriteString(w, "good")
	})
	h.get("/s")
	h.clk.Advance(30 * time.Second)
	fail.Store(true)
	r := h.get("/s")
	if r.resp.StatusCode != 200 || r.body != "good" || !r.info.Stale {
		t.Fatalf("got %d %q %+v, want stale good", r.resp.StatusCode, r.body, r.info)
	}
	wantStatus(t, r, "cachedhttp; fwd=stale; fwd-status=503")
	h.clk.Advance(60 * time.Second)
	r = h.get("/s")
	if r.resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("past the stale-if-error window: got %d, want the 503", r.resp.StatusCode)
	}
}

func TestStaleIfErrorOption_TransportError(t *testing.T) {
	h := newHarness(t, counter("max-age=10"), WithStaleIfError(time.Hour))
	h.get("/s")
	h.o.Close() // the origin is gone: a transport error
	h.clk.Advance(time.Minute)
	r := h.get("/s")
	if r.body != "response 1" || !r.info.Stale {
		t.Fatalf("got %q %+v", r.body, r.info)
	}
}

func TestRFC5861_3_StaleWhileRevalidate(t *testing.T) {
	h := newHarness(t, counter("max-age=10, stale-while-revalidate=60"))
	h.get("/w")
	h.clk.Advance(20 * time.Second)
	r := h.get("/w")
	if r.body != "response 1" || !r.info.Stale {
		t.Fatalf("got %q %+v, want the stale response at once", r.body, r.info)
	}
	wantStatus(t, r, "cachedhttp; hit")
	// The background refresh stores a newer response, served fresh. (A
	// lookup racing the refresh's store may start one more: any later
	// response will do.)
	waitFor(t, func() bool {
		r := h.get("/w")
		return r.body != "response 1" && r.info.FromCache && !r.info.Stale
	})
	if n := h.o.hits.Load(); n < 2 || n > 3 {
		t.Fatalf("origin hits = %d, want the first request and one (at most two) refreshes", n)
	}
}

// waitFor polls cond (for work done by background goroutines) with a
// bounded deadline; it asserts no timing.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached within 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestCoalescing(t *testing.T) {
	release := make(chan struct{})
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(release) }) })
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request) {
		<-release
		w.Header().Set("Cache-Control", "max-age=60")
		io.WriteString(w, "one")
	})
	const n = 20
	var wg sync.WaitGroup
	bodies := make([]string, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := h.c.Get(h.o.URL + "/c")
			if err != nil {
				t.Error(err)
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			bodies[i] = string(b)
		}()
	}
	// Release the origin once every follower waits on the leader.
	waitFor(t, func() bool { return h.tr.flights.waiting.Load() == n-1 })
	once.Do(func() { close(release) })
	wg.Wait()
	h.wantHits(1)
	for i, b := range bodies {
		if b != "one" {
			t.Fatalf("caller %d got %q", i, b)
		}
	}
	if got := h.tr.Stats().Collapsed; got != n-1 {
		t.Fatalf("Collapsed = %d, want %d", got, n-1)
	}
}

func TestBodyNeverStoredTruncated(t *testing.T) {
	t.Run("short body", func(t *testing.T) {
		h := newHarness(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "max-age=60")
			w.Header().Set("Content-Length", "100")
			io.WriteString(w, "only fifty bytes.................................")
			// The handler returns early: the server closes the connection.
		})
		resp, err := h.c.Get(h.o.URL + "/t")
		if err == nil {
			_, err = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		if err == nil {
			t.Fatal("expected an unexpected EOF")
		}
		h.tr.Close()
		if _, err := h.be.Get(context.Background(), Info(resp).Key); !errors.Is(err, backends.ErrNotFound) {
			t.Fatalf("truncated body stored: %v", err)
		}
	})
	t.Run("caller closes early", func(t *testing.T) {
		h := newHarness(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "max-age=60")
			w.Write(bytes.Repeat([]byte("x"), 1<<20))
		})
		resp, err := h.c.Get(h.o.URL + "/t")
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 10)
		io.ReadFull(resp.Body, buf)
		resp.Body.Close()
		h.get("/t")
		h.wantHits(2)
		if h.tr.Stats().Truncated != 1 {
			t.Fatalf("Truncated = %d", h.tr.Stats().Truncated)
		}
	})
	t.Run("over MaxBodySize streams but is not stored", func(t *testing.T) {
		h := newHarness(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "max-age=60")
			w.(http.Flusher).Flush() // chunked: no Content-Length to reject up front
			w.Write(bytes.Repeat([]byte("y"), 4096))
		}, WithMaxBodySize(1000))
		r := h.get("/big")
		if len(r.body) != 4096 {
			t.Fatalf("caller got %d bytes", len(r.body))
		}
		h.get("/big")
		h.wantHits(2)
	})
}

// failingBackend fails every call.
type failingBackend struct{}

var errDown = errors.New("backend down")

func (failingBackend) Get(context.Context, string) ([]byte, error)              { return nil, errDown }
func (failingBackend) Set(context.Context, string, []byte, time.Duration) error { return errDown }
func (failingBackend) Delete(context.Context, ...string) error                  { return errDown }
func (failingBackend) Clear(context.Context) error                              { return errDown }
func (failingBackend) Close() error                                             { return nil }
func (failingBackend) Scan(context.Context) iter.Seq2[backends.Entry, error] {
	return func(yield func(backends.Entry, error) bool) { yield(backends.Entry{}, errDown) }
}

func TestBackendOutageDegradesToOrigin(t *testing.T) {
	h := newHarness(t, counter("max-age=60"), WithBackend(failingBackend{}), WithWriteQueue(0))
	for range 3 {
		r := h.get("/a")
		if r.resp.StatusCode != 200 {
			t.Fatalf("status %d", r.resp.StatusCode)
		}
	}
	h.wantHits(3)
	if h.tr.Stats().BackendErrors == 0 {
		t.Fatal("backend errors not counted")
	}
}

func TestCorruptRecordIsAMissAndDeleted(t *testing.T) {
	h := newHarness(t, counter("max-age=60"), WithWriteQueue(0))
	r := h.get("/a")
	ctx := context.Background()
	if err := h.be.Set(ctx, r.info.Key, []byte("\x00garbage that is no record"), 0); err != nil {
		t.Fatal(err)
	}
	r2 := h.get("/a")
	h.wantHits(2)
	if r2.body != "response 2" {
		t.Fatalf("body %q", r2.body)
	}
	if h.tr.Stats().DecodeErrors != 1 {
		t.Fatalf("DecodeErrors = %d", h.tr.Stats().DecodeErrors)
	}
}

func TestCredentialsSeparateUsersAndAreNotStored(t *testing.T) {
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "private, max-age=60")
		io.WriteString(w, "for "+r.Header.Get("Authorization"))
	}, WithWriteQueue(0))
	a := h.get("/me", "Authorization", "Bearer alice-secret")
	b := h.get("/me", "Authorization", "Bearer bob-secret")
	if a.body == b.body || b.body != "for Bearer bob-secret" {
		t.Fatalf("bob got %q", b.body)
	}
	h.wantHits(2)
	if r := h.get("/me", "Authorization", "Bearer alice-secret"); r.body != "for Bearer alice-secret" || !r.info.FromCache {
		t.Fatalf("alice's second request: %q", r.body)
	}
	ctx := context.Background()
	for k := range backends.Keys(ctx, h.be) {
		v, _ := h.be.Get(ctx, k)
		if bytes.Contains(v, []byte("alice-secret")) && !bytes.Contains(v, []byte("for Bearer alice-secret")) {
			t.Fatalf("credential stored in clear under %q", k)
		}
		rec, err := h.tr.ser.Unmarshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Request.Header.Get("Authorization") != "" {
			t.Fatal("Authorization stored in the request")
		}
	}
}

func TestHeadServedFromGet(t *testing.T) {
	h := newHarness(t, counter("max-age=60"))
	h.get("/h")
	req, _ := http.NewRequest(http.MethodHead, h.o.URL+"/h", nil)
	r := h.do(req)
	h.wantHits(1)
	if r.resp.StatusCode != 200 || r.body != "" || !r.info.FromCache {
		t.Fatalf("HEAD: %d %q %+v", r.resp.StatusCode, r.body, r.info)
	}
}

func TestHeadResponseDoesNotAnswerGet(t *testing.T) {
	h := newHarness(t, counter("max-age=60"))
	req, _ := http.NewRequest(http.MethodHead, h.o.URL+"/h", nil)
	h.do(req)
	r := h.get("/h")
	if r.body != "response 2" {
		t.Fatalf("GET answered from a HEAD record: %q", r.body)
	}
	h.wantHits(2)
}

func TestRFC9111_3_1_HopByHopNotStored(t *testing.T) {
	h := newHarness(t, counter("max-age=60", "Connection", "X-Private-Hop", "X-Private-Hop", "1", "Keep-Alive", "timeout=5"))
	h.get("/a")
	r := h.get("/a")
	if !r.info.FromCache {
		t.Fatal("not cached")
	}
	for _, f := range []string{"X-Private-Hop", "Keep-Alive", "Connection"} {
		if r.resp.Header.Get(f) != "" {
			t.Fatalf("%s served from cache", f)
		}
	}
}

func TestTrailersStored(t *testing.T) {
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		w.Header().Set("Trailer", "X-Checksum")
		io.WriteString(w, "body")
		w.Header().Set("X-Checksum", "abc")
	})
	h.get("/t")
	r := h.get("/t")
	if !r.info.FromCache || r.resp.Trailer.Get("X-Checksum") != "abc" {
		t.Fatalf("trailer not served from cache: %v", r.resp.Trailer)
	}
}

func TestRoundTripperContract(t *testing.T) {
	h := newHarness(t, etagHandler("max-age=0"))
	h.get("/e")
	req, _ := http.NewRequest(http.MethodGet, h.o.URL+"/e", nil)
	req.Header.Set("X-Mine", "1")
	before := req.Header.Clone()
	h.do(req)
	if fmt.Sprint(req.Header) != fmt.Sprint(before) {
		t.Fatalf("caller's request modified: %v", req.Header)
	}
	// The request body is closed even when the cache answers.
	h2 := newHarness(t, counter("max-age=60"), WithMethods("GET", "HEAD", "POST"))
	for range 2 {
		body := &closeTracker{Reader: strings.NewReader(`{"q":1}`)}
		req, _ := http.NewRequest(http.MethodPost, h2.o.URL+"/p", body)
		h2.do(req)
		if !body.closed.Load() {
			t.Fatal("request body not closed")
		}
	}
	h2.wantHits(1)
}

type closeTracker struct {
	io.Reader
	closed atomic.Bool
}

func (c *closeTracker) Close() error { c.closed.Store(true); return nil }

func TestPostCachedByBody(t *testing.T) {
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Cache-Control", "max-age=60")
		w.Write(b)
	}, WithMethods("GET", "POST"), WithIgnoredParams("nonce"))
	post := func(body string) result {
		req, _ := http.NewRequest(http.MethodPost, h.o.URL+"/q", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		return h.do(req)
	}
	post(`{"a":1,"b":2,"nonce":"x"}`)
	if r := post(`{"b":2,"a":1,"nonce":"y"}`); !r.info.FromCache {
		t.Fatal("equivalent JSON body (keys reordered, ignored param changed) missed")
	}
	if r := post(`{"a":2}`); r.info.FromCache {
		t.Fatal("different body hit")
	}
	h.wantHits(2)
}

// TestCacheStatusAppendsToUpstream: on hits from the queued record and,
// once written, from the decoded-record cache, an upstream cache's member
// comes first, ours after it (RFC 9211 §2), and Info reports the same.
func TestCacheStatusAppendsToUpstream(t *testing.T) {
	h := newHarness(t, counter("max-age=60", "Cache-Status", "upstream; hit"))
	first := h.get("/a")
	for i := range 3 {
		if i == 1 {
			key, _ := h.tr.Key(first.resp.Request)
			waitWritten(t, h.tr, key)
		}
		r := h.get("/a")
		got := r.resp.Header.Values("Cache-Status")
		if len(got) != 2 || got[0] != "upstream; hit" || !strings.HasPrefix(got[1], "cachedhttp; hit") {
			t.Fatalf("hit %d: RFC9211 2 Cache-Status = %q, want upstream first then ours", i, got)
		}
		if !slices.Equal(r.info.CacheStatus, got) {
			t.Fatalf("hit %d: Info's CacheStatus %q, header %q", i, r.info.CacheStatus, got)
		}
	}
	h.wantHits(1)
}

func TestClosedTransportPassesThrough(t *testing.T) {
	h := newHarness(t, counter("max-age=60"))
	h.get("/a")
	h.tr.Close()
	h.get("/a")
	h.wantHits(2)
}

// A leader whose caller never reads its body must not hold the followers
// hostage: they fetch on their own once it stalls.
func TestCoalescingLeaderStalls(t *testing.T) {
	h := newHarness(t, counter("max-age=60"))
	resp, err := h.c.Get(h.o.URL + "/s") // leader: body never read
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	r := h.get("/s")
	if r.body != "response 2" {
		t.Fatalf("follower got %q", r.body)
	}
	h.wantHits(2)
}

// Coalesced followers get the leader's response only when they would select
// the same variant (RFC 9111 §4.1); the others fetch their own.
func TestCoalescingRespectsVary(t *testing.T) {
	release := make(chan struct{})
	var once sync.Once
	open := func() { once.Do(func() { close(release) }) }
	t.Cleanup(open) // never leave the origin blocked, even on failure
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request) {
		<-release
		w.Header().Set("Cache-Control", "max-age=60")
		w.Header().Set("Vary", "Accept-Language")
		io.WriteString(w, "lang "+r.Header.Get("Accept-Language"))
	})
	langs := []string{"en", "en", "en", "fr", "fr"}
	got := make([]string, len(langs))
	var wg sync.WaitGroup
	for i, l := range langs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest(http.MethodGet, h.o.URL+"/v", nil)
			req.Header.Set("Accept-Language", l)
			resp, err := h.c.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			got[i] = string(b)
		}()
	}
	waitFor(t, func() bool { return h.tr.flights.waiting.Load() == int64(len(langs)-1) })
	open()
	wg.Wait()
	for i, l := range langs {
		if got[i] != "lang "+l {
			t.Fatalf("request for %q got %q", l, got[i])
		}
	}
	// One origin request per variant: the followers of the other variant
	// coalesce again behind a new leader.
	if n := h.o.hits.Load(); n != 2 {
		t.Fatalf("origin hits = %d, want 2 (one per variant)", n)
	}
}
