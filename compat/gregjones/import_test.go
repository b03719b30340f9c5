package gregjones_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gregjones/httpcache"
	"github.com/gregjones/httpcache/diskcache"
	"github.com/gregjones/httpcache/leveldbcache"
	"github.com/syndtr/goleveldb/leveldb"

	"github.com/cachedhttp/cachedhttp"
	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/backendtest"
	"github.com/cachedhttp/cachedhttp/backends/memory"
	"github.com/cachedhttp/cachedhttp/compat/gregjones"
)

// migrationOrigin is the origin of the import tests: it counts requests
// and remembers the conditional ones.
type migrationOrigin struct {
	*origin
	mu          sync.Mutex
	conditional []string // paths requested with If-None-Match
}

func newMigrationOrigin(t *testing.T) *migrationOrigin {
	m := &migrationOrigin{}
	m.origin = newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		if r.Header.Get("If-None-Match") != "" {
			m.mu.Lock()
			m.conditional = append(m.conditional, r.URL.Path)
			m.mu.Unlock()
		}
		switch r.URL.Path {
		case "/plain":
			h.Set("Cache-Control", "max-age=600")
			io.WriteString(w, "plain")
		case "/vary":
			h.Set("Cache-Control", "max-age=600")
			h.Set("Vary", "Accept")
			fmt.Fprintf(w, "as %s", r.Header.Get("Accept"))
		case "/etag":
			h.Set("Cache-Control", "max-age=600")
			h.Set("ETag", `"e1"`)
			io.WriteString(w, "tagged")
		case "/stale":
			h.Set("Cache-Control", "max-age=0")
			h.Set("ETag", `"s1"`)
			if r.Header.Get("If-None-Match") == `"s1"` {
				w.WriteHeader(http.StatusNotModified)
				return
			}
			io.WriteString(w, "stale but valid")
		case "/chunked":
			h.Set("Cache-Control", "max-age=600")
			io.WriteString(w, "part one, ")
			w.(http.Flusher).Flush()
			io.WriteString(w, "part two")
		case "/nodate":
			h["Date"] = nil
			h.Set("Cache-Control", "max-age=600")
			io.WriteString(w, "undated")
		case "/nofresh":
			io.WriteString(w, "no freshness, no validator")
		default:
			http.NotFound(w, r)
		}
	})
	return m
}

// fill makes the requests through a gregjones Transport over c, reading
// each body so that gregjones stores it.
func fill(t *testing.T, c httpcache.Cache, reqs ...*http.Request) {
	t.Helper()
	client := httpcache.NewTransport(c).Client()
	for _, req := range reqs {
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

func (m *migrationOrigin) requests(t *testing.T) []*http.Request {
	return []*http.Request{
		newReq(t, "GET", m.URL+"/plain"),
		newReq(t, "HEAD", m.URL+"/plain"),
		newReq(t, "GET", m.URL+"/vary", "Accept", "application/json"),
		newReq(t, "GET", m.URL+"/etag"),
		newReq(t, "GET", m.URL+"/stale"),
		newReq(t, "GET", m.URL+"/chunked"),
		newReq(t, "GET", m.URL+"/nodate"),
		newReq(t, "GET", m.URL+"/nofresh"),
	}
}

// checkServed asserts that a cachedhttp client answers every imported URL
// from the cache without the origin, and that Vary and validators work.
func checkServed(t *testing.T, m *migrationOrigin, client *http.Client) {
	t.Helper()
	before := m.hits.Load()
	for _, tt := range []struct {
		path string
		hdr  []string
		body string
	}{
		{"/plain", nil, "plain"},
		{"/vary", []string{"Accept", "application/json"}, "as application/json"},
		{"/etag", nil, "tagged"},
		{"/chunked", nil, "part one, part two"},
		{"/nodate", nil, "undated"},
	} {
		resp, body := get(t, client, m.URL+tt.path, tt.hdr...)
		cs := strings.Join(resp.Header.Values("Cache-Status"), ", ")
		if body != tt.body || !strings.Contains(cs, "cachedhttp; hit") {
			t.Errorf("%s: body %q, Cache-Status %q; want %q from a hit", tt.path, body, cs, tt.body)
		}
		if tt.path == "/etag" && resp.Header.Get("ETag") != `"e1"` {
			t.Errorf("/etag: ETag %q", resp.Header.Get("ETag"))
		}
		if tt.path == "/nodate" && resp.Header.Get("Date") == "" {
			t.Error("/nodate: served without Date; want the stored time")
		}
	}
	if n := m.hits.Load() - before; n != 0 {
		t.Fatalf("the origin answered %d requests for imported responses; want 0", n)
	}

	// Another Accept is another variant: not imported, so a miss.
	resp, body := get(t, client, m.URL+"/vary", "Accept", "text/html")
	if body != "as text/html" || cachedhttp.Info(resp).FromCache {
		t.Errorf("/vary with another Accept: %q, %v; want a miss", body, resp.Header.Values("Cache-Status"))
	}
	// A stale response keeps its validator: one conditional request, 304.
	m.mu.Lock()
	m.conditional = nil
	m.mu.Unlock()
	resp, body = get(t, client, m.URL+"/stale")
	info := cachedhttp.Info(resp)
	m.mu.Lock()
	cond := m.conditional
	m.mu.Unlock()
	if body != "stale but valid" || !info.Revalidated || len(cond) != 1 || cond[0] != "/stale" {
		t.Errorf("/stale: %q, revalidated %v, conditional requests %q; want one 304", body, info.Revalidated, cond)
	}
	if n := m.hits.Load() - before; n != 2 {
		t.Errorf("origin answered %d requests; want 2 (the new variant and the revalidation)", n)
	}
}

// The acceptance test: a diskcache directory written by gregjones' own
// Transport is imported, and a cachedhttp Session serves it as hits.
func TestImportDiskcacheWrittenByGregjones(t *testing.T) {
	m := newMigrationOrigin(t)
	dir := t.TempDir()
	fill(t, diskcache.New(dir), m.requests(t)...)
	fill(t, diskcache.New(dir), newReq(t, "GET", m.URL+"/plain?not=listed"))
	hits := m.hits.Load()

	var urls []string
	for _, p := range []string{"/plain", "/vary", "/etag", "/stale", "/chunked", "/nodate", "/nofresh", "/never-fetched"} {
		urls = append(urls, m.URL+p)
	}
	keys, err := gregjones.KeysForURLs(urls)
	if err != nil {
		t.Fatal(err)
	}
	src, err := gregjones.OpenDisk(dir, keys)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if n, _ := src.Len(t.Context()); n != 8 {
		t.Errorf("Len = %d; want 8 (7 GET records and the HEAD one)", n)
	}
	if n := src.Unnamed(); n != 1 {
		t.Errorf("Unnamed = %d; want 1 (/plain?not=listed)", n)
	}

	dsn := "bbolt://" + filepath.ToSlash(filepath.Join(t.TempDir(), "cache.db"))
	var progress []gregjones.Counts
	res, err := gregjones.Import(t.Context(), src, gregjones.ImportOptions{
		Transport: []cachedhttp.Option{cachedhttp.WithBackendDSN(dsn)},
		Progress:  func(c gregjones.Counts) { progress = append(progress, c) },
	})
	if err != nil {
		t.Fatal(err)
	}
	want := gregjones.Counts{Imported: 6, Skipped: 2, Bytes: int64(len("plain" + "as application/json" + "tagged" + "stale but valid" + "part one, part two" + "undated"))}
	if res.Counts != want || res.Reasons["no-freshness"] != 1 || res.Reasons["head"] != 1 {
		t.Errorf("Import = %+v; want %+v, skipped no-freshness 1 and head 1", res, want)
	}
	if len(progress) != 8 || progress[7] != res.Counts {
		t.Errorf("Progress called %d times, last %+v; want 8, ending with the result", len(progress), progress)
	}
	if n := m.hits.Load(); n != hits {
		t.Fatalf("the import made %d origin requests", n-hits)
	}

	sess, err := cachedhttp.NewSession(cachedhttp.WithBackendDSN(dsn))
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	checkServed(t, m, sess.Client)
	// The record stored for the GET, not the HEAD, answers HEAD too.
	resp, err := sess.Head(m.URL + "/plain")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !cachedhttp.Info(resp).FromCache || resp.ContentLength != int64(len("plain")) {
		t.Errorf("HEAD /plain: from cache %v, length %d", cachedhttp.Info(resp).FromCache, resp.ContentLength)
	}
}

func TestOpenDiskNeedsKeys(t *testing.T) {
	if _, err := gregjones.OpenDisk(t.TempDir(), nil); !errors.Is(err, gregjones.ErrKeysRequired) {
		t.Errorf("OpenDisk without keys: %v; want ErrKeysRequired", err)
	}
}

// Every other source: leveldbcache (listed, no keys needed), a gregjones
// Cache probed by key, and a cachedhttp backend a gregjones Transport
// wrote through a Cache.
func TestImportOtherSources(t *testing.T) {
	m := newMigrationOrigin(t)
	urls := []string{m.URL + "/plain", m.URL + "/vary", m.URL + "/etag", m.URL + "/stale", m.URL + "/chunked", m.URL + "/nodate", m.URL + "/nofresh"}
	keys, err := gregjones.KeysForURLs(urls)
	if err != nil {
		t.Fatal(err)
	}
	sources := []struct {
		name string
		open func(t *testing.T) gregjones.Source
	}{
		{"leveldb", func(t *testing.T) gregjones.Source {
			path := filepath.Join(t.TempDir(), "db")
			db, err := leveldb.OpenFile(path, nil)
			if err != nil {
				t.Fatal(err)
			}
			fill(t, leveldbcache.NewWithDB(db), m.requests(t)...)
			db.Close()
			src, err := gregjones.OpenSource(t.Context(), gregjones.SchemeLevelDB+"://"+filepath.ToSlash(path), nil)
			if err != nil {
				t.Fatal(err)
			}
			return src
		}},
		{"MemoryCache by key", func(t *testing.T) gregjones.Source {
			c := httpcache.NewMemoryCache()
			fill(t, c, m.requests(t)...)
			return gregjones.FromCache(c, keys)
		}},
		{"backend written through a Cache", func(t *testing.T) gregjones.Source {
			b := memory.New(memory.Options{})
			t.Cleanup(func() { b.Close() })
			fill(t, gregjones.NewCache(b, nil), m.requests(t)...)
			return gregjones.FromBackend(b, nil)
		}},
	}
	for _, s := range sources {
		t.Run(s.name, func(t *testing.T) {
			src := s.open(t)
			defer src.Close()
			dst := memory.New(memory.Options{})
			defer dst.Close()
			res, err := gregjones.Import(t.Context(), src, gregjones.ImportOptions{Transport: []cachedhttp.Option{cachedhttp.WithBackend(dst)}})
			if err != nil {
				t.Fatal(err)
			}
			// Without a stored time, /nodate is stored to be revalidated
			// and, lacking a validator, not stored at all.
			if res.Imported != 5 || res.Failed != 0 || res.Reasons["no-freshness"] != 1 || res.Reasons["stale-no-validator"] != 1 || res.Reasons["head"] != 1 {
				t.Errorf("Import = %+v", res)
			}
			tr, err := cachedhttp.NewTransport(cachedhttp.WithBackend(dst))
			if err != nil {
				t.Fatal(err)
			}
			defer tr.Close()
			before := m.hits.Load()
			for _, p := range []string{"/plain", "/etag", "/chunked"} {
				if resp, _ := get(t, &http.Client{Transport: tr}, m.URL+p); !cachedhttp.Info(resp).FromCache {
					t.Errorf("%s: %v; want a hit", p, resp.Header.Values("Cache-Status"))
				}
			}
			if resp, _ := get(t, &http.Client{Transport: tr}, m.URL+"/vary", "Accept", "application/json"); !cachedhttp.Info(resp).FromCache {
				t.Errorf("/vary: %v; want a hit", resp.Header.Values("Cache-Status"))
			}
			if n := m.hits.Load() - before; n != 0 {
				t.Errorf("origin answered %d requests; want 0", n)
			}
		})
	}
}

// Import builds its Transport from the options given: key options and
// rules apply to the imported records as they would to fetched ones.
func TestImportAppliesTransportOptions(t *testing.T) {
	m := newMigrationOrigin(t)
	c := httpcache.NewMemoryCache()
	fill(t, c, newReq(t, "GET", m.URL+"/plain?session=1"), newReq(t, "GET", m.URL+"/etag"))
	dst := memory.New(memory.Options{})
	defer dst.Close()
	opts := []cachedhttp.Option{
		cachedhttp.WithBackend(dst),
		cachedhttp.WithIgnoredParams("session"),
		cachedhttp.WithURLRule("*/etag", cachedhttp.DoNotCache),
	}
	keys, _ := gregjones.KeysForURLs([]string{m.URL + "/plain?session=1", m.URL + "/etag"})
	res, err := gregjones.Import(t.Context(), gregjones.FromCache(c, keys), gregjones.ImportOptions{Transport: opts})
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported != 1 || res.Skipped != 1 || res.Reasons["bypass"] != 1 {
		t.Errorf("Import = %+v; want /plain imported and /etag skipped by its rule", res)
	}
	tr, err := cachedhttp.NewTransport(opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	// The ignored parameter is not part of the key: another value hits.
	if resp, body := get(t, &http.Client{Transport: tr}, m.URL+"/plain?session=2"); body != "plain" || !cachedhttp.Info(resp).FromCache {
		t.Errorf("/plain?session=2: %q, %v; want a hit", body, resp.Header.Values("Cache-Status"))
	}
}

// A broken entry is counted and reported, and the rest is imported; a
// cancelled context stops the import.
func TestImportFailuresAndCancellation(t *testing.T) {
	m := newMigrationOrigin(t)
	c := httpcache.NewMemoryCache()
	fill(t, c, newReq(t, "GET", m.URL+"/plain"))
	c.Set(m.URL+"/broken", []byte("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"))
	keys, _ := gregjones.KeysForURLs([]string{m.URL + "/broken", m.URL + "/plain"})
	dst := memory.New(memory.Options{})
	defer dst.Close()
	var failed []string
	res, err := gregjones.Import(t.Context(), gregjones.FromCache(c, keys), gregjones.ImportOptions{
		Transport: []cachedhttp.Option{cachedhttp.WithBackend(dst)},
		OnError: func(key string, err error) {
			if !errors.Is(err, gregjones.ErrInvalidRecord) {
				t.Errorf("OnError(%q, %v); want ErrInvalidRecord", key, err)
			}
			failed = append(failed, key)
		},
	})
	if err != nil || res.Imported != 1 || res.Failed != 1 || len(failed) != 1 || failed[0] != m.URL+"/broken" {
		t.Errorf("Import = %+v, %v; failed %q", res, err, failed)
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := gregjones.Import(ctx, gregjones.FromCache(c, keys), gregjones.ImportOptions{Transport: []cachedhttp.Option{cachedhttp.WithBackend(dst)}}); !errors.Is(err, context.Canceled) {
		t.Errorf("Import with a cancelled context: %v; want context.Canceled", err)
	}
}

// gregjones' redis package stores each response as a plain Redis string
// under "rediscache:" and the URL, which is the layout of cachedhttp's redis
// backend with that prefix: httpcache+redis://...?prefix=rediscache: reads
// it. The store is written here through a Cache over that backend, which
// produces the same keys and values.
func TestImportGregjonesRedisLayout(t *testing.T) {
	redisURL := backendtest.Service(t, "CACHEDHTTP_REDIS_URL")
	m := newMigrationOrigin(t)
	dsn := redisURL + "?prefix=rediscache:"
	b, err := backends.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	defer func() {
		// Clear would delete every "rediscache:" key of the server: delete
		// only ours.
		for _, p := range []string{"/plain", "/etag"} {
			b.Delete(context.Background(), m.URL+p, "HEAD "+m.URL+p)
		}
	}()
	fill(t, gregjones.NewCache(b, nil), newReq(t, "GET", m.URL+"/plain"), newReq(t, "GET", m.URL+"/etag"))
	var raw []byte
	raw, err = b.Get(t.Context(), m.URL+"/plain") // what gregjones' redis Cache would read
	if err != nil || !strings.HasPrefix(string(raw), "HTTP/1.1 200 OK\r\n") {
		t.Fatalf("stored %q, %v; want a dumped response under the URL", raw, err)
	}

	keys, _ := gregjones.KeysForURLs([]string{m.URL + "/plain", m.URL + "/etag"})
	src, err := gregjones.OpenSource(t.Context(), gregjones.SchemeBackendPrefix+dsn, keys)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst := memory.New(memory.Options{})
	defer dst.Close()
	res, err := gregjones.Import(t.Context(), src, gregjones.ImportOptions{Transport: []cachedhttp.Option{cachedhttp.WithBackend(dst)}})
	if err != nil || res.Imported != 2 {
		t.Fatalf("Import = %+v, %v; want 2 imported", res, err)
	}
}
