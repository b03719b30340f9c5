package keys_test

import (
	"net/http"
	"testing"

	"github.com/cachedhttp/cachedhttp/keys"
)

func TestMatchAll(t *testing.T) {
	all := &keys.Config{MatchHeaders: []string{keys.MatchAll}}
	base := http.Header{"Accept": {"text/html"}, "User-Agent": {"x/1"}}
	with := func(kv ...string) http.Header {
		h := base.Clone()
		for i := 0; i < len(kv); i += 2 {
			h[kv[i]] = append(h[kv[i]], kv[i+1])
		}
		return h
	}
	get := func(h http.Header) spec { return spec{method: "GET", url: "http://h/", header: h} }
	same := []struct {
		name string
		h    http.Header
	}{
		{"RFC9110 7.6.1 hop-by-hop field", with("Keep-Alive", "timeout=5")},
		{"RFC9110 7.6.1 field named by Connection", with("Connection", "close, X-Hop", "X-Hop", "1")},
		{"field named by Connection under another spelling", with("Connection", "x-hop", "x-hop", "1")},
		{"trace context", with("Traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "Tracestate", "a=b")},
		{"request id", with("X-Request-Id", "42")},
		{"RFC9111 5.2.1 request directives", with("Cache-Control", "no-cache", "Pragma", "no-cache")},
		{"RFC9110 13.1 preconditions the cache answers", with("If-None-Match", `"x"`, "If-Modified-Since", "Sat, 01 Jan 2000 00:00:00 GMT")},
		{"framing", with("Content-Length", "0")},
		{"empty field line list", with()},
	}
	for _, tt := range same {
		t.Run("not matched: "+tt.name, func(t *testing.T) {
			if a, b := key(t, all, get(base)), key(t, all, get(tt.h)); a != b {
				t.Errorf("key changed: %s -> %s", a, b)
			}
		})
	}
	differ := []struct {
		name string
		h    http.Header
	}{
		{"another field", with("X-Tenant", "a")},
		{"another value", http.Header{"Accept": {"text/plain"}, "User-Agent": {"x/1"}}},
		{"a field removed", http.Header{"Accept": {"text/html"}}},
		{"an empty field", with("X-Empty", "")},
		{"RFC9110 14.2 Range selects a part", with("Range", "bytes=0-9")},
		{"a field under a non-canonical key", with("x-tenant", "a")},
		{"a credential, through the keyed hash", with("Authorization", "Bearer a")},
	}
	for _, tt := range differ {
		t.Run("matched: "+tt.name, func(t *testing.T) {
			if a, b := key(t, all, get(base)), key(t, all, get(tt.h)); a == b {
				t.Errorf("same key %s", a)
			}
		})
	}
	t.Run("a non-canonical key is the canonical field", func(t *testing.T) {
		if a, b := key(t, all, get(with("x-tenant", "a"))), key(t, all, get(with("X-Tenant", "a"))); a != b {
			t.Errorf("keys differ: %s, %s", a, b)
		}
	})
	t.Run("credentials are never matched in clear", func(t *testing.T) {
		c := &keys.Config{MatchHeaders: []string{"*"}, Secret: []byte("one")}
		d := &keys.Config{MatchHeaders: []string{"*"}, Secret: []byte("two")}
		s := get(with("Cookie", "sid=1"))
		if key(t, c, s) == key(t, d, s) {
			t.Errorf("a cookie is keyed without the secret")
		}
	})
	t.Run("MatchAll differs from listing the same fields", func(t *testing.T) {
		list := &keys.Config{MatchHeaders: []string{"Accept", "User-Agent"}}
		if key(t, all, get(base)) == key(t, list, get(base)) {
			t.Errorf("\"*\" and an explicit list share a key")
		}
	})
}

func TestMethodOverride(t *testing.T) {
	c := &keys.Config{}
	post := func(h http.Header) spec { return spec{method: "POST", url: "http://h/r", header: h, body: "x"} }
	plain := key(t, c, post(nil))
	get := key(t, c, spec{method: "GET", url: "http://h/r"})
	del := key(t, c, spec{method: "DELETE", url: "http://h/r", body: "x"})
	seen := map[string]string{plain: "plain POST", get: "GET", del: "DELETE"}
	for _, h := range []http.Header{
		{"X-Http-Method-Override": {"DELETE"}},
		{"X-Http-Method": {"DELETE"}},
		{"X-Method-Override": {"DELETE"}},
		{"X-Http-Method-Override": {"GET"}},
		{"X-Http-Method-Override": {"DELETE"}, "X-Method-Override": {"PUT"}},
	} {
		k := key(t, c, post(h))
		if prev, ok := seen[k]; ok {
			t.Errorf("POST with %v shares key %s with %s", h, k, prev)
		}
		seen[k] = "POST with override"
	}
	if key(t, c, post(http.Header{"x-http-method-override": {" delete "}})) !=
		key(t, c, post(http.Header{"X-Http-Method-Override": {"DELETE"}})) {
		t.Errorf("override value case or spelling of the field name changes the key")
	}
}

func TestEffectiveMethod(t *testing.T) {
	tests := []struct {
		method string
		h      http.Header
		want   string
	}{
		{"POST", nil, "POST"},
		{"POST", http.Header{"X-Http-Method-Override": {" delete "}}, "DELETE"},
		{"POST", http.Header{"X-Http-Method": {"PATCH"}}, "PATCH"},
		{"POST", http.Header{"X-Method-Override": {"PUT"}}, "PUT"},
		{"POST", http.Header{"X-Method-Override": {"PUT"}, "X-Http-Method-Override": {"DELETE"}}, "DELETE"},
		{"POST", http.Header{"x-http-method-override": {"put"}}, "PUT"},
		{"POST", http.Header{"X-Http-Method-Override": {" "}}, "POST"},
	}
	for _, tt := range tests {
		if got := keys.EffectiveMethod(tt.method, tt.h); got != tt.want {
			t.Errorf("EffectiveMethod(%q, %v) = %q, want %q", tt.method, tt.h, got, tt.want)
		}
	}
}
