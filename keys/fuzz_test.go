package keys

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

var fuzzURLs = []string{
	"http://example.com",
	"HTTP://User:Pass@Example.COM:80/a/./b/../c%7e%2f%41?b=2&a=1&a=0&utm_source=x&api_key=k#frag",
	"https://h:0443/%2e%2E/x?q=a+b%20c&&r",
	"http://[FE80::1%25en0]:8080/p?",
	"http://h/a//../b/./c/.",
	"http://h/%zz?%zz=%ZZ&=&x==y",
	"http://h:/;p=1/x;y?z=%2B+",
	"http://h/\u00e9?\u00e9=\u00e9",
	"ws://h:80/x",
	"mailto:a@b",
	"//h/p",
}

func FuzzNormalizeURL(f *testing.F) {
	for _, u := range fuzzURLs {
		f.Add(u)
	}
	c := &Config{IgnoredParams: []string{"utm_source"}, SecretParams: []string{"api_key"}}
	// Without secrets, a URL and its normal form must key the same.
	plain := &Config{IgnoredParams: []string{"utm_source"}, NoDefaultSecrets: true}
	f.Fuzz(func(t *testing.T, raw string) {
		n, err := c.NormalizeURL(raw)
		if err != nil {
			return
		}
		for i := 0; i < len(n); i++ {
			if n[i] <= ' ' || n[i] >= 0x7f {
				t.Fatalf("NormalizeURL(%q) = %q has byte %#x", raw, n, n[i])
			}
		}
		n2, err := c.NormalizeURL(n)
		if err != nil {
			t.Fatalf("NormalizeURL(%q) = %q, which fails to normalise: %v", raw, n, err)
		}
		if n2 != n {
			t.Fatalf("not idempotent: %q -> %q -> %q", raw, n, n2)
		}
		// The normalised URL keys the same as the URL it came from.
		u, _ := url.Parse(raw)
		u.User = nil
		pn, _ := plain.NormalizeURL(raw)
		un, err := url.Parse(pn)
		if err != nil {
			t.Fatalf("url.Parse(%q): %v", pn, err)
		}
		k1 := plain.Create(&http.Request{Method: "GET", URL: u}, nil)
		k2 := plain.Create(&http.Request{Method: "GET", URL: un}, nil)
		if k1 != k2 {
			t.Fatalf("%q and its normal form %q key differently", raw, pn)
		}
	})
}

func FuzzCreate(f *testing.F) {
	f.Add("GET", "http://example.com/?a=1", []byte(nil), "Accept", "text/html", "", "tok")
	f.Add("head", "http://u:p@h/x", []byte("a=1&b=2"), "accept", "a, b", "application/x-www-form-urlencoded", "")
	f.Add("POST", "http://h/", []byte(`{"a":1,"ts":2}`), "X-Y", " ", "application/json", "Basic dTpw")
	f.Add("PUT", "::", []byte(`[`), "", "", "application/vnd.api+json; charset=utf-8", "c=1")
	c := &Config{
		IgnoredParams: []string{"ts"}, SecretParams: []string{"token"},
		MatchHeaders: []string{"Accept", "x-y"}, CredentialHeaders: []string{"X-Api-Key"},
		Secret: []byte("s3cret"), MaxBody: 64,
	}
	f.Fuzz(func(t *testing.T, method, rawURL string, body []byte, hname, hval, ctype, cred string) {
		u, err := url.Parse(rawURL)
		if err != nil {
			u = &url.URL{Path: rawURL}
		}
		h := http.Header{hname: {hval}, "Content-Type": {ctype}}
		if cred != "" {
			h["authorization"] = []string{cred}
			h.Set("X-Api-Key", cred)
		}
		req := &http.Request{Method: method, URL: u, Header: h, Host: hval}
		before := req.URL.String()
		k := c.Create(req, body)
		if len(k) != KeyLen || !strings.HasPrefix(k, Version+":") {
			t.Fatalf("key %q: want %d bytes with prefix %q", k, KeyLen, Version+":")
		}
		red := c.Redact(req)
		// The second Create keeps the key in the memo (when the request
		// has no body and no credentials), the third reads it.
		for range 2 {
			if k2 := c.Create(req, body); k2 != k {
				t.Fatalf("Create is not deterministic (or Redact changed the request): %q then %q", k, k2)
			}
		}
		if c.KeyedByURL(h) && len(body) == 0 {
			bare := &http.Request{Method: method, URL: u, Header: http.Header{}, Host: hval}
			if kb := c.Create(bare, nil); kb != k {
				t.Fatalf("KeyedByURL(%v), but the key %s differs from %s without the header", h, k, kb)
			}
		}
		if req.URL.String() != before {
			t.Fatalf("request URL changed from %q to %q", before, req.URL.String())
		}
		for name, vs := range red.Header {
			if c.isCredential(http.CanonicalHeaderKey(name)) {
				t.Fatalf("Redact kept credential header %q: %q", name, vs)
			}
		}
		all := &Config{MatchHeaders: []string{MatchAll}, ContentRootKey: "data", Secret: []byte("s3cret")}
		h.Set("X-Http-Method-Override", hval)
		ka := all.Create(req, body)
		if len(ka) != KeyLen || all.Create(req, body) != ka {
			t.Fatalf("MatchAll key %q not deterministic or not KeyLen", ka)
		}
		v := c.Variant(k, []string{hname, "accept", "cookie"}, h)
		if len(v) != KeyLen+VariantLen || !strings.HasPrefix(v, k+"|") {
			t.Fatalf("variant %q of %q", v, k)
		}
	})
}

func FuzzBodyNormalize(f *testing.F) {
	for _, b := range []string{
		`{"b":[1,2.0,{"z":1,"a":"\u0041"}],"a":null,"ts":3,"token":"x"}`,
		` [ true , false , null , -0.5e+3 ] `,
		`"\ud83d\ude00 \u00e9 \/ \b"`,
		`{"a":1,"a":2}`,
		`"\ud800"`,
		`a=1&b=2&ts=3&token=4&a=0`,
		"{\"x\":\"\xff\"}",
		`[[[[[[[[[[]]]]]]]]]]`,
		`{"data":{"ts":1,"q":"x","token":"t"},"ts":2,"api_key":"k"}`,
		`{"data":[{"ts":1}],"APIKEY":1}`,
	} {
		f.Add([]byte(b))
	}
	c := &Config{IgnoredParams: []string{"ts"}, SecretParams: []string{"token"}}
	rooted := &Config{IgnoredParams: []string{"ts"}, SecretParams: []string{"token"}, ContentRootKey: "data"}
	f.Fuzz(func(t *testing.T, body []byte) {
		s := getState()
		defer putState(s)
		out, err := c.canonicalJSON(s, body)
		if err != nil {
			if json.Valid(body) && utf8.Valid(body) &&
				!errors.Is(err, errJSONDuplicate) && !errors.Is(err, errJSONSurrogate) && !errors.Is(err, errJSONDepth) {
				t.Fatalf("valid JSON %q refused: %v", body, err)
			}
		} else {
			out = bytes.Clone(out)
			if !json.Valid(body) {
				t.Fatalf("invalid JSON %q accepted as %q", body, out)
			}
			if !json.Valid(out) {
				t.Fatalf("canonical form %q of %q is not JSON", out, body)
			}
			again, err := c.canonicalJSON(s, out)
			if err != nil || !bytes.Equal(again, out) {
				t.Fatalf("not idempotent: %q -> %q -> %q (%v)", body, out, again, err)
			}
			// Same meaning: equal once decoded, less the dropped members.
			want, got := decodeJSON(t, body), decodeJSON(t, out)
			if m, ok := want.(map[string]any); ok {
				delete(m, "ts")
				delete(m, "token")
				for k := range m {
					if isDefaultSecret(k) {
						delete(m, k)
					}
				}
			}
			if !reflect.DeepEqual(want, got) {
				t.Fatalf("canonical form changed the meaning: %q -> %q", body, out)
			}
		}

		// With a content root: still canonical JSON of the same text, less
		// the parameters of the root or the top level.
		if out, err := rooted.canonicalJSON(s, body); err == nil {
			out = bytes.Clone(out)
			if !json.Valid(out) {
				t.Fatalf("canonical form %q of %q with a content root is not JSON", out, body)
			}
			again, err := rooted.canonicalJSON(s, out)
			if err != nil || !bytes.Equal(again, out) {
				t.Fatalf("not idempotent with a content root: %q -> %q -> %q (%v)", body, out, again, err)
			}
		}

		form := bytes.Clone(c.appendQuery(s, nil, string(body), false, 'B'))
		again := c.appendQuery(s, nil, string(form), false, 'B')
		if !bytes.Equal(again, form) {
			t.Fatalf("form not idempotent: %q -> %q -> %q", body, form, again)
		}
		for _, ct := range []string{"application/json", "application/x-www-form-urlencoded", "text/plain"} {
			k1, b1 := c.normalizeBody(s, ct, body)
			b1 = bytes.Clone(b1)
			k2, b2 := c.normalizeBody(s, ct, body)
			if k1 != k2 || !bytes.Equal(b1, b2) {
				t.Fatalf("normalizeBody(%q) not deterministic", ct)
			}
		}
	})
}

func decodeJSON(t *testing.T, b []byte) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("decode %q: %v", b, err)
	}
	return v
}
