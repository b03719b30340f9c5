// Package keys builds stable cache keys from requests: method, normalised
// URL, normalised body, matched headers and a keyed hash of credentials. It
// also redacts secrets from the request description that is stored. The key
// scheme is versioned (Version) and pinned by golden files in testdata/, so
// keys never change between releases without a version bump.
//
// # Keys
//
// A primary key (Config.Create) is Version, ":" and the lower-case hex
// SHA-256 of a sequence of tagged, length-prefixed fields, so that no two
// different inputs can produce the same sequence by concatenation: the
// method, the normalised URL, a Host override, the matched header values,
// the normalised body and, when the request carries credentials, their
// HMAC-SHA256 under Config.Secret. A credential never enters a key in
// clear. Every key is KeyLen bytes of ASCII; a secondary key (Variant) adds
// VariantLen bytes. Hex keeps keys distinct on case-insensitive stores.
//
// # Credentials and secrets
//
// Authorization, Cookie, Proxy-Authorization, URL userinfo, and by default
// the names requests-cache redacts (DefaultSecrets: api_key, access_token,
// X-API-Key, ...) as parameters or header fields, take part in a key only
// through the HMAC, so two users never share an entry, and are redacted
// from the stored request (Redact). Config.NoDefaultSecrets opts out.
//
// # Stability
//
// A key never changes silently. A change of the scheme bumps Version (all
// keys), or VariantVersion (variant keys only), or is confined to requests
// that use a new option or carry what the change is about, with the old
// keys recorded in the golden file's history. Requests without a default
// secret, a method override header or a Config.MatchHeaders "*" kept their
// v1 keys when those were introduced.
//
// # Equivalence
//
// Requests that RFC 3986 §6 (syntax- and scheme-based normalisation) says
// are the same get the same key; see Config.NormalizeURL for the rules.
// Where the RFCs leave a choice, keys err towards keeping requests apart,
// because a false hit serves a wrong response while a false miss only
// costs a fetch:
//
//   - reserved characters keep the encoding they were given ("/" and
//     "%2F" differ), and paths, query values and header values keep their
//     case;
//   - the values of a repeated query parameter keep their relative order
//     ("?a=1&a=2" is not "?a=2&a=1"), and "?a" is not "?a=";
//   - JSON numbers are compared as written (1 and 1.0 differ), and JSON
//     texts whose meaning decoders disagree on (duplicate member names,
//     lone surrogates, invalid UTF-8) are keyed as raw bytes.
//
// In a query "+" is a space, as servers decoding
// application/x-www-form-urlencoded read it, so "+" and "%20" are the same
// and a literal plus must be sent as "%2B".
//
// Header fields are found under any spelling of their name, including keys
// assigned to an http.Header map without canonicalisation, because net/http
// sends those as they are.
package keys

import (
	"net/http"

	"github.com/cachedhttp/cachedhttp/models"
)

// Version is the version of the key scheme; it prefixes every key.
const Version = "v1"

// Config says what takes part in a key. The zero value is usable: no ignored
// parameters, no matched headers, the default credential headers and
// secrets, and an all-zero hashing secret (set Secret to make credential
// hashes unguessable by someone who can read the store).
type Config struct {
	// IgnoredParams are removed from the query, from JSON object bodies (top
	// level, or the ContentRootKey member) and from form bodies before
	// keying, and redacted from the stored request. Their presence or
	// absence never changes the key.
	IgnoredParams []string
	// SecretParams (for example "session") take part in the key through a
	// keyed hash only and are redacted from the stored request. The
	// DefaultSecrets are added unless NoDefaultSecrets is set.
	SecretParams []string
	// MatchHeaders are request header fields whose values take part in the
	// key (requests-cache's match_headers). MatchAll ("*") matches every
	// field the request has except hop-by-hop fields, message framing, the
	// cache's own directives and preconditions, and per-request trace
	// metadata: Baggage, B3, Cache-Control, Connection (and the fields it
	// names), Content-Length, Date, Expect, Host, If-Match,
	// If-Modified-Since, If-None-Match, If-Unmodified-Since, Keep-Alive,
	// Max-Forwards, Pragma, Priority, Proxy-Connection, Sentry-Trace, TE,
	// Traceparent, Tracestate, Trailer, Transfer-Encoding, Upgrade,
	// X-Amzn-Trace-Id, X-B3-Flags, X-B3-ParentSpanId, X-B3-Sampled,
	// X-B3-SpanId, X-B3-TraceId, X-Correlation-Id and X-Request-Id.
	// Credential headers are never matched in clear: they always take part
	// through the keyed hash.
	MatchHeaders []string
	// CredentialHeaders take part in the key as a keyed hash and are
	// removed from the stored request. Authorization, Cookie and
	// Proxy-Authorization always are, and so are the header names among
	// DefaultSecrets unless NoDefaultSecrets is set.
	CredentialHeaders []string
	// Secret keys the credential hash (HMAC-SHA256).
	Secret []byte
	// MaxBody bounds how much of a request body is normalised (JSON keys
	// sorted, form fields sorted); larger bodies are hashed as raw bytes.
	// Zero means 1 MiB; a negative value keys every body as raw bytes.
	MaxBody int
	// NoDefaultSecrets stops treating DefaultSecrets as secret, so their
	// values are keyed in clear (parameters) or not at all (headers) and
	// stored: the keys requests carrying them had before the defaults
	// existed. Set it only to keep such keys.
	NoDefaultSecrets bool
	// ContentRootKey names a top-level member of JSON object bodies whose
	// value holds the parameters (requests-cache's content_root_key, for
	// APIs that wrap them as {"data": {...}}). When a body has that member,
	// IgnoredParams and SecretParams apply to the members of its object
	// value instead of the top level, whose members are then all kept
	// (secret ones still go through the keyed hash); a body without it is
	// treated as if ContentRootKey were empty. The name is compared with
	// the decoded member name; names that need escaping never match.
	ContentRootKey string
}

// Create returns the primary key of req whose body (possibly nil) is body.
// HEAD requests get the key of the same GET request, so a stored GET
// response can answer HEAD (RFC 9110 §9.3.2).
//
// The key is Version, ":" and the lower-case hex SHA-256 of an unambiguous
// encoding of the upper-case method, the method override header fields
// (X-HTTP-Method-Override, X-HTTP-Method, X-Method-Override) when present,
// the normalised URL (NormalizeURL), the Host override if req.Host names
// another authority, the matched header values, the normalised body and an
// HMAC-SHA256 under Secret of the credentials (credential headers, secret
// parameters, URL userinfo). A POST overridden to DELETE thus never shares
// a key with the plain POST or with a DELETE: whether the origin honours
// the override is unknown to a cache (see EffectiveMethod). Every key is
// KeyLen bytes of ASCII, safe for memcached. Create does not modify req; a
// nil c or req is treated as the zero value.
func (c *Config) Create(req *http.Request, body []byte) string { return c.create(req, body) }

// Variant returns the secondary key of the variant selected by the request
// header h for the Vary field names (lower case) of a stored response
// (RFC 9111 §4.1): values are combined and whitespace-normalised, and the
// Accept-* fields put in canonical form (see Config.Variant).
// Field names are matched case-insensitively and in any order (an element
// of vary may also be a whole Vary field value); a field the
// request lacks is distinct from an empty one. The result is primary, "|"
// and a hex SHA-256: VariantLen bytes longer than primary. "Vary: *" is
// the caller's to handle (such a response never matches). Prefer
// Config.Variant, which hashes credential fields under the secret.
func Variant(primary string, vary []string, h http.Header) string { return variant(primary, vary, h) }

// Redact returns the description of req that may be stored: credential
// headers (with the default secret headers) removed under any spelling of
// their names, URL userinfo and fragment removed, ignored and secret
// parameters (with the default secrets) removed from the query (the other
// parameters are kept as written). It copies what it keeps and
// never changes req, so it cannot change a key.
func (c *Config) Redact(req *http.Request) models.Request { return c.redact(req) }

// NormalizeURL returns the canonical form of rawURL used in keys: scheme and
// host lower case, default port removed, empty path as "/", dot segments
// removed, percent-encoding made consistent (unreserved characters decoded,
// hex upper case), query parameters sorted (stable for repeated names) with
// ignored and secret parameters removed, fragment dropped. Userinfo is a
// credential and is dropped too. In the query "+" means a space, as in
// application/x-www-form-urlencoded, and is written "%20"; a literal plus is
// "%2B". The relative order of the values of one name is kept because it
// can be meaningful. rawURL must be absolute (ErrNotAbsolute otherwise).
// The result is idempotent: NormalizeURL of a result returns it unchanged.
func (c *Config) NormalizeURL(rawURL string) (string, error) { return c.normalizeURL(rawURL) }
