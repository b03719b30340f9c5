package keys_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/cachedhttp/cachedhttp/keys"
)

var update = flag.Bool("update", false, "rewrite testdata/keys/golden.json from the current key scheme")

// goldenPath is shared with the repository's other golden files.
var goldenPath = filepath.Join("..", "testdata", "keys", "golden.json")

type goldenConfig struct {
	IgnoredParams     []string `json:"ignored_params,omitempty"`
	SecretParams      []string `json:"secret_params,omitempty"`
	MatchHeaders      []string `json:"match_headers,omitempty"`
	CredentialHeaders []string `json:"credential_headers,omitempty"`
	Secret            string   `json:"secret,omitempty"`
	MaxBody           int      `json:"max_body,omitempty"`
	NoDefaultSecrets  bool     `json:"no_default_secrets,omitempty"`
	ContentRootKey    string   `json:"content_root_key,omitempty"`
}

func (g goldenConfig) config() *keys.Config {
	c := &keys.Config{
		IgnoredParams: g.IgnoredParams, SecretParams: g.SecretParams,
		MatchHeaders: g.MatchHeaders, CredentialHeaders: g.CredentialHeaders, MaxBody: g.MaxBody,
		NoDefaultSecrets: g.NoDefaultSecrets, ContentRootKey: g.ContentRootKey,
	}
	if g.Secret != "" {
		c.Secret = []byte(g.Secret)
	}
	return c
}

// goldenCase is one entry of golden.json: a request, the Config it is keyed
// with, and the key (and, with Vary, the variant key) it must get.
type goldenCase struct {
	Name    string       `json:"name"`
	Method  string       `json:"method"`
	URL     string       `json:"url"`
	Host    string       `json:"host,omitempty"`
	Headers http.Header  `json:"headers,omitempty"`
	Body    string       `json:"body,omitempty"`
	Config  goldenConfig `json:"config"`
	Vary    []string     `json:"vary,omitempty"`
	Key     string       `json:"key"`
	Variant string       `json:"variant,omitempty"`
	// History records deliberate changes of this case's key or variant
	// (see TestGoldenKeys): when, why, and what the value was before.
	History string `json:"history,omitempty"`
}

func (g *goldenCase) compute(t *testing.T) (key, variant string) {
	t.Helper()
	u, err := url.Parse(g.URL)
	if err != nil {
		t.Fatalf("%s: url.Parse(%q): %v", g.Name, g.URL, err)
	}
	req := &http.Request{Method: g.Method, URL: u, Header: g.Headers, Host: g.Host}
	c := g.Config.config()
	key = c.Create(req, []byte(g.Body))
	if g.Vary != nil {
		variant = c.Variant(key, g.Vary, g.Headers)
	}
	return key, variant
}

var (
	gJSON = http.Header{"Content-Type": {"application/json"}}
	gForm = http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	gTS   = goldenConfig{IgnoredParams: []string{"ts", "utm_source"}, SecretParams: []string{"api_key"}}
)

// goldenCases are the inputs of golden.json: one or more for every rule.
var goldenCases = []goldenCase{
	{Name: "plain GET", Method: "GET", URL: "http://example.com/"},
	{Name: "HEAD keyed as GET", Method: "HEAD", URL: "http://example.com/"},
	{Name: "lower-case method", Method: "post", URL: "http://example.com/"},
	{Name: "scheme and host case, default port", Method: "GET", URL: "HTTP://Example.COM:80/"},
	{Name: "https default and leading-zero port", Method: "GET", URL: "https://example.com:0443/a"},
	{Name: "non-default port", Method: "GET", URL: "https://example.com:8443/a"},
	{Name: "percent-encoding hex case and unreserved", Method: "GET", URL: "http://example.com/%7euser/a%2fb%41"},
	{Name: "dot segments", Method: "GET", URL: "http://example.com/a/./b/../c/%2e%2e/d"},
	{Name: "empty path with query", Method: "GET", URL: "http://example.com?a=1"},
	{Name: "query sorted, repeated names stable", Method: "GET", URL: "http://example.com/s?q=go&b=2&a=1&b=1"},
	{Name: "empty query and fragment", Method: "GET", URL: "http://example.com/?#frag"},
	{Name: "plus is space in query", Method: "GET", URL: "http://example.com/s?q=a+b"},
	{Name: "encoded plus in query", Method: "GET", URL: "http://example.com/s?q=a%2Bb"},
	{Name: "bare name and empty value", Method: "GET", URL: "http://example.com/s?flag&empty="},
	{Name: "non-ASCII path and IPv6 host", Method: "GET", URL: "http://[2001:DB8::1]:8080/caf%C3%A9/é"},
	{Name: "ignored query parameters", Method: "GET", URL: "http://example.com/s?q=go&ts=1700000000&utm_source=x", Config: gTS},
	{Name: "secret query parameter", Method: "GET", URL: "http://example.com/s?q=go&api_key=abc123", Config: gTS},
	{Name: "userinfo", Method: "GET", URL: "http://alice:pw@example.com/"},
	{Name: "Authorization", Method: "GET", URL: "http://example.com/me", Headers: http.Header{"Authorization": {"Bearer alice"}}},
	{Name: "Authorization with a secret", Method: "GET", URL: "http://example.com/me",
		Headers: http.Header{"Authorization": {"Bearer alice"}}, Config: goldenConfig{Secret: "server secret"}},
	{Name: "Cookie", Method: "GET", URL: "http://example.com/me", Headers: http.Header{"Cookie": {"sid=1; theme=dark"}}},
	{Name: "Proxy-Authorization", Method: "GET", URL: "http://example.com/", Headers: http.Header{"Proxy-Authorization": {"Basic YTpi"}}},
	{Name: "configured credential header", Method: "GET", URL: "http://example.com/",
		Headers: http.Header{"X-Api-Key": {"k1"}}, Config: goldenConfig{CredentialHeaders: []string{"x-api-key"}}},
	{Name: "matched headers combined", Method: "GET", URL: "http://example.com/",
		Headers: http.Header{"Accept": {"text/html", " application/json"}, "Accept-Language": {"en ,fr"}},
		Config:  goldenConfig{MatchHeaders: []string{"accept-language", "Accept"}}},
	{Name: "matched header absent", Method: "GET", URL: "http://example.com/",
		Config: goldenConfig{MatchHeaders: []string{"Accept"}}},
	{Name: "matched header empty", Method: "GET", URL: "http://example.com/",
		Headers: http.Header{"Accept": {""}}, Config: goldenConfig{MatchHeaders: []string{"Accept"}}},
	{Name: "Host override", Method: "GET", URL: "http://192.0.2.1/", Host: "api.example.com"},
	{Name: "JSON body sorted", Method: "POST", URL: "http://example.com/api", Headers: gJSON,
		Body: `{"z": [3, 2, {"b": true, "a": null}], "a": "\u00e9\/"}`},
	{Name: "JSON body ignored and secret members", Method: "POST", URL: "http://example.com/api", Headers: gJSON,
		Body: `{"q": "go", "ts": 1700000000, "api_key": "abc123"}`, Config: gTS},
	{Name: "JSON numbers exact", Method: "POST", URL: "http://example.com/api", Headers: gJSON,
		Body: `[1.0, 1e2, -0, 12345678901234567890]`},
	{Name: "invalid JSON keyed raw", Method: "POST", URL: "http://example.com/api", Headers: gJSON, Body: `{"a": 1,}`},
	{Name: "+json media type", Method: "POST", URL: "http://example.com/api",
		Headers: http.Header{"Content-Type": {"application/problem+json; charset=utf-8"}}, Body: `{"b":1,"a":2}`},
	{Name: "form body", Method: "POST", URL: "http://example.com/form", Headers: gForm,
		Body: "b=2&a=1+1&ts=9&api_key=s", Config: gTS},
	{Name: "raw body", Method: "PUT", URL: "http://example.com/blob",
		Headers: http.Header{"Content-Type": {"application/octet-stream"}}, Body: "\x00\x01 raw {\"a\":1}"},
	{Name: "body over MaxBody keyed raw", Method: "POST", URL: "http://example.com/api", Headers: gJSON,
		Body: `{"b": 1, "a": 2}`, Config: goldenConfig{MaxBody: 8}},
	{Name: "variant Accept-Encoding", Method: "GET", URL: "http://example.com/",
		Headers: http.Header{"Accept-Encoding": {"gzip,  br"}}, Vary: []string{"accept-encoding"}},
	{Name: "variant absent field", Method: "GET", URL: "http://example.com/", Vary: []string{"accept-language"}},
	{Name: "variant Cookie hashed under the secret", Method: "GET", URL: "http://example.com/",
		Headers: http.Header{"Cookie": {"sid=1"}, "Accept": {"*/*"}}, Vary: []string{"Cookie", "accept"},
		Config: goldenConfig{Secret: "server secret"}},
	// Opting out of the default secrets keeps the keys these requests had
	// before the defaults existed (pinned with the code before them).
	{Name: "opt-out: api_key query in clear", Method: "GET", URL: "http://example.com/s?q=go&api_key=abc123",
		Config: goldenConfig{NoDefaultSecrets: true}},
	{Name: "opt-out: X-API-Key header not keyed", Method: "GET", URL: "http://example.com/me",
		Headers: http.Header{"X-Api-Key": {"k1"}}, Config: goldenConfig{NoDefaultSecrets: true}},
	{Name: "opt-out: access_token JSON member in clear", Method: "POST", URL: "http://example.com/api", Headers: gJSON,
		Body: `{"q": "go", "access_token": "t0k"}`, Config: goldenConfig{NoDefaultSecrets: true}},
	{Name: "opt-out: apikey form field in clear", Method: "POST", URL: "http://example.com/form", Headers: gForm,
		Body: "q=go&apikey=s", Config: goldenConfig{NoDefaultSecrets: true}},
	{Name: "opt-out: X-Auth-Token matched in clear", Method: "GET", URL: "http://example.com/",
		Headers: http.Header{"X-Auth-Token": {"t1"}}, Config: goldenConfig{NoDefaultSecrets: true, MatchHeaders: []string{"X-Auth-Token"}}},
	// Requests that carry no default-secret name, no override header and
	// no "*" keep their keys whatever the new options (pinned before them).
	{Name: "JSON body with content root unset", Method: "POST", URL: "http://example.com/api", Headers: gJSON,
		Body: `{"data": {"q": "go", "ts": 1}, "ts": 2}`, Config: gTS},
	{Name: "POST without override header", Method: "POST", URL: "http://example.com/api", Headers: gForm, Body: "a=1"},
}

// TestGoldenKeys pins the key scheme: any change of a key fails. If the
// change is intended, bump keys.Version and run go test -run Golden -update.
func TestGoldenKeys(t *testing.T) {
	if *update {
		for i := range goldenCases {
			g := &goldenCases[i]
			g.Key, g.Variant = g.compute(t)
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(goldenCases); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(goldenPath), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(goldenPath, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatalf("%v (run go test -run Golden -update to create it)", err)
	}
	var golden []goldenCase
	if err := json.Unmarshal(data, &golden); err != nil {
		t.Fatalf("parse %s: %v", goldenPath, err)
	}
	if len(golden) != len(goldenCases) {
		t.Errorf("%s has %d cases, the test defines %d: run with -update", goldenPath, len(golden), len(goldenCases))
	}
	for i := range golden {
		g := &golden[i]
		t.Run(g.Name, func(t *testing.T) {
			if i < len(goldenCases) && goldenCases[i].Name != g.Name {
				t.Errorf("case %d is %q in the file, %q in the test: run with -update", i, g.Name, goldenCases[i].Name)
			}
			key, variant := g.compute(t)
			if key != g.Key {
				t.Errorf("key changed: got %s, golden %s", key, g.Key)
			}
			if variant != g.Variant {
				t.Errorf("variant changed: got %s, golden %s", variant, g.Variant)
			}
		})
	}
}

// TestGoldenCoversRules checks relations between golden keys that the rules
// imply, so the file cannot silently pin a broken scheme.
func TestGoldenCoversRules(t *testing.T) {
	byName := map[string]string{}
	for i := range goldenCases {
		k, _ := goldenCases[i].compute(t)
		byName[goldenCases[i].Name] = k
	}
	same := [][2]string{
		{"plain GET", "HEAD keyed as GET"},
		{"plain GET", "scheme and host case, default port"},
		{"plain GET", "empty query and fragment"},
	}
	for _, p := range same {
		if byName[p[0]] != byName[p[1]] {
			t.Errorf("%q and %q should share a key", p[0], p[1])
		}
	}
	differ := [][2]string{
		{"plus is space in query", "encoded plus in query"},
		{"Authorization", "Authorization with a secret"},
		{"matched header absent", "matched header empty"},
		{"plain GET", "Host override"},
	}
	for _, p := range differ {
		if byName[p[0]] == byName[p[1]] {
			t.Errorf("%q and %q should not share a key", p[0], p[1])
		}
	}
}
