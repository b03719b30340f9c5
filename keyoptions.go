package cachedhttp

import "net/http"

// The options of cache keys: which parts of a request tell responses apart,
// and which are secrets that take part only as keyed hashes and are never
// stored (package keys does the work).

// WithMatchHeaders makes the values of these request header fields part of
// the cache key (requests-cache's match_headers), in addition to Vary.
// keys.MatchAll ("*") matches every field of the request except hop-by-hop
// fields, framing, cache directives and preconditions, and trace metadata
// (requests-cache's match_headers=True; the list is in keys.Config).
// Credential fields always take part as a keyed hash, never in clear.
func WithMatchHeaders(names ...string) Option {
	return func(c *config) {
		for _, n := range names {
			c.keys.MatchHeaders = append(c.keys.MatchHeaders, http.CanonicalHeaderKey(n))
		}
	}
}

// WithIgnoredParams removes these parameters (query, JSON and form bodies)
// from the cache key and redacts them from what is stored; their presence or
// absence never changes the key.
func WithIgnoredParams(names ...string) Option {
	return func(c *config) { c.keys.IgnoredParams = append(c.keys.IgnoredParams, names...) }
}

// WithSecretParams names parameters (API keys) that take part in the key only
// as a keyed hash and are redacted from what is stored, in addition to
// keys.DefaultSecrets (see WithoutDefaultSecrets).
func WithSecretParams(names ...string) Option {
	return func(c *config) { c.keys.SecretParams = append(c.keys.SecretParams, names...) }
}

// WithContentRootKey applies the ignored and secret parameters of JSON
// object bodies to the members of the object under this top-level member
// (requests-cache's content_root_key), for APIs that send {"data": {...}}.
// Bodies without that member are treated as without the option.
func WithContentRootKey(name string) Option {
	return func(c *config) { c.keys.ContentRootKey = name }
}

// WithoutDefaultSecrets stops treating keys.DefaultSecrets (api_key,
// access_token, X-API-Key, ...) as secrets: their values are then keyed in
// clear (parameters) or not at all (headers) and stored. Use it only to
// keep the keys a cache made before those defaults existed.
func WithoutDefaultSecrets() Option {
	return func(c *config) { c.keys.NoDefaultSecrets = true }
}

// WithCredentialHeaders adds request header fields that take part in the key
// as a keyed hash and are never stored (Authorization, Cookie and
// Proxy-Authorization always do).
func WithCredentialHeaders(names ...string) Option {
	return func(c *config) { c.keys.CredentialHeaders = append(c.keys.CredentialHeaders, names...) }
}

// WithKeySecret sets the HMAC key used to hash credentials into cache keys,
// so someone who can read the store cannot test guesses of a credential. Use
// the same secret in every process that shares a store.
func WithKeySecret(secret []byte) Option {
	return func(c *config) { c.keys.Secret = append([]byte(nil), secret...) }
}

// WithKeyFunc replaces the key computation. The function must be
// deterministic and must include credentials if responses differ by user.
func WithKeyFunc(f KeyFunc) Option {
	return func(c *config) { c.keyFunc = f }
}
