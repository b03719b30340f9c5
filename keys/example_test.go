package keys_test

import (
	"fmt"
	"net/http"

	"github.com/cachedhttp/cachedhttp/keys"
)

func ExampleConfig_NormalizeURL() {
	c := &keys.Config{IgnoredParams: []string{"utm_source"}}
	u, err := c.NormalizeURL("HTTPS://Example.COM:443/a/./b/../%7Euser?utm_source=mail&q=go+http&b=2&a=1#top")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(u)
	// Output: https://example.com/a/~user?a=1&b=2&q=go%20http
}

func ExampleConfig_Create() {
	c := &keys.Config{IgnoredParams: []string{"ts"}, Secret: []byte("keep me out of the store")}
	a, _ := http.NewRequest("GET", "https://example.com/search?q=go&ts=1700000000", nil)
	b, _ := http.NewRequest("HEAD", "https://EXAMPLE.com/search?ts=1700000999&q=go", nil)
	ka, kb := c.Create(a, nil), c.Create(b, nil)
	fmt.Println(ka == kb, len(ka) == keys.KeyLen)

	// Two users never share a key.
	a.Header.Set("Authorization", "Bearer alice")
	b.Header.Set("Authorization", "Bearer bob")
	fmt.Println(c.Create(a, nil) == c.Create(b, nil))
	// Output:
	// true true
	// false
}

func ExampleConfig_Redact() {
	c := &keys.Config{SecretParams: []string{"api_key"}}
	req, _ := http.NewRequest("GET", "https://user:pw@example.com/v1/items?api_key=s3cret&page=2", nil)
	req.Header.Set("Authorization", "Bearer t0ken")
	req.Header.Set("Accept", "application/json")
	r := c.Redact(req)
	fmt.Println(r.Method, r.URL, r.Header)
	// Output: GET https://example.com/v1/items?page=2 map[Accept:[application/json]]
}

func ExampleVariant() {
	primary := (&keys.Config{}).Create(&http.Request{Method: "GET", Header: http.Header{}}, nil)
	gzip := keys.Variant(primary, []string{"accept-encoding"}, http.Header{"Accept-Encoding": {"gzip,br"}})
	same := keys.Variant(primary, []string{"Accept-Encoding"}, http.Header{"Accept-Encoding": {"gzip", "br"}})
	none := keys.Variant(primary, []string{"accept-encoding"}, http.Header{})
	fmt.Println(gzip == same, gzip == none, len(gzip) == keys.KeyLen+keys.VariantLen)
	// Output: true false true
}

func ExampleDefaultSecrets() {
	c := &keys.Config{Secret: []byte("keep me out of the store")}
	alice, _ := http.NewRequest("GET", "https://api.example.com/v1/items?page=2&api_key=alice-key", nil)
	bob, _ := http.NewRequest("GET", "https://api.example.com/v1/items?page=2&api_key=bob-key", nil)
	bob.Header.Set("X-API-Key", "bob-key")
	// Both users get their own entry, and neither key is stored.
	fmt.Println(c.Create(alice, nil) == c.Create(bob, nil))
	r := c.Redact(bob)
	fmt.Println(r.URL, r.Header)
	// Output:
	// false
	// https://api.example.com/v1/items?page=2 map[]
}

func ExampleConfig_Create_matchAll() {
	c := &keys.Config{MatchHeaders: []string{keys.MatchAll}}
	a, _ := http.NewRequest("GET", "https://example.com/", nil)
	a.Header.Set("Accept", "application/json")
	a.Header.Set("Traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
	b, _ := http.NewRequest("GET", "https://example.com/", nil)
	b.Header.Set("Accept", "application/json")
	b.Header.Set("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	html, _ := http.NewRequest("GET", "https://example.com/", nil)
	html.Header.Set("Accept", "text/html")
	// Trace context never selects a representation; Accept does.
	fmt.Println(c.Create(a, nil) == c.Create(b, nil), c.Create(a, nil) == c.Create(html, nil))
	// Output: true false
}

func ExampleConfig_Create_contentRootKey() {
	c := &keys.Config{IgnoredParams: []string{"timestamp"}, ContentRootKey: "data"}
	req, _ := http.NewRequest("POST", "https://example.com/rpc", nil)
	req.Header.Set("Content-Type", "application/json")
	a := c.Create(req, []byte(`{"data": {"key": "value", "timestamp": "2022-08-04"}}`))
	b := c.Create(req, []byte(`{"data": {"key": "value", "timestamp": "2022-08-05"}}`))
	fmt.Println(a == b)
	// Output: true
}

func ExampleConfig_Create_methodOverride() {
	c := &keys.Config{}
	post, _ := http.NewRequest("POST", "https://example.com/items/1", nil)
	del, _ := http.NewRequest("POST", "https://example.com/items/1", nil)
	del.Header.Set("X-HTTP-Method-Override", "DELETE")
	fmt.Println(c.Create(post, nil) == c.Create(del, nil), keys.EffectiveMethod(del.Method, del.Header))
	// Output: false DELETE
}

func ExampleConfig_Variant() {
	c := &keys.Config{}
	primary := c.Create(&http.Request{Method: "GET", Header: http.Header{}}, nil)
	vary := []string{"Accept-Language"}
	a := c.Variant(primary, vary, http.Header{"Accept-Language": {"de;q=0.5, EN-gb"}})
	b := c.Variant(primary, vary, http.Header{"Accept-Language": {"en-GB,de;q=0.50"}})
	// Equal weights keep their order: a server may break the tie by it.
	d := c.Variant(primary, vary, http.Header{"Accept-Language": {"de, en-GB"}})
	e := c.Variant(primary, vary, http.Header{"Accept-Language": {"en-GB, de"}})
	fmt.Println(a == b, d == e)
	// Output: true false
}

func ExampleAcceptsLanguage() {
	accept := "fr-CH, fr;q=0.9, en;q=0.8, *;q=0"
	for _, content := range []string{"fr-FR", "en-US", "de", ""} {
		fmt.Printf("%q %v\n", content, keys.AcceptsLanguage(accept, content))
	}
	// Output:
	// "fr-FR" true
	// "en-US" true
	// "de" false
	// "" true
}

// A cache picks the stored variant a request accepts by language: here the
// German one, which "de-DE" alone would not have matched (RFC 4647 §3.3.1).
func ExamplePreferredLanguage() {
	stored := []string{"en", "de", "fr-CA"}
	fmt.Println(keys.PreferredLanguage("it, de;q=0.8, en;q=0.5", stored))
	fmt.Println(keys.PreferredLanguage("de-DE", stored))
	fmt.Println(keys.PreferredLanguage("fr", stored))
	// Output:
	// 1
	// -1
	// 2
}
