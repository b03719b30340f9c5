package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp"
	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/memory"
	"github.com/cachedhttp/cachedhttp/models"
)

// TestMigrateBboltToFile fills a bbolt cache through a Session, migrates
// it to a filesystem cache, and reads every response back from there
// through a Session without contacting the origin.
func TestMigrateBboltToFile(t *testing.T) {
	const n = 25
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		cacheable("body of "+r.URL.Path)(w, r)
	})
	from := tempDSN(t)
	to := "file://" + filepath.ToSlash(filepath.Join(t.TempDir(), "cache"))
	sess, err := open(from)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if _, body := fetch(t, sess.Client, fmt.Sprintf("%s/r/%d", o.URL, i)); body == "" {
			t.Fatal("empty body")
		}
	}
	if err := sess.Close(); err != nil {
		t.Fatal(err)
	}

	r := mustRun(t, "migrate", "-from", from, "-to", to)
	if want := fmt.Sprintf("copied %d (", n); !strings.Contains(r.err, want) || !strings.Contains(r.err, "skipped 0 (expired), failed 0") {
		t.Errorf("migrate says %q, want %q", r.err, want)
	}

	sess, err = open(to)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	for i := range n {
		u := fmt.Sprintf("%s/r/%d", o.URL, i)
		req, _ := http.NewRequestWithContext(cachedhttp.OnlyIfCached(context.Background()), http.MethodGet, u, nil)
		resp, err := sess.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !cachedhttp.Info(resp).FromCache || string(body) != fmt.Sprintf("body of /r/%d", i) {
			t.Errorf("%s after migration: %s %q, Cache-Status %q", u, resp.Status, body, resp.Header.Get("Cache-Status"))
		}
	}
	if got := o.hits.Load(); got != n {
		t.Errorf("origin hits = %d, want %d", got, n)
	}
	sess.Close()

	// And back, from the filesystem to a new bbolt file.
	back := tempDSN(t)
	r = mustRun(t, "migrate", "-from", to, "-to", back, "-workers", "8")
	if want := fmt.Sprintf("copied %d (", n); !strings.Contains(r.err, want) {
		t.Errorf("migrate back says %q, want %q", r.err, want)
	}
	if r := mustRun(t, "ls", "-cache", back); strings.Count(r.out, o.URL+"/r/") != n {
		t.Errorf("after migrating back:\n%s", r.out)
	}
}

// recordingBackend records the TTL of every Set and fails the Set of the
// keys in fail.
type recordingBackend struct {
	backends.Backend
	mu   sync.Mutex
	ttls map[string]time.Duration
	fail map[string]bool
}

func (b *recordingBackend) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if b.fail[key] {
		return errors.New("disk full")
	}
	b.mu.Lock()
	b.ttls[key] = ttl
	b.mu.Unlock()
	return b.Backend.Set(ctx, key, value, ttl)
}

func TestMigrateBackends(t *testing.T) {
	ctx := context.Background()
	src := memory.New(memory.Options{})
	for k, ttl := range map[string]time.Duration{
		"long": 2 * time.Hour, "forever": 0, "short": 30 * time.Minute, "broken": 2 * time.Hour,
	} {
		if err := src.Set(ctx, k, []byte("value of "+k), ttl); err != nil {
			t.Fatal(err)
		}
	}
	expires := map[string]time.Time{}
	for e, err := range src.Scan(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		expires[e.Key] = e.Expires
	}
	dst := &recordingBackend{Backend: memory.New(memory.Options{}), ttls: map[string]time.Duration{}, fail: map[string]bool{"broken": true}}
	// An hour from now "short" has expired and "long" has an hour left.
	now := time.Now().Add(time.Hour)
	var errOut bytes.Buffer
	c, err := migrateBackends(ctx, src, dst, migrateOptions{now: func() time.Time { return now }, workers: 3, errOut: &errOut})
	if err != nil {
		t.Fatal(err)
	}
	if want := (migrateCounts{copied: 2, skipped: 1, failed: 1, bytes: int64(len("value of long") + len("value of forever"))}); c != want {
		t.Errorf("counts = %+v, want %+v", c, want)
	}
	if want := map[string]time.Duration{"long": expires["long"].Sub(now), "forever": 0}; fmt.Sprint(dst.ttls) != fmt.Sprint(want) {
		t.Errorf("TTLs = %v, want %v", dst.ttls, want)
	}
	for _, k := range []string{"long", "forever"} {
		if v, err := dst.Get(ctx, k); err != nil || string(v) != "value of "+k {
			t.Errorf("destination %s = %q, %v", k, v, err)
		}
	}
	if _, err := dst.Get(ctx, "short"); !errors.Is(err, backends.ErrNotFound) {
		t.Errorf("expired entry was copied: %v", err)
	}
	if !strings.Contains(errOut.String(), `"broken": write: disk full`) {
		t.Errorf("the failure is not named: %q", errOut.String())
	}
}

// failingScan yields its entries, then an error.
type failingScan struct{ backends.Backend }

func (b failingScan) Scan(ctx context.Context) iter.Seq2[backends.Entry, error] {
	return func(yield func(backends.Entry, error) bool) {
		for e, err := range b.Backend.Scan(ctx) {
			if !yield(e, err) {
				return
			}
		}
		yield(backends.Entry{}, errors.New("connection reset"))
	}
}

func TestMigrateBackendsScanError(t *testing.T) {
	ctx := context.Background()
	src := memory.New(memory.Options{})
	src.Set(ctx, "a", []byte("a"), 0)
	dst := memory.New(memory.Options{})
	c, err := migrateBackends(ctx, failingScan{src}, dst, migrateOptions{now: time.Now})
	if err == nil || !strings.Contains(err.Error(), "connection reset") {
		t.Errorf("err = %v, want the scan error", err)
	}
	if c.copied != 1 {
		t.Errorf("copied %d before the error, want 1", c.copied)
	}
}

func TestMigrateCommand(t *testing.T) {
	dir := t.TempDir()
	from := "bbolt://" + filepath.ToSlash(filepath.Join(dir, "a.db"))
	to := "bbolt://" + filepath.ToSlash(filepath.Join(dir, "b.db"))
	now := time.Now()
	seed(t, from, map[string]*models.Response{
		"k1": record("http://a.example/1", "one", now, now.Add(time.Hour)),
		"k2": record("http://a.example/2", "two", now, now.Add(time.Hour)),
	})

	t.Run("serializer parameters are not backend parameters", func(t *testing.T) {
		r := mustRun(t, "migrate", "-from", from+"?serializer=json", "-to", to+"?compress=gzip&nosync=true")
		if !strings.Contains(r.err, "copied 2 (") {
			t.Errorf("stderr: %s", r.err)
		}
		if r := mustRun(t, "ls", "-cache", to); !strings.Contains(r.out, "http://a.example/1") || !strings.Contains(r.out, "http://a.example/2") {
			t.Errorf("destination:\n%s", r.out)
		}
	})
	t.Run("progress", func(t *testing.T) {
		r := mustRun(t, "migrate", "-from", from, "-to", to, "-progress")
		// Not a terminal: whole lines, the first drawn at once.
		if !regexp.MustCompile(`(?m)^migrate: [0-2]/2 \([0-9]+%\) copied `).MatchString(r.err) || strings.Contains(r.err, "\r") {
			t.Errorf("progress lines:\n%q", r.err)
		}
	})
	t.Run("no progress when not asked and not a terminal", func(t *testing.T) {
		r := mustRun(t, "migrate", "-from", from, "-to", to)
		if strings.Contains(r.err, "(50%)") {
			t.Errorf("progress without -progress:\n%q", r.err)
		}
	})
	for _, tt := range []struct {
		name string
		args []string
		msg  string
	}{
		{"no destination", []string{"-from", from}, "want --from DSN and --to DSN"},
		{"same backend", []string{"-from", from, "-to", from + "?serializer=json"}, "same backend"},
		{"no workers", []string{"-from", from, "-to", to, "-workers", "0"}, "-workers"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := runCmd(t, append([]string{"migrate"}, tt.args...)...)
			if r.code != exitUsage || !strings.Contains(r.err, tt.msg) {
				t.Errorf("status %d, stderr %q", r.code, r.err)
			}
		})
	}
	t.Run("unknown source", func(t *testing.T) {
		if r := runCmd(t, "migrate", "-from", "nosuch://", "-to", to); r.code != exitError {
			t.Errorf("status %d, stderr %q", r.code, r.err)
		}
	})
}

// An interrupted migration reports the interruption, not failed records.
func TestMigrateBackendsCancelled(t *testing.T) {
	src := memory.New(memory.Options{})
	for i := range 50 {
		src.Set(context.Background(), fmt.Sprint(i), []byte("v"), 0)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c, err := migrateBackends(ctx, src, memory.New(memory.Options{}), migrateOptions{now: time.Now, workers: 2})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if c.failed != 0 || c.copied != 0 {
		t.Errorf("counts = %+v", c)
	}
}
