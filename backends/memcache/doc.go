// Package memcache is the cachedhttp backend for memcached, through
// github.com/bradfitz/gomemcache.
//
// memcached limits keys to 250 bytes without spaces or control characters,
// limits items to its -I setting (1 MiB by default), and can neither list
// nor clear a namespace. This package works around each:
//
//   - Keys: an entry lives in a head item named by the prefix and the
//     base64url SHA-256 of the key, so any key of up to 4 KiB of any bytes
//     works.
//   - Large values: a value that does not fit in one item is split into
//     chunks of MaxItem-512 bytes, written first under a random per-write id,
//     and the head becomes a manifest (write id, size, chunk count, CRC-32C).
//     Two concurrent writers never mix their chunks, and Get treats a missing
//     or damaged chunk as a miss, never returning a truncated value.
//   - Clear: every head records the namespace's generation, a counter item
//     that Clear increments; a head of an older generation is a miss, so the
//     namespace is empty at once, in O(1), for every process sharing it. Get
//     reads the generation and the head in one round trip. Clear then frees
//     the old generation's items through its index, best effort, until its
//     context ends.
//   - Freeing chunks: Delete, and a Set of a large value, delete the chunks
//     of the value they remove; a small value replacing a large one leaves
//     the old chunks to expire or be evicted (one round trip less per Set).
//   - Scan: Set first appends the key to an index item of the generation
//     (memcached's append is atomic), rolling over to a new index item when
//     one is full. Scan reads the index, drops duplicates, and yields the keys
//     whose head still exists, with the size and expiry the head records.
//     memcached may evict an index item: Scan is then incomplete, as memcached
//     itself is lossy. The index grows with the number of distinct keys Set in
//     a generation (a backend skips keys it recorded recently) and is dropped
//     by Clear.
//
// Expiry is native: memcached counts whole seconds, so a TTL is rounded up
// to the next second (relative up to 30 days, an absolute time beyond); a
// TTL of zero or less stores without expiry.
//
// Use New, or open a backend from a DSN once the package is imported:
//
//	import _ "github.com/cachedhttp/cachedhttp/backends/memcache"
//
//	backends.Open(ctx, "memcache://10.0.0.1:11211,10.0.0.2:11211?prefix=myapp:")
//
// The servers are separated by commas (or given as repeated addr=host:port
// parameters, needed for IPv6 literals); keys are spread over them by the
// CRC-32 of the memcached key, as gomemcache's ServerList does. The
// parameters are:
//
//	prefix     the key prefix (namespace); default "cachedhttp:"
//	timeout    dial and socket timeout per command, a Go duration; default 500ms
//	max_item   the servers' item size limit (-I), bytes or with a k/m suffix; default 1m
//	max_value  the largest value Set accepts, bytes or k/m; default 32m
//	max_idle   idle connections kept per server; default 32
//
// gomemcache's calls (GetMulti among them) take no context: timeout, not
// the caller's deadline, bounds each round trip, and a Get or Set of a
// chunked value makes several. The backend checks the context between round
// trips; a caller that must return by a deadline runs the call where it can
// abandon it (cachedhttp's Transport does, under its backend budget).
// SetMany (backends.Batcher) stores a batch SetManyConcurrency items at a
// time.
package memcache
