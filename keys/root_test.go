package keys_test

import (
	"testing"

	"github.com/cachedhttp/cachedhttp/keys"
)

func TestContentRootKey(t *testing.T) {
	c := &keys.Config{IgnoredParams: []string{"ts"}, ContentRootKey: "data", Secret: []byte("k")}
	post := func(body string) spec { return spec{method: "POST", url: "http://h/", header: jsonCT, body: body} }
	same := []struct{ name, a, b string }{
		{"ignored member inside the root", `{"data":{"q":1,"ts":1}}`, `{"data":{"q":1,"ts":2}}`},
		{"ignored member inside the root present or absent", `{"data":{"q":1,"ts":1}}`, `{"data":{"q":1}}`},
		{"no root: top-level ignored member", `{"q":1,"ts":1}`, `{"q":1}`},
		{"member order", `{"x":1,"data":{"ts":1,"q":1}}`, `{"data":{"q":1},"x":1}`},
	}
	for _, tt := range same {
		t.Run(tt.name, func(t *testing.T) {
			if a, b := key(t, c, post(tt.a)), key(t, c, post(tt.b)); a != b {
				t.Errorf("keys differ: %s, %s", a, b)
			}
		})
	}
	differ := []struct{ name, a, b string }{
		{"root present: top-level members are all kept", `{"data":{},"ts":1}`, `{"data":{},"ts":2}`},
		{"root not an object: top level kept", `{"data":[1],"ts":1}`, `{"data":[1],"ts":2}`},
		{"deeper members are not parameters", `{"data":{"o":{"ts":1}}}`, `{"data":{"o":{"ts":2}}}`},
		{"other member than the root", `{"other":{"ts":1}}`, `{"other":{"ts":2}}`},
		{"no root: nested members are not parameters", `{"q":{"ts":1}}`, `{"q":{"ts":2}}`},
		{"secret inside the root, two users", `{"data":{"api_key":"a"}}`, `{"data":{"api_key":"b"}}`},
		{"secret cannot move between the top level and the root", `{"data":{"api_key":"a"}}`, `{"data":{},"api_key":"a"}`},
		{"root value and an equal top level", `{"data":{"q":1}}`, `{"q":1}`},
	}
	for _, tt := range differ {
		t.Run(tt.name, func(t *testing.T) {
			if a, b := key(t, c, post(tt.a)), key(t, c, post(tt.b)); a == b {
				t.Errorf("same key %s", a)
			}
		})
	}
	t.Run("unset keeps the top-level rule", func(t *testing.T) {
		plain := &keys.Config{IgnoredParams: []string{"ts"}}
		if key(t, plain, post(`{"data":{"ts":1}}`)) == key(t, plain, post(`{"data":{"ts":2}}`)) {
			t.Errorf("ignored parameters applied below the top level without ContentRootKey")
		}
	})
	t.Run("duplicate root member is keyed raw", func(t *testing.T) {
		if key(t, c, post(`{"data":{"ts":1},"data":{"ts":1}}`)) == key(t, c, post(`{"data":{"ts":2},"data":{"ts":2}}`)) {
			t.Errorf("duplicate members were canonicalised")
		}
	})
}
