package keys_test

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/cachedhttp/cachedhttp/keys"
	"github.com/cachedhttp/cachedhttp/models"
)

// Every default secret, wherever a request carries it, takes part in the
// key (two users never share an entry), never in clear, and is redacted
// from what is stored: the requests-cache defaults without requests-cache's
// shared entries.
func TestDefaultSecretsNeverShared(t *testing.T) {
	c := &keys.Config{Secret: []byte("k")}
	const alice, bob = "ALICE-SECRET-1", "BOB-SECRET-2"
	type carrier struct {
		name string
		spec func(v string) spec
	}
	var carriers []carrier
	for _, n := range keys.DefaultSecrets() {
		carriers = append(carriers,
			carrier{"query " + n, func(v string) spec { return spec{method: "GET", url: "http://h/me?" + n + "=" + v + "&a=1"} }},
			carrier{"form " + n, func(v string) spec {
				return spec{method: "POST", url: "http://h/me", header: formCT, body: "a=1&" + n + "=" + v}
			}},
			carrier{"JSON " + n, func(v string) spec {
				return spec{method: "POST", url: "http://h/me", header: jsonCT, body: `{"a":1,"` + n + `":"` + v + `"}`}
			}},
			carrier{"header " + n, func(v string) spec {
				return spec{method: "GET", url: "http://h/me", header: http.Header{n: {v}}}
			}},
			carrier{"upper-case query " + n, func(v string) spec {
				return spec{method: "GET", url: "http://h/me?" + strings.ToUpper(n) + "=" + v}
			}},
		)
	}
	for _, cr := range carriers {
		t.Run(cr.name, func(t *testing.T) {
			ka, kb := key(t, c, cr.spec(alice)), key(t, c, cr.spec(bob))
			if ka == kb {
				t.Fatalf("alice and bob share key %s", ka)
			}
			req, _ := cr.spec(alice).request(t)
			red := c.Redact(req)
			stored := red.URL
			for k, vs := range red.Header {
				stored += " " + k + ": " + strings.Join(vs, ",")
			}
			if strings.Contains(stored, alice) {
				t.Errorf("stored request %q contains the secret", stored)
			}
		})
	}
}

// A default secret is keyed exactly like the same name configured as a
// secret, so users who declared these names keep their keys.
func TestDefaultSecretsKeyLikeConfigured(t *testing.T) {
	tests := []struct {
		name       string
		configured *keys.Config
		s          spec
	}{
		{"query parameter", &keys.Config{SecretParams: []string{"api_key"}, NoDefaultSecrets: true},
			spec{method: "GET", url: "http://h/?q=1&api_key=k"}},
		{"JSON member", &keys.Config{SecretParams: []string{"access_token"}, NoDefaultSecrets: true},
			spec{method: "POST", url: "http://h/", header: jsonCT, body: `{"access_token":"t","q":1}`}},
		{"header", &keys.Config{CredentialHeaders: []string{"X-Auth-Token"}, NoDefaultSecrets: true},
			spec{method: "GET", url: "http://h/", header: http.Header{"X-Auth-Token": {"t"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if a, b := key(t, &keys.Config{}, tt.s), key(t, tt.configured, tt.s); a != b {
				t.Errorf("default %s, configured %s", a, b)
			}
		})
	}
}

func TestNoDefaultSecrets(t *testing.T) {
	c := &keys.Config{NoDefaultSecrets: true}
	// Keyed in clear, or not at all, as before the defaults.
	if key(t, c, spec{method: "GET", url: "http://h/me", header: http.Header{"X-Api-Key": {"a"}}}) !=
		key(t, c, spec{method: "GET", url: "http://h/me"}) {
		t.Errorf("X-Api-Key is keyed with NoDefaultSecrets")
	}
	req, _ := spec{method: "GET", url: "http://h/me?api_key=k", header: http.Header{"X-Api-Key": {"a"}}}.request(t)
	want := models.Request{Method: "GET", URL: "http://h/me?api_key=k", Header: http.Header{"X-Api-Key": {"a"}}}
	if got := c.Redact(req); !reflect.DeepEqual(got, want) {
		t.Errorf("Redact = %#v, want %#v", got, want)
	}
	// Ignoring is an explicit choice and wins over a default secret.
	ign := &keys.Config{IgnoredParams: []string{"api_key"}}
	if key(t, ign, spec{method: "GET", url: "http://h/?api_key=1"}) != key(t, ign, spec{method: "GET", url: "http://h/"}) {
		t.Errorf("an ignored default secret still takes part in the key")
	}
}

func TestDefaultSecretsList(t *testing.T) {
	got := keys.DefaultSecrets()
	got[0] = "changed"
	if keys.DefaultSecrets()[0] == "changed" {
		t.Errorf("DefaultSecrets returns shared storage")
	}
	want := []string{"access_token", "api_key", "apikey", "X-Access-Token", "X-API-Key", "X-API-Token", "X-Auth-Token"}
	if got := keys.DefaultSecrets(); !reflect.DeepEqual(got, want) {
		t.Errorf("DefaultSecrets() = %q, want %q", got, want)
	}
}
