package memcache_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/memcache"
)

func TestOpen(t *testing.T) {
	srv := servers(t)
	prefix := uniquePrefix(t)
	dsn := "memcache://" + strings.Join(srv, ",") + "?prefix=" + url.QueryEscape(prefix) + "&max_item=1m&timeout=3s"
	b, err := backends.Open(t.Context(), dsn)
	if err != nil {
		t.Fatalf("Open(%q): %v", dsn, err)
	}
	mb, ok := b.(*memcache.Backend)
	if !ok {
		t.Fatalf("Open returned %T; want *memcache.Backend", b)
	}
	t.Cleanup(func() { _ = b.Close() })
	if mb.Prefix() != prefix || strings.Join(mb.Servers(), ",") != strings.Join(srv, ",") {
		t.Errorf("Prefix %q servers %v; want %q and %v from the DSN", mb.Prefix(), mb.Servers(), prefix, srv)
	}
	ctx := t.Context()
	if err := b.Set(ctx, "k", []byte("v"), 0); err != nil {
		t.Fatalf("Set: %v", err)
	}
	if v, err := b.Get(ctx, "k"); err != nil || string(v) != "v" {
		t.Errorf("Get = %q, %v", v, err)
	}
	if err := b.Clear(ctx); err != nil {
		t.Fatalf("Clear: %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	for _, dsn := range []string{"memcache://h:1?bogus=1", "memcache://h:1?prefix=has%20space"} {
		_, err := backends.Open(t.Context(), dsn)
		if err == nil || errors.Is(err, backends.ErrUnknownScheme) {
			t.Errorf("Open(%q) = %v; want a memcache error", dsn, err)
		}
	}
}
