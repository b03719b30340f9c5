package kv_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/kv"
)

func TestOpen(t *testing.T) {
	c, err := kv.Open(t.Context(), "memory://?max_entries=2&kv.ttl=1h&kv.prefix=p:&kv.codec=json")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if c.Prefix() != "p:" {
		t.Errorf("Prefix() = %q", c.Prefix())
	}
	if err := c.Set(t.Context(), "s", "json text", kv.DefaultTTL); err != nil {
		t.Fatal(err)
	}
	raw, err := c.Backend().Get(t.Context(), "p:s")
	if err != nil || string(raw) != `"json text"` {
		t.Errorf("stored bytes = %q, %v; want the JSON string under the prefix", raw, err)
	}
	// max_entries went to the store: flask-caching's threshold.
	for _, k := range []string{"a", "b", "c"} {
		if err := c.Set(t.Context(), k, 1, kv.DefaultTTL); err != nil {
			t.Fatal(err)
		}
	}
	if ok, _ := c.Has(t.Context(), "s"); ok {
		t.Errorf("the store kept more than max_entries=2")
	}
	var e backends.Entry
	for got, err := range c.Backend().Scan(t.Context()) {
		if err != nil {
			t.Fatal(err)
		}
		e = got
	}
	if until := time.Until(e.Expires); until < 59*time.Minute || until > time.Hour {
		t.Errorf("a value set with DefaultTTL expires in %v; want kv.ttl=1h", until)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := c.Set(t.Context(), "k", 1, kv.DefaultTTL); !errors.Is(err, backends.ErrClosed) {
		t.Errorf("Set after Close = %v; want ErrClosed (Close closes the store Open opened)", err)
	}
	for dsn, want := range map[string]string{
		"memory://?kv.ttl=soon":     "kv.ttl",
		"memory://?kv.codec=gob":    "unknown codec",
		"memory://?kv.other=1":      "unknown parameter",
		"nosuchscheme://":           "unknown DSN scheme",
		"memory://?max_entries=abc": "max_entries",
	} {
		if _, err := kv.Open(t.Context(), dsn); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Open(%q) = %v; want an error about %s", dsn, err, want)
		}
	}
}

func TestOpenAll(t *testing.T) {
	db := "bbolt://" + filepath.Join(t.TempDir(), "shared.db") + "?nosync=true"
	cs, err := kv.OpenAll(t.Context(), map[string]string{
		"sessions": db + "&kv.prefix=s:&kv.ttl=30m",
		"pages":    db + "&kv.prefix=p:",
		"local":    "memory://",
	})
	if err != nil {
		t.Fatalf("OpenAll: %v", err)
	}
	if got := strings.Join(cs.Names(), ","); got != "local,pages,sessions" {
		t.Errorf("Names() = %s", got)
	}
	sessions, err := cs.Cache("sessions")
	if err != nil {
		t.Fatal(err)
	}
	pages, _ := cs.Cache("pages")
	if sessions.Backend() != pages.Backend() {
		t.Errorf("two caches on one bbolt file opened it twice")
	}
	if err := sessions.Set(t.Context(), "k", "session", kv.DefaultTTL); err != nil {
		t.Fatal(err)
	}
	if err := pages.Set(t.Context(), "k", "page", kv.DefaultTTL); err != nil {
		t.Fatal(err)
	}
	if err := sessions.Clear(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got, err := kv.Get[string](t.Context(), pages, "k"); got != "page" || err != nil {
		t.Errorf("pages after clearing sessions = %q, %v", got, err)
	}
	if _, err := cs.Cache("nope"); !errors.Is(err, kv.ErrUnknownCache) || !strings.Contains(err.Error(), "local, pages, sessions") {
		t.Errorf("Cache(nope) = %v; want ErrUnknownCache listing the names", err)
	}
	if err := cs.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := pages.Set(t.Context(), "k", 1, kv.DefaultTTL); !errors.Is(err, backends.ErrClosed) {
		t.Errorf("Set after Caches.Close = %v; want ErrClosed", err)
	}
	// The file was closed: it opens again at once (bbolt locks it).
	again, err := kv.Open(t.Context(), db)
	if err != nil {
		t.Fatalf("reopen after Close: %v", err)
	}
	_ = again.Close()
}

func TestOpenAllFailure(t *testing.T) {
	db := "bbolt://" + filepath.Join(t.TempDir(), "x.db") + "?nosync=true"
	_, err := kv.OpenAll(t.Context(), map[string]string{"a": db, "b": "nosuchscheme://"})
	if !errors.Is(err, backends.ErrUnknownScheme) || !strings.Contains(err.Error(), `cache "b"`) {
		t.Fatalf("OpenAll with a bad DSN = %v; want ErrUnknownScheme naming cache b", err)
	}
	// "a" was opened first, then closed: its file is free.
	c, err := kv.Open(t.Context(), db+"&timeout=-1s")
	if err != nil {
		t.Fatalf("the store of a failed OpenAll is still open: %v", err)
	}
	_ = c.Close()
}
