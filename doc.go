// Package cachedhttp caches HTTP responses on the client side: an
// http.RoundTripper that follows HTTP caching (RFC 9111) and the user's own
// expiry rules, over pluggable storage.
//
// # Basics
//
// A few nouns make up the package.
//
// A Transport is the cache: an http.RoundTripper that wraps another (the
// "next" transport, http.DefaultTransport by default). Put it in any
// http.Client, or install it as http.DefaultTransport with package patch.
// For each request it computes a key, reads what is stored, asks the policy
// whether that may be served, revalidated or must be fetched, and stores
// what the origin answers while the caller reads the body. It is safe for
// concurrent use; Close flushes the writes it has queued.
//
// A Session is a ready *http.Client whose transport is a Transport, plus the
// cache's maintenance: Records, Delete, DeleteURL, DeleteExpired, Clear,
// Stats. NewSession stores in a bbolt file by default; NewTransport in
// memory.
//
// A Backend (package backends) stores opaque bytes under string keys with a
// time to live: bbolt, filesystem, memory, Redis, MongoDB, GridFS, DynamoDB,
// memcached. Choose one with WithBackend or WithBackendDSN
// ("redis://127.0.0.1:6379/0"); its package registers the DSN scheme when
// imported.
//
// A Serializer (package serializers) turns a stored record into bytes and
// back: a codec (the compact binary codec, record format v2, by default;
// msgpack, JSON and BSON too) followed by byte stages (compression, signing,
// encryption). Every encoded record starts with a header that names its
// format, so a foreign or old record is a clean miss. Decoded records are
// kept in a bounded cache and reused while the store returns the same bytes
// (or, for a store that counts its writes, backends.Versioned, while
// nothing was written).
//
// The stored record is a models.Response: status, header, body, trailers,
// the redacted request, and the times the policy needs (created, expires,
// stale-until). A response that varies (Vary) is stored as a Vary index
// under the request's primary key, naming the varying fields (and, when
// they include Accept-Language, listing the variants by Content-Language),
// and one record per variant under a variant key (keys.Config.Variant). A
// 206 is stored as a partial record (status 206 and its Content-Range),
// which answers only ranges within it and is completed from the origin
// with the missing bytes (partialstore.go).
//
// Options (With...) configure a Transport or a Session; per-request
// controls (Refresh, ForceRefresh, OnlyIfCached, Bypass, ExpireAfter) ride
// in the request's context.
//
// CacheInfo, returned by Info(resp), tells how a response was answered:
// from the cache or not, revalidated, stale, its key and times. The same is
// written in the response's Cache-Status field (RFC 9211).
//
// # What never changes
//
// A cache must never be worse than no cache: a backend that fails or a
// record that does not decode costs a miss, never an error for the caller;
// a body is stored only when it was read completely; credentials take part
// in keys only as keyed hashes and are redacted from what is stored.
package cachedhttp
