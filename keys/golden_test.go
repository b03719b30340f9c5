package keys_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
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
	// Asked again, a key may come from the key memo (memo.go): the first
	// repeat keeps it, the second reads it.
	for range 2 {
		if again := c.Create(req, []byte(g.Body)); again != key {
			t.Fatalf("%s: Create again = %s, first %s", g.Name, again, key)
		}
	}
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
		Headers: http.Header{"Accept-Encoding": {"gzip,  br"}}, Vary: []string{"accept-encoding"},
		History: "VariantVersion 2 (2026-11-30): Accept-* values keyed in canonical form, default secret headers hashed; every variant key changed with the variant domain. Was v1:cf3a6670…|522b09d0ffe2692e29bac85191a2267bfe7ed6faa05193bfde90fb70aaaed498."},
	{Name: "variant absent field", Method: "GET", URL: "http://example.com/", Vary: []string{"accept-language"},
		History: "VariantVersion 2 (2026-11-30): Accept-* values keyed in canonical form, default secret headers hashed; every variant key changed with the variant domain. Was v1:cf3a6670…|b622239a50fff330e426ef5d7f913562502a63faf4ec2ff7d4273f7bd42b5dc3."},
	{Name: "variant Cookie hashed under the secret", Method: "GET", URL: "http://example.com/",
		Headers: http.Header{"Cookie": {"sid=1"}, "Accept": {"*/*"}}, Vary: []string{"Cookie", "accept"},
		Config:  goldenConfig{Secret: "server secret"},
		History: "VariantVersion 2 (2026-11-30): Accept-* values keyed in canonical form, default secret headers hashed; every variant key changed with the variant domain. Was v1:737b4ebc…|80d612c7a400649466fb107548fc828c87374c7a31615b8df83a2ae72326529f."},
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

	// The default secrets: keys of requests that carry one changed when
	// they became defaults (a security fix: the values were keyed in clear
	// and stored, or, for headers, not keyed at all, so users shared
	// entries). NoDefaultSecrets gives the old keys (the opt-out cases).
	{Name: "default secret: api_key query hashed", Method: "GET", URL: "http://example.com/s?q=go&api_key=abc123",
		History: "Default secrets (2026-11-30): was v1:e0af591595f2f7a145ad77767e97bbc98ee8851bdf9568fea75a41ef057f6193 (api_key in clear), as \"opt-out: api_key query in clear\" still is."},
	{Name: "default secret: api_key query, another user", Method: "GET", URL: "http://example.com/s?q=go&api_key=xyz789"},
	{Name: "default secret: camel-case apiKey query hashed", Method: "GET", URL: "http://example.com/s?q=go&apiKey=abc123"},
	{Name: "default secret: X-API-Key header hashed", Method: "GET", URL: "http://example.com/me",
		Headers: http.Header{"X-Api-Key": {"k1"}},
		History: "Default secrets (2026-11-30): was v1:73bea4ee2cc3170253fc2bc11bd6ed4c2050d8b5bac821777680d406eafb4858, the key of every user of GET /me."},
	{Name: "default secret: access_token JSON member hashed", Method: "POST", URL: "http://example.com/api", Headers: gJSON,
		Body:    `{"q": "go", "access_token": "t0k"}`,
		History: "Default secrets (2026-11-30): was v1:aba5f417d0a130b56c735e6d9a5c38de8c51c8f4322d9d685dcbef38ce0518c4 (token in clear)."},
	{Name: "default secret: apikey form field hashed", Method: "POST", URL: "http://example.com/form", Headers: gForm,
		Body:    "q=go&apikey=s",
		History: "Default secrets (2026-11-30): was v1:0f6afa43ede7cd997a11a209ccf5cae1541222cdcf0b03eb7d8569cfffca7fde (key in clear)."},
	{Name: "default secret: X-Auth-Token matched header hashed", Method: "GET", URL: "http://example.com/",
		Headers: http.Header{"X-Auth-Token": {"t1"}}, Config: goldenConfig{MatchHeaders: []string{"X-Auth-Token"}},
		History: "Default secrets (2026-11-30): was v1:1945e5001dde363f67afd57061dd0e46c535d1931ff3624c260f1fcf5d544a0c (matched in clear)."},

	// MatchAll: "*" was taken as a field name before (2026-11-30).
	{Name: "match all headers", Method: "GET", URL: "http://example.com/",
		Headers: http.Header{"Accept": {"text/html"}, "User-Agent": {"x/1"}}, Config: goldenConfig{MatchHeaders: []string{"*"}},
		History: "MatchAll (2026-11-30): was v1:4c0af9d41cf65ae6cd08ca10a455d21f93b194578781d14a41ba7d053886fe24, \"*\" matched as a field name."},
	{Name: "match all headers but trace, framing and hop-by-hop", Method: "GET", URL: "http://example.com/",
		Headers: http.Header{"Accept": {"text/html"}, "User-Agent": {"x/1"}, "Traceparent": {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
			"Connection": {"X-Hop"}, "X-Hop": {"1"}, "Cache-Control": {"no-cache"}},
		Config: goldenConfig{MatchHeaders: []string{"*"}}},
	{Name: "match all headers and an absent named one", Method: "GET", URL: "http://example.com/",
		Headers: http.Header{"Accept": {"text/html"}, "User-Agent": {"x/1"}}, Config: goldenConfig{MatchHeaders: []string{"*", "Accept-Language"}}},

	// ContentRootKey (new, 2026-11-30).
	{Name: "content root: ignored parameters inside it", Method: "POST", URL: "http://example.com/api", Headers: gJSON,
		Body: `{"data": {"q": "go", "ts": 1}, "ts": 2}`, Config: goldenConfig{IgnoredParams: gTS.IgnoredParams, ContentRootKey: "data"}},
	{Name: "content root: other ignored value inside it", Method: "POST", URL: "http://example.com/api", Headers: gJSON,
		Body: `{"ts": 2, "data": {"ts": 99, "q": "go"}}`, Config: goldenConfig{IgnoredParams: gTS.IgnoredParams, ContentRootKey: "data"}},
	{Name: "content root: top level kept when it is present", Method: "POST", URL: "http://example.com/api", Headers: gJSON,
		Body: `{"data": {"q": "go"}, "ts": 3}`, Config: goldenConfig{IgnoredParams: gTS.IgnoredParams, ContentRootKey: "data"}},
	{Name: "content root: absent, top level filtered", Method: "POST", URL: "http://example.com/api", Headers: gJSON,
		Body: `{"q": "go", "ts": 1}`, Config: goldenConfig{IgnoredParams: gTS.IgnoredParams, ContentRootKey: "data"}},
	{Name: "content root: absent, no ignored member", Method: "POST", URL: "http://example.com/api", Headers: gJSON,
		Body: `{"q": "go"}`, Config: goldenConfig{IgnoredParams: gTS.IgnoredParams, ContentRootKey: "data"}},
	{Name: "content root: secret inside it", Method: "POST", URL: "http://example.com/api", Headers: gJSON,
		Body: `{"data": {"q": "go", "api_key": "k"}}`, Config: goldenConfig{ContentRootKey: "data"}},
	{Name: "content root: secret at the top level", Method: "POST", URL: "http://example.com/api", Headers: gJSON,
		Body: `{"data": {"q": "go"}, "api_key": "k"}`, Config: goldenConfig{ContentRootKey: "data"}},

	// Method override headers (keyed since 2026-11-30).
	{Name: "POST overridden to DELETE", Method: "POST", URL: "http://example.com/api", Headers: http.Header{
		"Content-Type": gForm["Content-Type"], "X-Http-Method-Override": {"DELETE"}}, Body: "a=1",
		History: "Method override (2026-11-30): was v1:5a01a2fc51353f6976b84ae21e96db1846fc0873544d3e4da1af0389ce45a30f, the key of the plain POST."},
	{Name: "POST overridden to delete, lower case", Method: "POST", URL: "http://example.com/api", Headers: http.Header{
		"Content-Type": gForm["Content-Type"], "X-Http-Method-Override": {" delete "}}, Body: "a=1"},
	{Name: "POST overridden to GET", Method: "POST", URL: "http://example.com/api", Headers: http.Header{
		"Content-Type": gForm["Content-Type"], "X-Method-Override": {"GET"}}, Body: "a=1"},

	// Variant normalisation (VariantVersion 2).
	{Name: "variant Accept-Language canonical", Method: "GET", URL: "http://example.com/",
		Headers: http.Header{"Accept-Language": {"de;Q=0.50, EN-us", " fr;q=0.5 "}}, Vary: []string{"accept-language"}},
	{Name: "variant Accept-Language canonical spelled otherwise", Method: "GET", URL: "http://example.com/",
		Headers: http.Header{"Accept-Language": {"en-US,de;q=0.5,fr;q=0.500"}}, Vary: []string{"Accept-Language"}},
	{Name: "variant Accept-Language equal weights in another order", Method: "GET", URL: "http://example.com/",
		Headers: http.Header{"Accept-Language": {"en-US,fr;q=0.5,de;q=0.5"}}, Vary: []string{"Accept-Language"}},
	{Name: "variant Accept media ranges", Method: "GET", URL: "http://example.com/",
		Headers: http.Header{"Accept": {`Text/HTML;Level="1";q=1.0, application/JSON;charset=UTF-8, */*;q=0.1`}}, Vary: []string{"accept"}},
	{Name: "variant Accept not following the grammar", Method: "GET", URL: "http://example.com/",
		Headers: http.Header{"Accept": {"text/html;q=2"}}, Vary: []string{"accept"}},
	{Name: "variant X-API-Key hashed under the secret", Method: "GET", URL: "http://example.com/",
		Headers: http.Header{"X-Api-Key": {"k1"}}, Vary: []string{"x-api-key"}, Config: goldenConfig{Secret: "server secret"}},
}

// TestGoldenKeys pins the key scheme: any change of a key fails. A change
// must be deliberate: bump keys.Version (keys.VariantVersion when only
// variant keys change), or confine it to requests that use a new option
// or carry what the change is about, and record the old value in the
// case's History. Then run go test -run Golden -update, which refuses to
// overwrite a key or variant whose old value the History does not name.
func TestGoldenKeys(t *testing.T) {
	if *update {
		old := map[string]goldenCase{}
		if data, err := os.ReadFile(goldenPath); err == nil {
			var prev []goldenCase
			if err := json.Unmarshal(data, &prev); err != nil {
				t.Fatalf("parse %s: %v", goldenPath, err)
			}
			for _, g := range prev {
				old[g.Name] = g
			}
		}
		for i := range goldenCases {
			g := &goldenCases[i]
			g.Key, g.Variant = g.compute(t)
			p, ok := old[g.Name]
			if !ok {
				continue
			}
			for _, c := range [][2]string{{p.Key, g.Key}, {p.Variant, g.Variant}} {
				if c[0] != c[1] && c[0] != "" && !strings.Contains(g.History, hashPart(c[0])) {
					t.Fatalf("%q: %s would become %s: record the old value in its History first", g.Name, c[0], c[1])
				}
			}
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

// hashPart returns the first 16 hex digits of the last hash of a key or
// variant key, enough to name it in a History.
func hashPart(k string) string {
	i := strings.LastIndexAny(k, ":|")
	return k[i+1 : min(len(k), i+17)]
}

// TestGoldenCoversRules checks relations between golden keys that the rules
// imply, so the file cannot silently pin a broken scheme.
func TestGoldenCoversRules(t *testing.T) {
	byName, variants := map[string]string{}, map[string]string{}
	for i := range goldenCases {
		k, v := goldenCases[i].compute(t)
		byName[goldenCases[i].Name] = k
		variants[goldenCases[i].Name] = v
	}
	if a, b := "variant Accept-Language canonical", "variant Accept-Language canonical spelled otherwise"; variants[a] != variants[b] {
		t.Errorf("%q and %q should share a variant", a, b)
	}
	if a, b := "variant Accept-Language canonical", "variant Accept-Language equal weights in another order"; variants[a] == variants[b] {
		t.Errorf("%q and %q should not share a variant", a, b)
	}
	same := [][2]string{
		{"secret query parameter", "default secret: api_key query hashed"},
		{"match all headers", "match all headers but trace, framing and hop-by-hop"},
		{"content root: ignored parameters inside it", "content root: other ignored value inside it"},
		{"content root: absent, top level filtered", "content root: absent, no ignored member"},
		{"POST overridden to DELETE", "POST overridden to delete, lower case"},
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
		{"default secret: api_key query hashed", "opt-out: api_key query in clear"},
		{"default secret: api_key query hashed", "default secret: api_key query, another user"},
		{"default secret: X-API-Key header hashed", "opt-out: X-API-Key header not keyed"},
		{"match all headers", "match all headers and an absent named one"},
		{"content root: ignored parameters inside it", "content root: absent, no ignored member"},
		{"content root: secret inside it", "content root: secret at the top level"},
		{"content root: ignored parameters inside it", "content root: top level kept when it is present"},
		{"POST overridden to DELETE", "POST without override header"},
		{"POST overridden to DELETE", "POST overridden to GET"},
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
