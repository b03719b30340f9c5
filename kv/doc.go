// Package kv is a key-value cache over any cachedhttp store (package
// backends): flask-caching's cache API and Core-Lib's cache decorator, in
// Go.
//
// The nouns:
//
//   - A Cache stores typed values under string keys with a time to live:
//     Get (and the generic Get[T]), Set, Add, Delete, DeleteMany, Has,
//     GetMany, SetMany, Inc, Dec and Clear, with a default ttl and a key
//     prefix. New makes one over a backends.Backend; Open makes one from a
//     DSN.
//   - A Codec encodes the values that are not integers: Msgpack (the
//     default) or JSON. Integers are stored as decimal digits, which is
//     what the stores' atomic counters keep, so Inc works on a value Set
//     as an integer and Get reads a counter back as a number.
//   - A Memo is a memoized function (Core-Lib's @Cache, flask-caching's
//     memoize): Memoize wraps func(context.Context, K) (V, error); Call
//     serves from the cache, runs the function once for concurrent callers
//     of one key, and Forget and ForgetAll invalidate one key or all.
//   - A Template builds a Memo's keys from the argument's fields, such as
//     "user:{ID}", parsed once.
//   - Caches is a set of named caches opened from a map of DSNs
//     (Core-Lib's cache registry): OpenAll, Cache(name), Close.
//
// A miss is an error matching ErrNotFound, as everywhere in cachedhttp.
//
// Add and Inc are atomic across processes on the stores that implement
// backends.Adder and backends.Incrementer (memory, bbolt, filesystem,
// Redis, memcached, DynamoDB, MongoDB); elsewhere (GridFS, null) a Cache
// emulates them with a read and a write under a lock of its own, atomic
// only among the goroutines sharing that Cache. Cache.Atomic says which.
//
// flask-caching's threshold (the most items a cache holds) is a bound of
// the store, set when the store is opened: max_entries for memory:// and
// file://, max_bytes for bbolt://, and the servers' own memory limits for
// Redis and memcached. Its file mode for the filesystem cache is the
// file:// store's mode parameter (filesystem.Options.FileMode).
package kv
