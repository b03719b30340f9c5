// Package redis is the cachedhttp backend for Redis: a single server, a
// Redis Cluster, a Sentinel-managed primary or a client-side sharded Ring,
// through go-redis's UniversalClient.
//
// The nouns: a Backend stores values as plain Redis strings under
// Options.Prefix followed by the caller's key, unchanged (Redis keys are
// binary-safe, so Scan returns the original keys). Expiry is native (SET with
// PX); Clear and Scan walk only the keys under the prefix, on every primary of
// a cluster. Several Backends, in one process or many, that use the same
// server and prefix share their entries.
//
// Use New with a client you configured (TLS, pool sizes, timeouts), or open a
// backend from a DSN once the package is imported:
//
//	import _ "github.com/cachedhttp/cachedhttp/backends/redis"
//
//	backends.Open(ctx, "redis://127.0.0.1:6379/0?prefix=myapp:")
//
// The DSN schemes are:
//
//	redis://[user:pass@]host:port/db?prefix=P                   one server
//	rediss://[user:pass@]host:port/db?prefix=P                  one server over TLS
//	redis+cluster://[user:pass@]h1:p1,h2:p2,h3:p3?prefix=P      Redis Cluster (seed nodes)
//	rediss+cluster://...                                        Redis Cluster over TLS
//	redis+sentinel://[user:pass@]s1:p1,s2:p2/db?master=NAME&prefix=P   Sentinel
//	rediss+sentinel://...                                       Sentinel, data nodes over TLS
//
// The hosts of a cluster or sentinel DSN are separated by commas; more may
// be given as repeated addr=host:port parameters (needed for IPv6 literals).
// In a sentinel DSN the user and password are those of the Redis primary
// and replicas; sentinel_username and sentinel_password authenticate to the
// sentinels. The parameters this package reads are:
//
//	prefix      the key prefix (namespace); default "cachedhttp:"
//	scan_count  the COUNT hint of SCAN and the batch size of Clear; default 512
//	master      the sentinel master name (sentinel DSNs only; master_name also works)
//
// and, for every kind of client alike, the bounds on how long a call waits
// (a duration such as 500ms, or whole seconds; 0 or less means none):
//
//	dial_timeout             connecting to a server; default 1s (DefaultDialTimeout)
//	read_timeout             each socket read; default 500ms
//	write_timeout            each socket write; default 500ms
//	pool_timeout             waiting for a free connection; default 1s
//	max_retries              retries of a command after a network error; default 1, -1 for none
//	dialer_retries           dial attempts per connection; default 1
//	context_timeout_enabled  honour the caller's context deadline while a reply
//	                         is read; default true
//
// These defaults are a cache's, not go-redis's (5 s dials tried five times,
// 3 s reads, the context deadline ignored for reads): with the store down
// or hung, a request gives up fast and goes to the origin. Every other
// parameter is handed to go-redis's ParseURL, ParseClusterURL or
// ParseFailoverURL (pool_size, min_retry_backoff, skip_verify, ...); an
// unknown parameter is an error. Opening does not contact the server: the
// first operation does. A backend opened from a DSN owns its client and
// closes it on Close; a client passed to New keeps its own options.
//
// SetMany (backends.Batcher) stores a batch in one pipeline, so a writer
// behind the caller drains a burst of misses in one round trip per node.
//
// go-redis logs with one logger per process, writing to standard error.
// Importing this package points it at SetLogger's logger, which discards by
// default: a Redis that is down does not fill a program's standard error,
// and a program that wants those lines passes its *slog.Logger to SetLogger.
package redis
