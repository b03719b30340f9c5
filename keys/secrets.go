package keys

import (
	"net/http"
	"slices"
)

// defaultSecrets are the names requests-cache redacts by default, in lower
// case. Here they are secrets, not ignored: their values take part in the
// key through the credential HMAC (two users never share an entry) and are
// redacted from the stored request. Each name counts both as a parameter
// (query, form body, JSON body; matched ASCII case-insensitively) and as a
// header field.
var defaultSecrets = [...]string{
	"access_token", "api_key", "apikey",
	"x-access-token", "x-api-key", "x-api-token", "x-auth-token",
}

// defaultSecretHeaders are the canonical header names of defaultSecrets,
// sorted.
var defaultSecretHeaders = func() []string {
	var names []string
	for _, n := range defaultSecrets {
		names = append(names, http.CanonicalHeaderKey(n))
	}
	slices.Sort(names)
	return names
}()

// allDefaultCredentialHeaders is defaultCredentialHeaders and
// defaultSecretHeaders, sorted: the credential headers of a Config without
// CredentialHeaders and without NoDefaultSecrets. (Package-level
// initialisers rather than init functions, which run in file order.)
var allDefaultCredentialHeaders = slices.Sorted(slices.Values(
	slices.Concat(defaultCredentialHeaders[:], defaultSecretHeaders)))

// DefaultSecrets returns the parameter and header names that every Config
// treats as secret unless NoDefaultSecrets is set: requests-cache's default
// redaction list (access_token, api_key, apikey, X-Access-Token, X-API-Key,
// X-API-Token, X-Auth-Token). Parameters are matched ASCII
// case-insensitively, header fields under any spelling.
func DefaultSecrets() []string {
	return []string{"access_token", "api_key", "apikey", "X-Access-Token", "X-API-Key", "X-API-Token", "X-Auth-Token"}
}

func (c *Config) defaultSecrets() bool { return c == nil || !c.NoDefaultSecrets }

// isDefaultSecret reports whether the decoded parameter name is one of the
// default secrets, ignoring ASCII case: a default list cannot know how an
// API capitalises "apiKey", and hashing one more parameter never makes two
// requests share a key.
func isDefaultSecret[T ~string | ~[]byte](name T) bool {
	if len(name) < len("apikey") || len(name) > len("x-access-token") {
		return false
	}
	for _, d := range defaultSecrets {
		if equalFoldASCII(name, d) {
			return true
		}
	}
	return false
}

// equalFoldASCII reports whether a equals the lower-case ASCII string lower
// when ASCII letters of a are folded to lower case.
func equalFoldASCII[T ~string | ~[]byte](a T, lower string) bool {
	if len(a) != len(lower) {
		return false
	}
	for i := 0; i < len(a); i++ {
		c := a[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}
