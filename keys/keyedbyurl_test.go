package keys_test

import (
	"math/rand/v2"
	"net/http"
	"net/url"
	"testing"

	"github.com/cachedhttp/cachedhttp/keys"
)

// TestKeyedByURL: whenever KeyedByURL says a header does not change the key
// of a request without a body, the key with that header is the key with an
// empty header; over random headers of fields a key reads (credentials,
// overrides, matched fields, in several spellings) and fields it does not,
// under four configurations. It also answers true often enough to matter.
func TestKeyedByURL(t *testing.T) {
	names := []string{
		"Accept", "accept", "User-Agent", "X-Request-Id", "Content-Type", "Host", "Connection",
		"Authorization", "authorization", "Cookie", "X-Api-Key", "x-api-key", "Proxy-Authorization",
		"X-Http-Method-Override", "X-HTTP-Method", "X-Method-Override", "X-Tenant", "x-tenant", "X-Y",
		"Accept-Language", "If-None-Match", "Bad Name", "X_Under",
	}
	values := [][]string{nil, {}, {""}, {"v"}, {"DELETE"}, {"a", "b"}}
	configs := []*keys.Config{
		nil,
		{},
		{MatchHeaders: []string{"accept", "X-Tenant"}, CredentialHeaders: []string{"x-y"}, IgnoredParams: []string{"t"}, Secret: []byte("s")},
		{MatchHeaders: []string{keys.MatchAll}},
		{NoDefaultSecrets: true},
	}
	r := rand.New(rand.NewPCG(5, 6))
	free := 0
	for i := range 20000 {
		c := configs[r.IntN(len(configs))]
		u, _ := url.Parse([]string{"http://h.example/a?t=1&q=2", "https://H.example:443/b/../c", "http://h.example/?api_key=k"}[r.IntN(3)])
		h := http.Header{}
		for range r.IntN(4) {
			h[names[r.IntN(len(names))]] = values[r.IntN(len(values))]
		}
		if !c.KeyedByURL(h) {
			continue
		}
		free++
		with := c.Create(&http.Request{Method: "GET", URL: u, Header: h}, nil)
		without := c.Create(&http.Request{Method: "GET", URL: u, Header: http.Header{}}, nil)
		if with != without {
			t.Fatalf("case %d: config %+v, header %v: KeyedByURL, but the key %s differs from %s without it", i, c, h, with, without)
		}
	}
	if free < 2000 {
		t.Fatalf("KeyedByURL true in only %d of 20,000 cases", free)
	}
}
