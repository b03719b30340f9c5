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
