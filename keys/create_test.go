package keys_test

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/cachedhttp/cachedhttp/keys"
)

// spec describes a request for table tests.
type spec struct {
	method, url string
	header      http.Header
	body        string
	host        string
}

func (s spec) request(t testing.TB) (*http.Request, []byte) {
	t.Helper()
	u, err := url.Parse(s.url)
	if err != nil {
		t.Fatalf("url.Parse(%q): %v", s.url, err)
	}
	h := s.header
	if h == nil {
		h = http.Header{}
	}
	var body []byte
	if s.body != "" {
		body = []byte(s.body)
	}
	return &http.Request{Method: s.method, URL: u, Header: h, Host: s.host}, body
}

func key(t testing.TB, c *keys.Config, s spec) string {
	t.Helper()
	req, body := s.request(t)
	return c.Create(req, body)
}

var (
	jsonCT = http.Header{"Content-Type": {"application/json"}}
	formCT = http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	cfg    = &keys.Config{
		IgnoredParams: []string{"ts", "utm_source"},
		SecretParams:  []string{"api_key"},
		MatchHeaders:  []string{"Accept", "accept-language"},
		Secret:        []byte("test secret"),
	}
)

func TestCreateSameKey(t *testing.T) {
	tests := []struct {
		name string
		a, b spec
	}{
		{"RFC9110 9.3.2 HEAD is keyed as GET",
			spec{method: "HEAD", url: "http://h/"}, spec{method: "GET", url: "http://h/"}},
		{"empty method is GET as in net/http",
			spec{method: "", url: "http://h/"}, spec{method: "GET", url: "http://h/"}},
		{"method case is folded to upper case",
			spec{method: "post", url: "http://h/"}, spec{method: "POST", url: "http://h/"}},
		{"RFC3986 6.2.2.1 scheme and host case",
			spec{method: "GET", url: "HTTPS://Example.COM/p"}, spec{method: "GET", url: "https://example.com/p"}},
		{"RFC3986 6.2.2.1 percent-encoding hex case",
			spec{method: "GET", url: "http://h/a%2fb"}, spec{method: "GET", url: "http://h/a%2Fb"}},
		{"RFC3986 6.2.2.2 unreserved characters decoded",
			spec{method: "GET", url: "http://h/%7Ea%41"}, spec{method: "GET", url: "http://h/~aA"}},
		{"RFC3986 6.2.2.3 dot segments removed",
			spec{method: "GET", url: "http://h/a/b/../c/./d"}, spec{method: "GET", url: "http://h/a/c/d"}},
		{"RFC3986 6.2.3 default port removed",
			spec{method: "GET", url: "https://h:443/"}, spec{method: "GET", url: "https://h/"}},
		{"RFC3986 6.2.3 empty path is /",
			spec{method: "GET", url: "http://h"}, spec{method: "GET", url: "http://h/"}},
		{"query order does not matter",
			spec{method: "GET", url: "http://h/?b=2&a=1&c=3"}, spec{method: "GET", url: "http://h/?c=3&a=1&b=2"}},
		{"empty query is no query",
			spec{method: "GET", url: "http://h/?"}, spec{method: "GET", url: "http://h/"}},
		{"fragment is not keyed",
			spec{method: "GET", url: "http://h/#top"}, spec{method: "GET", url: "http://h/"}},
		{"query '+' and %20 are both a space",
			spec{method: "GET", url: "http://h/?q=a+b"}, spec{method: "GET", url: "http://h/?q=a%20b"}},
		{"ignored query parameter present or absent",
			spec{method: "GET", url: "http://h/?a=1&ts=1700000000&utm_source=mail"}, spec{method: "GET", url: "http://h/?a=1"}},
		{"ignored query parameter with another value",
			spec{method: "GET", url: "http://h/?ts=1"}, spec{method: "GET", url: "http://h/?ts=2"}},
		{"ignored JSON member present or absent",
			spec{method: "POST", url: "http://h/", header: jsonCT, body: `{"q":"x","ts":17}`},
			spec{method: "POST", url: "http://h/", header: jsonCT, body: `{"q":"x"}`}},
		{"ignored form field present or absent",
			spec{method: "POST", url: "http://h/", header: formCT, body: "q=x&ts=17"},
			spec{method: "POST", url: "http://h/", header: formCT, body: "q=x"}},
		{"form body of only ignored fields is no body",
			spec{method: "POST", url: "http://h/", header: formCT, body: "ts=17"},
			spec{method: "POST", url: "http://h/"}},
		{"JSON member order and whitespace do not matter",
			spec{method: "POST", url: "http://h/", header: jsonCT, body: `{ "b": {"y":1, "x":[1, 2]}, "a": "s" }`},
			spec{method: "POST", url: "http://h/", header: jsonCT, body: `{"a":"s","b":{"x":[1,2],"y":1}}`}},
		{"JSON string escapes are decoded",
			spec{method: "POST", url: "http://h/", header: jsonCT, body: `["\u0041\/\u00e9"]`},
			spec{method: "POST", url: "http://h/", header: jsonCT, body: `["A/é"]`}},
		{"RFC6839 +json media type with parameters is JSON",
			spec{method: "POST", url: "http://h/", header: http.Header{"Content-Type": {"Application/Vnd.API+JSON; charset=utf-8"}}, body: `{"b":1,"a":2}`},
			spec{method: "POST", url: "http://h/", header: http.Header{"Content-Type": {"application/vnd.api+json"}}, body: `{"a":2,"b":1}`}},
		{"form field order does not matter",
			spec{method: "POST", url: "http://h/", header: formCT, body: "b=2&a=1+1"},
			spec{method: "POST", url: "http://h/", header: formCT, body: "a=1%201&b=2"}},
		{"empty body is no body",
			spec{method: "POST", url: "http://h/", body: ""}, spec{method: "POST", url: "http://h/"}},
		{"RFC9110 5.3 repeated field lines combine like one comma-separated line",
			spec{method: "GET", url: "http://h/", header: http.Header{"Accept": {"text/html", " application/json "}}},
			spec{method: "GET", url: "http://h/", header: http.Header{"Accept": {"text/html, application/json"}}}},
		{"RFC9110 5.6.1 whitespace around list commas does not matter",
			spec{method: "GET", url: "http://h/", header: http.Header{"Accept-Language": {"en ,fr\t,  de"}}},
			spec{method: "GET", url: "http://h/", header: http.Header{"Accept-Language": {"en, fr, de"}}}},
		{"unmatched headers are not keyed",
			spec{method: "GET", url: "http://h/", header: http.Header{"User-Agent": {"a"}}},
			spec{method: "GET", url: "http://h/", header: http.Header{"User-Agent": {"b"}}}},
		{"Host override naming the URL's authority",
			spec{method: "GET", url: "http://h/", host: "H:80"}, spec{method: "GET", url: "http://h/"}},
		{"same credential under a non-canonical header key",
			spec{method: "GET", url: "http://h/", header: http.Header{"authorization": {"Bearer a"}}},
			spec{method: "GET", url: "http://h/", header: http.Header{"Authorization": {"Bearer a"}}}},
		{"secret parameter position does not matter",
			spec{method: "GET", url: "http://h/?api_key=k&a=1"}, spec{method: "GET", url: "http://h/?a=1&api_key=k"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ka, kb := key(t, cfg, tt.a), key(t, cfg, tt.b)
			if ka != kb {
				t.Errorf("keys differ:\n%+v -> %s\n%+v -> %s", tt.a, ka, tt.b, kb)
			}
		})
	}
}

func TestCreateDifferentKey(t *testing.T) {
	auth := func(v string) http.Header { return http.Header{"Authorization": {v}} }
	tests := []struct {
		name string
		c    *keys.Config
		a, b spec
	}{
		{"RFC3986 6.2.2.1 path is case-sensitive", cfg,
			spec{method: "GET", url: "http://h/A"}, spec{method: "GET", url: "http://h/a"}},
		{"RFC3986 6.2.2.2 reserved '/' and %2F differ", cfg,
			spec{method: "GET", url: "http://h/a%2Fb"}, spec{method: "GET", url: "http://h/a/b"}},
		{"scheme", cfg, spec{method: "GET", url: "http://h/"}, spec{method: "GET", url: "https://h/"}},
		{"port", cfg, spec{method: "GET", url: "http://h:8080/"}, spec{method: "GET", url: "http://h/"}},
		{"query value", cfg, spec{method: "GET", url: "http://h/?a=1"}, spec{method: "GET", url: "http://h/?a=2"}},
		{"query value case", cfg, spec{method: "GET", url: "http://h/?a=x"}, spec{method: "GET", url: "http://h/?a=X"}},
		{"order of values of one name", cfg,
			spec{method: "GET", url: "http://h/?a=1&a=2"}, spec{method: "GET", url: "http://h/?a=2&a=1"}},
		{"bare name and name=", cfg, spec{method: "GET", url: "http://h/?a"}, spec{method: "GET", url: "http://h/?a="}},
		{"query space and literal plus", cfg,
			spec{method: "GET", url: "http://h/?q=a+b"}, spec{method: "GET", url: "http://h/?q=a%2Bb"}},
		{"method", cfg, spec{method: "GET", url: "http://h/"}, spec{method: "POST", url: "http://h/"}},
		{"body", cfg, spec{method: "POST", url: "http://h/", body: "a"}, spec{method: "POST", url: "http://h/", body: "b"}},
		{"JSON numbers are kept exact", cfg,
			spec{method: "POST", url: "http://h/", header: jsonCT, body: `{"n":1}`},
			spec{method: "POST", url: "http://h/", header: jsonCT, body: `{"n":1.0}`}},
		{"JSON large integers are kept exact", cfg,
			spec{method: "POST", url: "http://h/", header: jsonCT, body: `[9007199254740993]`},
			spec{method: "POST", url: "http://h/", header: jsonCT, body: `[9007199254740992]`}},
		{"ignored names are removed from the top level only", cfg,
			spec{method: "POST", url: "http://h/", header: jsonCT, body: `{"o":{"ts":1}}`},
			spec{method: "POST", url: "http://h/", header: jsonCT, body: `{"o":{}}`}},
		{"JSON with duplicate names is keyed raw", cfg,
			spec{method: "POST", url: "http://h/", header: jsonCT, body: `{"a":1,"a":2}`},
			spec{method: "POST", url: "http://h/", header: jsonCT, body: `{"a":2}`}},
		{"JSON lone surrogates are not conflated", cfg,
			spec{method: "POST", url: "http://h/", header: jsonCT, body: `["\ud800"]`},
			spec{method: "POST", url: "http://h/", header: jsonCT, body: `["\ud801"]`}},
		{"invalid JSON is keyed raw", cfg,
			spec{method: "POST", url: "http://h/", header: jsonCT, body: `{"a":1, }`},
			spec{method: "POST", url: "http://h/", header: jsonCT, body: `{"a":1}`}},
		{"bodies over MaxBody are not normalised", &keys.Config{MaxBody: 8},
			spec{method: "POST", url: "http://h/", header: jsonCT, body: `{"b":1,"a":2}`},
			spec{method: "POST", url: "http://h/", header: jsonCT, body: `{"a":2,"b":1}`}},
		{"negative MaxBody keys every body raw", &keys.Config{MaxBody: -1},
			spec{method: "POST", url: "http://h/", header: formCT, body: "b=1&a=2"},
			spec{method: "POST", url: "http://h/", header: formCT, body: "a=2&b=1"}},
		{"raw body and form body with the same bytes", cfg,
			spec{method: "POST", url: "http://h/", body: "a=1"},
			spec{method: "POST", url: "http://h/", header: formCT, body: "a=1"}},
		{"matched header value", cfg,
			spec{method: "GET", url: "http://h/", header: http.Header{"Accept": {"text/html"}}},
			spec{method: "GET", url: "http://h/", header: http.Header{"Accept": {"application/json"}}}},
		{"matched header absent and empty", cfg,
			spec{method: "GET", url: "http://h/"},
			spec{method: "GET", url: "http://h/", header: http.Header{"Accept": {""}}}},
		{"matched header values cannot shift between fields", cfg,
			spec{method: "GET", url: "http://h/", header: http.Header{"Accept": {"a"}, "Accept-Language": {"bc"}}},
			spec{method: "GET", url: "http://h/", header: http.Header{"Accept": {"ab"}, "Accept-Language": {"c"}}}},
		{"Host override naming another authority", cfg,
			spec{method: "GET", url: "http://10.0.0.1/", host: "a.example"}, spec{method: "GET", url: "http://10.0.0.1/"}},
		{"Authorization", cfg, spec{method: "GET", url: "http://h/", header: auth("Bearer alice")},
			spec{method: "GET", url: "http://h/", header: auth("Bearer bob")}},
		{"Authorization present and absent", cfg, spec{method: "GET", url: "http://h/", header: auth("Bearer alice")},
			spec{method: "GET", url: "http://h/"}},
		{"Cookie", cfg, spec{method: "GET", url: "http://h/", header: http.Header{"Cookie": {"sid=1"}}},
			spec{method: "GET", url: "http://h/", header: http.Header{"Cookie": {"sid=2"}}}},
		{"Proxy-Authorization", cfg, spec{method: "GET", url: "http://h/", header: http.Header{"Proxy-Authorization": {"Basic a"}}},
			spec{method: "GET", url: "http://h/", header: http.Header{"Proxy-Authorization": {"Basic b"}}}},
		{"configured credential header", &keys.Config{CredentialHeaders: []string{"x-api-key"}},
			spec{method: "GET", url: "http://h/", header: http.Header{"X-Api-Key": {"a"}}},
			spec{method: "GET", url: "http://h/", header: http.Header{"X-Api-Key": {"b"}}}},
		{"credential header matched as a header still differs", &keys.Config{MatchHeaders: []string{"Authorization"}},
			spec{method: "GET", url: "http://h/", header: auth("a")}, spec{method: "GET", url: "http://h/", header: auth("b")}},
		{"credential moved between headers", cfg,
			spec{method: "GET", url: "http://h/", header: http.Header{"Cookie": {"x"}}},
			spec{method: "GET", url: "http://h/", header: http.Header{"Authorization": {"x"}}}},
		{"userinfo user", cfg, spec{method: "GET", url: "http://alice@h/"}, spec{method: "GET", url: "http://bob@h/"}},
		{"userinfo password", cfg, spec{method: "GET", url: "http://u:1@h/"}, spec{method: "GET", url: "http://u:2@h/"}},
		{"userinfo empty password and none", cfg, spec{method: "GET", url: "http://u:@h/"}, spec{method: "GET", url: "http://u@h/"}},
		{"secret query parameter", cfg,
			spec{method: "GET", url: "http://h/?api_key=1"}, spec{method: "GET", url: "http://h/?api_key=2"}},
		{"secret JSON member", cfg,
			spec{method: "POST", url: "http://h/", header: jsonCT, body: `{"api_key":"1"}`},
			spec{method: "POST", url: "http://h/", header: jsonCT, body: `{"api_key":"2"}`}},
		{"secret form field", cfg,
			spec{method: "POST", url: "http://h/", header: formCT, body: "api_key=1"},
			spec{method: "POST", url: "http://h/", header: formCT, body: "api_key=2"}},
		{"secret parameter in the query or the body", cfg,
			spec{method: "POST", url: "http://h/?api_key=1", header: formCT, body: "a=1"},
			spec{method: "POST", url: "http://h/", header: formCT, body: "a=1&api_key=1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ka, kb := key(t, tt.c, tt.a), key(t, tt.c, tt.b)
			if ka == kb {
				t.Errorf("same key %s for\n%+v\n%+v", ka, tt.a, tt.b)
			}
		})
	}
}

func TestCreateSecretKeysCredentials(t *testing.T) {
	s := spec{method: "GET", url: "http://h/", header: http.Header{"Cookie": {"sid=1"}}}
	a := key(t, &keys.Config{Secret: []byte("one")}, s)
	b := key(t, &keys.Config{Secret: []byte("two")}, s)
	if a == b {
		t.Errorf("credential hash does not depend on Secret: %s", a)
	}
	plain := spec{method: "GET", url: "http://h/"}
	if key(t, &keys.Config{Secret: []byte("one")}, plain) != key(t, &keys.Config{Secret: []byte("two")}, plain) {
		t.Errorf("Secret changed the key of a request without credentials")
	}
}

func TestCreateKeyFormat(t *testing.T) {
	long := "http://h/" + strings.Repeat("segment/", 1000) + "?" + strings.Repeat("a=1&", 1000)
	for _, s := range []spec{
		{method: "GET", url: "http://h/"},
		{method: "GET", url: long, header: http.Header{"Authorization": {"x"}}},
		{method: "POST", url: "http://h/", header: jsonCT, body: strings.Repeat(" ", 2<<20)},
		{method: "DELETE", url: "/relative"},
	} {
		t.Run(s.method+" "+s.url[:min(len(s.url), 20)], func(t *testing.T) {
			k := key(t, cfg, s)
			if len(k) != keys.KeyLen || len(k) >= 250 {
				t.Errorf("len(key) = %d, want KeyLen = %d (< 250)", len(k), keys.KeyLen)
			}
			if !strings.HasPrefix(k, keys.Version+":") {
				t.Errorf("key %q lacks the version prefix", k)
			}
			for _, c := range k[len(keys.Version)+1:] {
				if !strings.ContainsRune("0123456789abcdef", c) {
					t.Fatalf("key %q has %q: want lower-case hex", k, c)
				}
			}
		})
	}
}

func TestCreateNilInputs(t *testing.T) {
	var nilCfg *keys.Config
	tests := []struct {
		name string
		c    *keys.Config
		req  *http.Request
	}{
		{"nil Config", nilCfg, &http.Request{Method: "GET", URL: &url.URL{Scheme: "http", Host: "h", Path: "/"}}},
		{"nil request", cfg, nil},
		{"nil URL and header", cfg, &http.Request{Method: "GET"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := tt.c.Create(tt.req, nil)
			if len(k) != keys.KeyLen || tt.c.Create(tt.req, nil) != k {
				t.Errorf("Create = %q; want a deterministic key of KeyLen bytes", k)
			}
			tt.c.Redact(tt.req)
		})
	}
	if nilCfg.Create(&http.Request{Method: "GET", URL: &url.URL{Scheme: "http", Host: "h"}}, nil) !=
		(&keys.Config{}).Create(&http.Request{Method: "GET", URL: &url.URL{Scheme: "http", Host: "h"}}, nil) {
		t.Errorf("nil Config and zero Config key differently")
	}
}

// Two users must never share a key, and nothing they send in clear may end
// up in a key or in what Redact returns for storage.
func TestCredentialsNeverShared(t *testing.T) {
	c := &keys.Config{SecretParams: []string{"token"}, CredentialHeaders: []string{"X-Api-Key"}, Secret: []byte("k")}
	users := []struct {
		name   string
		secret string
		spec   func(secret string) spec
	}{
		{"Authorization", "Bearer ALICE-TOKEN-1", func(s string) spec {
			return spec{method: "GET", url: "http://h/me", header: http.Header{"Authorization": {s}}}
		}},
		{"Cookie", "session=ALICE-SESSION", func(s string) spec {
			return spec{method: "GET", url: "http://h/me", header: http.Header{"Cookie": {s}}}
		}},
		{"lower-case cookie key", "session=ALICE-SESSION", func(s string) spec {
			return spec{method: "GET", url: "http://h/me", header: http.Header{"cookie": {s}}}
		}},
		{"configured header", "ALICE-API-KEY", func(s string) spec {
			return spec{method: "GET", url: "http://h/me", header: http.Header{"X-Api-Key": {s}}}
		}},
		{"userinfo password", "ALICEPW", func(s string) spec {
			return spec{method: "GET", url: "http://alice:" + s + "@h/me"}
		}},
		{"secret query parameter", "ALICETOKEN", func(s string) spec {
			return spec{method: "GET", url: "http://h/me?token=" + s + "&x=1"}
		}},
	}
	for _, u := range users {
		t.Run(u.name, func(t *testing.T) {
			alice := u.spec(u.secret)
			bob := u.spec(strings.ReplaceAll(strings.ReplaceAll(u.secret, "ALICE", "BOB"), "alice", "bob"))
			ka, kb := key(t, c, alice), key(t, c, bob)
			if ka == kb {
				t.Fatalf("alice and bob share key %s", ka)
			}
			if strings.Contains(ka, u.secret) {
				t.Errorf("key %q contains the credential", ka)
			}
			req, _ := alice.request(t)
			red := c.Redact(req)
			stored := red.Method + " " + red.URL
			for k, vs := range red.Header {
				stored += " " + k + ": " + strings.Join(vs, ",")
			}
			if strings.Contains(stored, u.secret) {
				t.Errorf("Redact output %q contains the credential %q", stored, u.secret)
			}
		})
	}
}

// Keys are computed with pooled scratch state; concurrent calls must not
// see each other's data (run with -race).
func TestCreateConcurrent(t *testing.T) {
	specs := []spec{
		{method: "GET", url: "http://h/?b=2&a=1&ts=3", header: http.Header{"Authorization": {"alice"}}},
		{method: "POST", url: "http://h/", header: jsonCT, body: `{"b":[1,{"d":2,"c":3}],"a":1,"api_key":"x"}`},
		{method: "POST", url: "http://h/", header: formCT, body: "z=1&y=2&api_key=3"},
	}
	want := make([]string, len(specs))
	reqs := make([]*http.Request, len(specs))
	bodies := make([][]byte, len(specs))
	for i, s := range specs {
		want[i] = key(t, cfg, s)
		reqs[i], bodies[i] = s.request(t)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range 200 {
				i := (g + n) % len(specs)
				if got := cfg.Create(reqs[i], bodies[i]); got != want[i] {
					t.Errorf("goroutine %d: key %s, want %s", g, got, want[i])
					return
				}
			}
		}()
	}
	wg.Wait()
}
