package cachedhttp

import (
	"testing"

	"github.com/cachedhttp/cachedhttp/keys"
)

func TestKeyOptions(t *testing.T) {
	t.Run("default secret headers separate users", func(t *testing.T) {
		h := newHarness(t, counter("max-age=60"))
		h.get("/s", "X-API-Key", "alice")
		h.get("/s", "X-API-Key", "bob")
		h.get("/s", "X-API-Key", "alice")
		h.wantHits(2)
	})
	t.Run("WithoutDefaultSecrets keeps the old shared key", func(t *testing.T) {
		h := newHarness(t, counter("max-age=60"), WithoutDefaultSecrets())
		h.get("/s", "X-API-Key", "alice")
		h.get("/s", "X-API-Key", "bob")
		h.wantHits(1)
	})
	t.Run("WithMatchHeaders(\"*\") matches representation fields only", func(t *testing.T) {
		h := newHarness(t, counter("max-age=60"), WithMatchHeaders(keys.MatchAll))
		h.get("/m", "Accept", "text/html", "X-Request-Id", "1")
		h.get("/m", "Accept", "text/html", "X-Request-Id", "2")
		h.get("/m", "Accept", "application/json")
		h.wantHits(2)
	})
	t.Run("WithContentRootKey", func(t *testing.T) {
		h := newHarness(t, counter("max-age=60"), WithContentRootKey("data"))
		if got := h.tr.Keys().ContentRootKey; got != "data" {
			t.Errorf("ContentRootKey = %q", got)
		}
	})
}
