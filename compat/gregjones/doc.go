// Package gregjones makes cachedhttp work with github.com/gregjones/httpcache,
// so that its users can keep their stores, share stores between the two, and
// move their cached responses over instead of starting cold.
//
// The nouns:
//
//   - A Backend is a cachedhttp backends.Backend kept in a gregjones Cache
//     (diskcache, leveldbcache, memcache, redis, MemoryCache, or your own):
//     a cachedhttp Transport stores its records there. A gregjones Cache has
//     neither expiry nor enumeration, so the Backend keeps each value's
//     expiry in a small envelope beside it, and cannot Scan.
//   - A Cache is a gregjones httpcache.Cache kept in any cachedhttp backend
//     (bbolt, filesystem, Redis, MongoDB, DynamoDB, memcached, ...): a
//     gregjones Transport stores its responses there, unchanged.
//   - A Record is one response as the gregjones Transport stored it (the
//     bytes of httputil.DumpResponse under the key "URL" or "METHOD URL"),
//     read by ParseRecord into a cachedhttp models.Response.
//   - A Source yields the Entries (key, stored bytes, stored time) of an
//     existing gregjones store: a diskcache directory (OpenDisk), a leveldb
//     database (OpenLevelDB), any Cache probed by key (FromCache), or a
//     cachedhttp backend written through a Cache (FromBackend).
//   - Import converts every Record of a Source into cachedhttp records,
//     stored by a cachedhttp Transport built from your options, so that the
//     Transport serves them under its own keys; `cachedhttp migrate -from
//     httpcache-disk:DIR` runs it from the command line.
//
// Only this package (and the command) import github.com/gregjones/httpcache:
// programs that use cachedhttp without it never compile it.
package gregjones
