package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/models"
)

func TestGetMissThenHit(t *testing.T) {
	o := newOrigin(t, cacheable("hello\n"))
	dsn := tempDSN(t)

	r := mustRun(t, "get", "-cache", dsn, o.URL+"/a")
	if r.out != "hello\n" {
		t.Errorf("first body = %q", r.out)
	}
	if !strings.Contains(r.err, "fwd=uri-miss") || !strings.Contains(r.err, "stored") {
		t.Errorf("first Cache-Status = %q, want a miss that is stored", r.err)
	}
	r = mustRun(t, "get", "-cache", dsn, o.URL+"/a")
	if r.out != "hello\n" {
		t.Errorf("second body = %q", r.out)
	}
	if !strings.HasPrefix(r.err, "cachedhttp; hit") {
		t.Errorf("second Cache-Status = %q, want a hit", r.err)
	}
	if n := o.hits.Load(); n != 1 {
		t.Errorf("origin hits = %d, want 1", n)
	}
}

func TestGetIncludeHeader(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Origin", "yes")
		cacheable("body")(w, r)
	})
	dsn := tempDSN(t)
	mustRun(t, "get", "-cache", dsn, o.URL)
	r := mustRun(t, "get", "-cache", dsn, "-i", o.URL)
	head, body, ok := strings.Cut(r.out, "\r\n\r\n")
	if !ok {
		t.Fatalf("no empty line after the header:\n%q", r.out)
	}
	if body != "body" {
		t.Errorf("body = %q", body)
	}
	if !strings.HasPrefix(head, "HTTP/1.1 200 OK\r\n") {
		t.Errorf("status line: %q", head)
	}
	for _, f := range []string{"X-Origin: yes", "Cache-Control: max-age=60", "Cache-Status: cachedhttp; hit", "Age: "} {
		if !strings.Contains(head, "\r\n"+f) {
			t.Errorf("header lacks %q:\n%s", f, head)
		}
	}
	if r.err != "" {
		t.Errorf("stderr = %q, want nothing with -i", r.err)
	}
}

func TestGetOffline(t *testing.T) {
	o := newOrigin(t, cacheable("x"))
	dsn := tempDSN(t)
	r := mustRun(t, "get", "-cache", dsn, "-offline", "-i", o.URL+"/never-fetched")
	if !strings.HasPrefix(r.out, "HTTP/1.1 504 Gateway Timeout\r\n") {
		t.Errorf("offline miss:\n%s", r.out)
	}
	if !strings.Contains(r.out, "only-if-cached") {
		t.Errorf("offline miss does not say why:\n%s", r.out)
	}
	if n := o.hits.Load(); n != 0 {
		t.Errorf("origin hits = %d, want 0", n)
	}
	mustRun(t, "get", "-cache", dsn, o.URL+"/fetched")
	r = mustRun(t, "get", "-cache", dsn, "-offline", o.URL+"/fetched")
	if r.out != "x" || !strings.Contains(r.err, "hit") {
		t.Errorf("offline hit: %q, %q", r.out, r.err)
	}
}

func TestGetRequestHeaders(t *testing.T) {
	o := newOrigin(t, cacheable("x"))
	mustRun(t, "get", "-cache", tempDSN(t), "-H", "X-One: 1", "-H", "x-two:  two words ", o.URL)
	h := o.lastHeader()
	if h.Get("X-One") != "1" || h.Get("X-Two") != "two words" {
		t.Errorf("origin got %v", h)
	}
}

func TestGetRefreshRevalidates(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"e"`)
		w.Header().Set("Cache-Control", "max-age=60")
		if r.Header.Get("If-None-Match") == `"e"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Write([]byte("x"))
	})
	dsn := tempDSN(t)
	mustRun(t, "get", "-cache", dsn, o.URL)
	r := mustRun(t, "get", "-cache", dsn, "-refresh", o.URL)
	if r.out != "x" || !strings.Contains(r.err, "fwd-status=304") {
		t.Errorf("refresh: %q, %q", r.out, r.err)
	}
	if o.hits.Load() != 2 || o.lastHeader().Get("If-None-Match") != `"e"` {
		t.Errorf("origin: %d hits, last header %v", o.hits.Load(), o.lastHeader())
	}
}

func TestLs(t *testing.T) {
	o := newOrigin(t, cacheable("12345"))
	dsn := tempDSN(t)
	mustRun(t, "get", "-cache", dsn, o.URL+"/one")
	mustRun(t, "get", "-cache", dsn, o.URL+"/two?q=1")

	r := mustRun(t, "ls", "-cache", dsn)
	lines := strings.Split(strings.TrimSpace(r.out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "key ") {
		t.Fatalf("ls:\n%s", r.out)
	}
	for _, u := range []string{o.URL + "/one", o.URL + "/two?q=1"} {
		k := keyOf(t, u)
		want := []string{shortKey(k), "200", "GET", u, "5"}
		found := false
		for _, l := range lines[1:] {
			if strings.Fields(l)[3] == u {
				found = true
				if got := strings.Fields(l)[:5]; strings.Join(got, " ") != strings.Join(want, " ") {
					t.Errorf("ls row %q, want it to start with %q", l, want)
				}
			}
		}
		if !found {
			t.Errorf("ls does not list %s:\n%s", u, r.out)
		}
	}
	r = mustRun(t, "ls", "-cache", dsn, "-l")
	if k := keyOf(t, o.URL+"/one"); !strings.Contains(r.out, k+" ") {
		t.Errorf("ls -l does not print the whole key %s:\n%s", k, r.out)
	}
}

func TestStats(t *testing.T) {
	dsn := tempDSN(t)
	now := time.Now()
	seed(t, dsn, map[string]*models.Response{
		"k1":  record("http://a.example/1", "abc", now, now.Add(time.Hour)),
		"k2":  record("http://a.example/2", "defgh", now.Add(-time.Hour), now.Add(-time.Minute), "ETag", `"v"`),
		"bad": nil,
	})
	r := mustRun(t, "stats", "-cache", dsn)
	if want := "responses 2 (stale 1), body bytes 8, unreadable 1\n"; r.out != want {
		t.Errorf("stats = %q, want %q", r.out, want)
	}
}

func TestPurge(t *testing.T) {
	dsn := tempDSN(t)
	now := time.Now()
	old := now.Add(-2 * time.Hour)
	seed(t, dsn, map[string]*models.Response{
		"fresh":          record("http://a.example/fresh", "f", now, now.Add(time.Hour)),
		"never":          record("http://a.example/never", "n", old, time.Time{}),
		"expired":        record("http://a.example/expired", "e", old, old.Add(time.Minute)),
		"expired-etag":   record("http://a.example/etag", "t", old, old.Add(time.Minute), "ETag", `"v"`),
		"expired-lastmo": record("http://a.example/lastmod", "l", old, old.Add(time.Minute), "Last-Modified", old.UTC().Format(http.TimeFormat)),
	})
	listed := func() string {
		r := mustRun(t, "ls", "-cache", dsn)
		var urls []string
		for _, l := range strings.Split(strings.TrimSpace(r.out), "\n")[1:] {
			urls = append(urls, strings.TrimPrefix(strings.Fields(l)[3], "http://a.example/"))
		}
		slices.Sort(urls)
		return fmt.Sprint(urls)
	}
	if got := listed(); got != "[etag expired fresh lastmod never]" {
		t.Fatalf("seeded: %s", got)
	}
	r := mustRun(t, "purge", "-cache", dsn)
	if r.out != "deleted 1 expired responses\n" {
		t.Errorf("purge: %q", r.out)
	}
	// Expired records with a validator are kept for revalidation.
	if got := listed(); got != "[etag fresh lastmod never]" {
		t.Errorf("after purge: %s", got)
	}
	r = mustRun(t, "purge", "-cache", dsn, "-all")
	if r.out != "cleared\n" {
		t.Errorf("purge -all: %q", r.out)
	}
	if got := listed(); got != "[]" {
		t.Errorf("after purge -all: %s", got)
	}
}

// Entries past the store's own expiry are not records any more (Get misses)
// but stay on disk in bbolt and filesystem stores: purge sweeps them.
func TestPurgeSweepsStoreExpiredEntries(t *testing.T) {
	for _, dsn := range []string{tempDSN(t), "file://" + filepath.ToSlash(filepath.Join(t.TempDir(), "c"))} {
		now := time.Now()
		seedTTL(t, dsn, time.Nanosecond, map[string]*models.Response{
			"gone": record("http://a.example/gone", "g", now, now.Add(time.Hour)),
		})
		seed(t, dsn, map[string]*models.Response{
			"kept": record("http://a.example/kept", "k", now, now.Add(time.Hour)),
		})
		r := mustRun(t, "purge", "-cache", dsn)
		if r.out != "deleted 1 expired responses\n" {
			t.Errorf("%s: purge: %q", dsn, r.out)
		}
		if got := fmt.Sprint(rawKeys(t, dsn)); got != "[kept]" {
			t.Errorf("%s: after purge the store holds %s", dsn, got)
		}
	}
}

// purge --compact sweeps, then rewrites the bbolt file without the pages
// the swept entries freed: the file shrinks, and what was kept reads back.
func TestPurgeCompact(t *testing.T) {
	dsn := tempDSN(t)
	path := strings.TrimPrefix(dsn, "bbolt://")
	now := time.Now()
	gone, kept := map[string]*models.Response{}, map[string]*models.Response{}
	rng := rand.New(rand.NewPCG(1, 2))
	bodies := map[int]string{}
	for i := range 300 {
		raw := make([]byte, 3000)
		for j := range raw {
			raw[j] = byte(rng.Uint32())
		}
		body := base64.StdEncoding.EncodeToString(raw) // 4,000 B that compression cannot fold
		bodies[i] = body
		if i < 200 {
			gone[fmt.Sprint("gone-", i)] = record(fmt.Sprint("http://a.example/gone/", i), body, now, now.Add(time.Hour))
		} else {
			kept[fmt.Sprint("kept-", i)] = record(fmt.Sprint("http://a.example/kept/", i), body, now, now.Add(time.Hour))
		}
	}
	seedTTL(t, dsn, time.Nanosecond, gone)
	seed(t, dsn, kept)
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	r := mustRun(t, "purge", "-cache", dsn, "--compact")
	after, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("deleted 200 expired responses\ncompacted %s: %s -> %s\n", dsn, formatBytes(before.Size()), formatBytes(after.Size()))
	if r.out != want {
		t.Errorf("purge --compact printed %q; want %q", r.out, want)
	}
	// 100 records of 4,000 B, in full pages, against 300 before (zstd
	// takes a quarter off each).
	if after.Size() >= before.Size()/2 {
		t.Errorf("file is %d B after purge --compact, %d B before", after.Size(), before.Size())
	}
	if got := rawKeys(t, dsn); len(got) != 100 || !strings.HasPrefix(got[0], "kept-") {
		t.Errorf("after purge --compact the store holds %d keys (%.3q...)", len(got), got)
	}
	r = mustRun(t, "show", "-cache", dsn, "kept-250")
	if !strings.Contains(r.out, bodies[250]) {
		t.Errorf("show of a kept record after compaction lacks its body:\n%.300s", r.out)
	}
}

func TestPurgeCompactRefusals(t *testing.T) {
	fileDSN := "file://" + filepath.ToSlash(filepath.Join(t.TempDir(), "c"))
	seed(t, fileDSN, map[string]*models.Response{"k": record("http://a.example/k", "k", time.Now(), time.Now().Add(time.Hour))})
	r := runCmd(t, "purge", "-cache", fileDSN, "--compact")
	if r.code == 0 || !strings.Contains(r.err, "only bbolt files are compacted") {
		t.Errorf("purge --compact of a directory store: exit %d, stderr %q", r.code, r.err)
	}
	if got := rawKeys(t, fileDSN); len(got) != 1 {
		t.Errorf("a refused purge --compact changed the store: %q", got)
	}

	// Another handle holds the file: the purge itself cannot open it.
	dsn := tempDSN(t) + "?timeout=-1s"
	seed(t, dsn, map[string]*models.Response{"k": record("http://a.example/k", "k", time.Now(), time.Now().Add(time.Hour))})
	held, err := backends.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	r = runCmd(t, "purge", "-cache", dsn, "--compact")
	if r.code == 0 || !strings.Contains(r.err, "lock") {
		t.Errorf("purge --compact of a file another handle holds: exit %d, stderr %q", r.code, r.err)
	}
}
