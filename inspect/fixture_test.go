package inspect_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp"
	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/bbolt"
	"github.com/cachedhttp/cachedhttp/inspect"
)

// clock is a settable clock shared by the Transport and the inspector.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// kinds of stored responses the origin serves, one per URL path prefix;
// fixture URL i gets kinds[i%len(kinds)].
var kinds = []struct {
	host, path string
	state      inspect.State // after the fixture advances its clock by 2 minutes
	status     int
}{
	{"api.example.test", "/v1/items/", inspect.Fresh, 200},     // JSON, max-age=3600, ETag
	{"api.example.test", "/v1/search?q=", inspect.Stale, 200},  // max-age=60, ETag: revalidatable
	{"cdn.example.test", "/img/", inspect.Fresh, 200},          // PNG-like bytes, max-age=86400
	{"www.example.test", "/news/", inspect.Expired, 200},       // max-age=60, no validator
	{"www.example.test", "/feed/", inspect.Stale, 200},         // max-age=30, stale-while-revalidate
	{"api.example.test", "/v1/missing/", inspect.Fresh, 404},   // 404, max-age=600
	{"static.example.test", "/bundle/", inspect.Fresh, 200},    // gzip-encoded text, 70 KiB decoded
	{"api.example.test", "/v1/broken/", inspect.Expired, 500},  // 500, max-age=10
	{"static.example.test", "/assets/", inspect.Fresh, 200},    // large text, 200 KiB
	{"www.example.test", "/pages/", inspect.Fresh, 200},        // HTML, max-age=600, Last-Modified
	{"cdn.example.test", "/fonts/", inspect.Fresh, 200},        // binary, max-age=86400
	{"api.example.test", "/v1/users/", inspect.Fresh, 200},     // JSON, max-age=3600
	{"www.example.test", "/blog/", inspect.Fresh, 200},         // HTML, max-age=900
	{"api.example.test", "/v1/orders/", inspect.Stale, 200},    // max-age=90, ETag
	{"cdn.example.test", "/thumbs/", inspect.Fresh, 200},       // binary, max-age=86400
	{"www.example.test", "/docs/", inspect.Fresh, 200},         // text, max-age=7200
	{"api.example.test", "/v1/healthz/", inspect.Expired, 200}, // max-age=5
	{"static.example.test", "/css/", inspect.Fresh, 200},       // text/css, max-age=86400
	{"api.example.test", "/v1/items/", inspect.Fresh, 200},     // (more items)
	{"www.example.test", "/news/", inspect.Expired, 200},       // (more news)
}

// origin answers every host the fixture uses; what it sends depends on the
// path only. Its Date fields come from the fixture's clock, as a real
// origin's agree with a real clock.
func origin(c *clock) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Date", c.Now().Format(http.TimeFormat))
		serve(w, r)
	}
}

func serve(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	n := 0
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		n, _ = strconv.Atoi(p[i+1:])
	}
	h := w.Header()
	switch {
	case strings.HasPrefix(p, "/v1/items/"), strings.HasPrefix(p, "/v1/users/"):
		h.Set("Content-Type", "application/json")
		h.Set("Cache-Control", "max-age=3600")
		h.Set("ETag", fmt.Sprintf(`"%x"`, sha256.Sum256([]byte(p)))[:18]+`"`)
		fmt.Fprintf(w, `{"id": %d, "name": "Item %d", "price": %d.%02d, "tags": ["cache", "http"], "path": %q}`+"\n", n, n, n*3, n%100, p)
	case strings.HasPrefix(p, "/v1/search"):
		h.Set("Content-Type", "application/json")
		h.Set("Cache-Control", "max-age=60")
		h.Set("ETag", `"s`+r.URL.Query().Get("q")+`"`)
		fmt.Fprintf(w, `{"query": %q, "results": [%d, %d, %d]}`+"\n", r.URL.Query().Get("q"), n, n+1, n+2)
	case strings.HasPrefix(p, "/v1/orders/"):
		h.Set("Content-Type", "application/json")
		h.Set("Cache-Control", "private, max-age=90")
		h.Set("ETag", `W/"o`+strconv.Itoa(n)+`"`)
		fmt.Fprintf(w, `{"order": %d, "status": "shipped"}`+"\n", n)
	case strings.HasPrefix(p, "/v1/missing/"):
		h.Set("Content-Type", "application/problem+json")
		h.Set("Cache-Control", "max-age=600")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `{"title": "Not Found", "status": 404, "detail": "no resource %d"}`+"\n", n)
	case strings.HasPrefix(p, "/v1/broken/"):
		h.Set("Content-Type", "text/plain; charset=utf-8")
		h.Set("Cache-Control", "max-age=10")
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprintf(w, "upstream failed for %d\n", n)
	case strings.HasPrefix(p, "/v1/healthz/"):
		h.Set("Content-Type", "text/plain")
		h.Set("Cache-Control", "max-age=5")
		io.WriteString(w, "ok\n")
	case strings.HasPrefix(p, "/img/"), strings.HasPrefix(p, "/fonts/"), strings.HasPrefix(p, "/thumbs/"):
		h.Set("Content-Type", "image/png")
		h.Set("Cache-Control", "public, max-age=86400, immutable")
		w.Write(binaryBody(n, 300+n*37%4000))
	case strings.HasPrefix(p, "/news/"):
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "max-age=60")
		fmt.Fprintf(w, "<!doctype html><title>News %d</title><h1>News %d</h1><p>Breaking: caches are useful.</p>\n", n, n)
	case strings.HasPrefix(p, "/feed/"):
		h.Set("Content-Type", "application/rss+xml")
		h.Set("Cache-Control", "max-age=30, stale-while-revalidate=3600")
		fmt.Fprintf(w, "<?xml version=\"1.0\"?><rss><channel><title>Feed %d</title></channel></rss>\n", n)
	case strings.HasPrefix(p, "/bundle/"):
		h.Set("Content-Type", "application/javascript")
		h.Set("Content-Encoding", "gzip")
		h.Set("Cache-Control", "max-age=86400")
		var buf bytes.Buffer
		z := gzip.NewWriter(&buf)
		for i := range 1000 {
			fmt.Fprintf(z, "export const value%d = %d; // bundle %d, line %d\n", i, i*n, n, i)
		}
		z.Close()
		w.Write(buf.Bytes())
	case strings.HasPrefix(p, "/assets/"):
		h.Set("Content-Type", "text/plain; charset=utf-8")
		h.Set("Cache-Control", "max-age=86400")
		w.Write(bytes.Repeat([]byte(fmt.Sprintf("asset %d: the quick brown fox jumps over the lazy dog.\n", n)), 200<<10/60))
	case strings.HasPrefix(p, "/pages/"), strings.HasPrefix(p, "/blog/"):
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "max-age=900")
		h.Set("Last-Modified", "Mon, 02 Jan 2006 15:04:05 GMT")
		fmt.Fprintf(w, "<!doctype html>\n<html><head><title>Page %d</title></head>\n<body><h1>Page %d</h1>\n<p>Some text for page %d.</p></body></html>\n", n, n, n)
	case strings.HasPrefix(p, "/docs/"):
		h.Set("Content-Type", "text/markdown; charset=utf-8")
		h.Set("Cache-Control", "max-age=7200")
		fmt.Fprintf(w, "# Document %d\n\nCaching HTTP responses saves time — and bandwidth. Ünïcödé is fine.\n", n)
	case strings.HasPrefix(p, "/i18n/"):
		h.Set("Content-Type", "text/plain; charset=utf-8")
		h.Set("Cache-Control", "max-age=600")
		h.Set("Vary", "Accept-Language")
		fmt.Fprintf(w, "greeting %d in %s\n", n, r.Header.Get("Accept-Language"))
	case strings.HasPrefix(p, "/css/"):
		h.Set("Content-Type", "text/css")
		h.Set("Cache-Control", "max-age=86400")
		fmt.Fprintf(w, "body { margin: %dpx; }\n", n%20)
	default:
		http.NotFound(w, r)
	}
}

// binaryBody returns n-seeded bytes that start like a PNG file.
func binaryBody(n, size int) []byte {
	b := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	for len(b) < size {
		s := sha256.Sum256([]byte(strconv.Itoa(n) + ":" + strconv.Itoa(len(b))))
		b = append(b, s[:]...)
	}
	return b[:size]
}

// fixtureURL returns the URL of entry i and the state it is in once the
// fixture's clock has advanced.
func fixtureURL(i int) (string, inspect.State, int) {
	k := kinds[i%len(kinds)]
	return "http://" + k.host + k.path + strconv.Itoa(i), k.state, k.status
}

// fixture is a cache of n entries filled through a Transport from a local
// origin, and an inspector mounted at /debug/cache/ of a test server.
type fixture struct {
	clock  *clock
	tr     *cachedhttp.Transport
	client *http.Client // through the Recorder
	rec    *inspect.Recorder
	h      *inspect.Handler
	srv    *httptest.Server
	base   string // the inspector's URL, ending in "/"
	want   map[inspect.State]int
	urls   []string
}

func newFixture(t testing.TB, n int, opts *inspect.Options) *fixture {
	t.Helper()
	// The clock starts at the real time, which the origin's Date fields
	// carry, and then moves on its own.
	f := &fixture{clock: &clock{t: time.Now().UTC().Truncate(time.Second)}, want: map[inspect.State]int{}}
	o := httptest.NewServer(origin(f.clock))
	t.Cleanup(o.Close)
	var d net.Dialer
	next := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return d.DialContext(ctx, "tcp", o.Listener.Addr().String())
	}}
	t.Cleanup(next.CloseIdleConnections)
	db, err := bbolt.Open(filepath.Join(t.TempDir(), "cache.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	f.rec = inspect.NewRecorder(0, f.clock.Now)
	f.tr, err = cachedhttp.NewTransport(
		cachedhttp.WithTransport(next), cachedhttp.WithBackend(keepAll{db}), cachedhttp.WithClock(f.clock.Now),
		cachedhttp.WithWriteQueue(0), cachedhttp.WithObserver(f.rec),
	)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.tr.Close(); db.Close() })
	f.client = &http.Client{Transport: f.rec.Wrap(f.tr)}
	for i := range n {
		u, st, _ := fixtureURL(i)
		f.get(t, u)
		f.clock.Advance(time.Second)
		f.want[st]++
		f.urls = append(f.urls, u)
	}
	// A few hits, for history and charts.
	for i := range min(n, 10) {
		f.get(t, f.urls[i])
	}
	f.clock.Advance(2 * time.Minute)

	var op inspect.Options
	if opts != nil {
		op = *opts
	}
	op.Recorder = f.rec
	op.Now = f.clock.Now
	if op.SampleEvery == 0 {
		op.SampleEvery = -5 * time.Second // samples on page views only, at the fixture's clock
	}
	f.h, err = inspect.New(f.tr, &op)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.h.Close() })
	mux := http.NewServeMux()
	mux.Handle("/debug/cache/", http.StripPrefix("/debug/cache", f.h))
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	f.base = f.srv.URL + "/debug/cache/"
	return f
}

// keepAll stores every value without a TTL. The fixture's clock runs
// minutes ahead of the store's (the real one), and the store would drop
// short-lived records after a few real seconds, at a moment that depends
// on how fast the test runs; without TTLs the inspector's clock alone
// decides what is expired.
type keepAll struct{ backends.Backend }

func (k keepAll) Set(ctx context.Context, key string, value []byte, _ time.Duration) error {
	return k.Backend.Set(ctx, key, value, 0)
}

func (keepAll) IsLocal() bool { return true }

// get fetches u through the cache and reads the whole body.
func (f *fixture) get(t testing.TB, u string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept-Encoding", "gzip") // keep gzip bodies encoded, as a proxy would
	resp, err := f.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

// key returns the cache key of a GET of u.
func (f *fixture) key(t testing.TB, u string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	k, err := f.tr.Key(req)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// browser is a no-JavaScript client of the inspector: it keeps cookies
// and sends what a browser's form submission sends.
type browser struct {
	t      testing.TB
	client *http.Client
	base   string
}

func (f *fixture) browser(t testing.TB) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: f.base, client: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// get returns the status and body of GET base+path.
func (b *browser) get(path string) (int, string) {
	b.t.Helper()
	resp, err := b.client.Get(b.base + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// post submits a form to base+path with the given extra headers; it
// returns the status and the Location header.
func (b *browser) post(path string, form url.Values, hdr map[string]string) (int, string) {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get("Location")
}

var tokenRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// token returns the anti-CSRF token of a page.
func token(t testing.TB, page string) string {
	t.Helper()
	m := tokenRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no csrf field in the page")
	}
	return m[1]
}

var rowRE = regexp.MustCompile(`<input type="checkbox" name="key" value="([^"]+)"`)

// rows returns the keys the entries page lists.
func rows(page string) []string {
	var ks []string
	for _, m := range rowRE.FindAllStringSubmatch(page, -1) {
		ks = append(ks, m[1])
	}
	return ks
}
