package redis_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/backendtest"
	"github.com/cachedhttp/cachedhttp/backends/redis"
)

func TestOpen(t *testing.T) {
	tests := []struct {
		name string
		dsn  func(t *testing.T, prefix string) string
	}{
		{"redis:// opens a single server", func(t *testing.T, prefix string) string {
			return backendtest.Service(t, "CACHEDHTTP_REDIS_URL") + "?prefix=" + url.QueryEscape(prefix)
		}},
		{"redis+cluster:// opens a cluster from comma-separated seeds", func(t *testing.T, prefix string) string {
			return "redis+cluster://" + backendtest.Service(t, "CACHEDHTTP_REDIS_CLUSTER") + "?prefix=" + url.QueryEscape(prefix)
		}},
		{"redis+sentinel:// opens the current primary", func(t *testing.T, prefix string) string {
			addrs := backendtest.Service(t, "CACHEDHTTP_REDIS_SENTINEL")
			master := backendtest.Service(t, "CACHEDHTTP_REDIS_SENTINEL_MASTER")
			return "redis+sentinel://" + addrs + "/0?master=" + url.QueryEscape(master) + "&prefix=" + url.QueryEscape(prefix)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prefix := uniquePrefix(t)
			dsn := tt.dsn(t, prefix)
			b, err := backends.Open(t.Context(), dsn)
			if err != nil {
				t.Fatalf("Open(%q): %v", dsn, err)
			}
			rb, ok := b.(*redis.Backend)
			if !ok {
				t.Fatalf("Open returned %T; want *redis.Backend", b)
			}
			t.Cleanup(func() { _ = b.Close() })
			if rb.Prefix() != prefix {
				t.Errorf("Prefix() = %q; want %q from the DSN", rb.Prefix(), prefix)
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
			client := rb.Client()
			if err := b.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if err := client.Ping(context.Background()).Err(); err == nil {
				t.Error("the client a DSN opened is still usable after Close; want it closed with the backend")
			}
		})
	}
}

func TestOpenRegistersEverySchemeAndHidesPasswords(t *testing.T) {
	registered := strings.Join(backends.Schemes(), " ")
	for _, s := range redis.Schemes {
		if !strings.Contains(" "+registered+" ", " "+s+" ") {
			t.Errorf("scheme %q is not registered (have %s)", s, registered)
		}
	}
	_, err := backends.Open(t.Context(), "redis://user:hunter2@127.0.0.1:1/0?bogus=1")
	if err == nil {
		t.Fatal("Open with an unknown parameter succeeded")
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("Open error %q shows the password", err)
	}
	if errors.Is(err, backends.ErrUnknownScheme) {
		t.Errorf("Open error %q: the redis scheme is not registered", err)
	}
}
