package cachedhttp

import (
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

// Options that reach the policy package's rules, end to end through the
// Transport.

func TestURLRuleGlobDialect(t *testing.T) {
	h := newHarness(t, counter(""), WithURLRule("*/v[12]/", time.Hour))
	h.get("/v1/x")
	h.get("/v1/x")
	h.wantHits(1)
	h.get("/v3/x")
	h.get("/v3/x")
	h.wantHits(3)
	if _, err := NewTransport(WithURLRule("example.com/v[12", time.Hour)); !errors.Is(err, ErrInvalidOption) {
		t.Fatalf("unterminated class: %v, want ErrInvalidOption", err)
	}
}

func TestStaleIfErrorCodesOption(t *testing.T) {
	var failing atomic.Bool
	origin := func(w http.ResponseWriter, r *http.Request) {
		if failing.Load() {
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.Header().Set("Cache-Control", "max-age=1")
		w.Write([]byte("ok"))
	}
	for _, tt := range []struct {
		name  string
		opts  []Option
		stale bool
	}{
		{"RFC5861 4 429 is not an error by default", []Option{WithStaleIfError(time.Hour)}, false},
		{"RFC5861 4 WithStaleIfErrorCodes adds 429", []Option{WithStaleIfError(time.Hour), WithStaleIfErrorCodes(429, 500, 502, 503, 504)}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			failing.Store(false)
			h := newHarness(t, origin, tt.opts...)
			h.get("/a")
			h.clk.Advance(time.Minute)
			failing.Store(true)
			r := h.get("/a")
			if got := r.resp.StatusCode == http.StatusOK && r.body == "ok"; got != tt.stale {
				t.Fatalf("status %d body %q, want stale %v", r.resp.StatusCode, r.body, tt.stale)
			}
		})
	}
	if _, err := NewTransport(WithStaleIfErrorCodes(200)); !errors.Is(err, ErrInvalidOption) {
		t.Fatalf("WithStaleIfErrorCodes(200): %v, want ErrInvalidOption", err)
	}
}

func TestSharedSetCookie(t *testing.T) {
	t.Run("RFC9111 7.3 shared cache does not store Set-Cookie", func(t *testing.T) {
		h := newHarness(t, counter("public, max-age=60", "Set-Cookie", "sid=alice"), WithShared())
		h.get("/a")
		h.get("/a")
		h.wantHits(2)
	})
	t.Run("RFC9111 7.3 WithStripSetCookie stores without the cookie", func(t *testing.T) {
		h := newHarness(t, counter("public, max-age=60", "Set-Cookie", "sid=alice"), WithShared(), WithStripSetCookie())
		first := h.get("/a")
		second := h.get("/a")
		h.wantHits(1)
		if first.resp.Header.Get("Set-Cookie") != "sid=alice" || second.resp.Header.Get("Set-Cookie") != "" {
			t.Fatalf("Set-Cookie: first %q, second %q", first.resp.Header.Get("Set-Cookie"), second.resp.Header.Get("Set-Cookie"))
		}
	})
	t.Run("RFC9111 7.3 a 304's cookie reaches its client only", func(t *testing.T) {
		var n atomic.Int64
		origin := func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "max-age=10")
			w.Header().Set("Etag", `"v1"`)
			if r.Header.Get("If-None-Match") == `"v1"` {
				w.Header().Set("Set-Cookie", "sid="+string(rune('a'+n.Add(1))))
				w.WriteHeader(http.StatusNotModified)
				return
			}
			w.Write([]byte("body"))
		}
		h := newHarness(t, origin, WithShared(), WithStripSetCookie())
		h.get("/a")
		h.clk.Advance(time.Minute)
		revalidated := h.get("/a")
		hit := h.get("/a")
		h.wantHits(2)
		if revalidated.resp.Header.Get("Set-Cookie") != "sid=b" || hit.resp.Header.Get("Set-Cookie") != "" || hit.body != "body" {
			t.Fatalf("revalidated Set-Cookie %q, hit Set-Cookie %q body %q",
				revalidated.resp.Header.Get("Set-Cookie"), hit.resp.Header.Get("Set-Cookie"), hit.body)
		}
	})
}

func TestTargetedFieldsOption(t *testing.T) {
	origin := counter("no-store", "CDN-Cache-Control", "max-age=60")
	h := newHarness(t, origin, WithShared(), WithTargetedFields("CDN-Cache-Control"))
	h.get("/a")
	h.get("/a")
	h.wantHits(1)
	plain := newHarness(t, origin, WithShared())
	plain.get("/a")
	plain.get("/a")
	plain.wantHits(2)
}
