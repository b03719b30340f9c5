// Package mongodb is a cachedhttp backend that stores values in a MongoDB
// collection (or any server speaking the MongoDB wire protocol, such as
// FerretDB), using go.mongodb.org/mongo-driver.
//
// Each key is one document:
//
//	{_id: hex(SHA-256(key)), key: BinData(key), value: BinData, expires: Date, size: Int64}
//
// The _id is a hash because keys are arbitrary bytes up to 4 KiB (not
// always valid UTF-8, longer than some servers index); the original key
// lives in the binary field key, so Scan returns it unchanged. expires is
// absent for values that never expire.
//
// Expiry: Get treats a document whose expires has passed as a miss, so
// correctness never depends on the server deleting it. New creates a TTL
// index on expires ({expireAfterSeconds: 0}) so that MongoDB deletes expired
// documents by itself; servers that refuse it (FerretDB answers
// NotImplemented) get a plain index instead, NativeTTL reports false, and
// the caller purges with DeleteExpired.
//
// Large values: a document is limited to 16 MiB, so a value larger than
// Options.ChunkSize is split into chunk documents
//
//	{_id: "<hash>/<generation>/<n>", parent: "<hash>", value: BinData, expires: Date}
//
// written before the key's document, which then holds no value but the
// generation id and the number of chunks. A generation is random per Set,
// so a concurrent overwrite never mixes the chunks of two values: a reader
// that finds a chunk missing (an overwrite or delete removed it) reports a
// miss, never a truncated value. Chunks of the replaced generation are
// deleted after the new document is in place. On servers whose
// findAndModify is not atomic (FerretDB 1.x reads, then writes), concurrent
// Sets of one chunked key can leave a superseded generation's chunks
// behind: Get and Scan never see them, they carry the value's expires if
// it has one (so DeleteExpired removes them in time), and Delete and Clear
// remove them.
//
// Open a backend from a DSN after importing this package:
//
//	mongodb://127.0.0.1:27017/?database=cachedhttp&collection=responses
//
// The parameters database (default "cachedhttp"; else the DSN's path),
// collection (default "responses"), chunk_size (bytes, default 8 MiB) and
// indexes (default true; false skips index creation) are this package's;
// every other parameter is passed to the driver unchanged (see
// https://www.mongodb.com/docs/manual/reference/connection-string/). The
// scheme mongodb+srv is registered too.
//
// A client opened from a DSN gives up faster than the driver would on its
// own, as a cache should (a miss only costs the origin request): 2 s to
// find a server (serverSelectionTimeoutMS; the driver's default is 30 s),
// 2 s to connect (connectTimeoutMS), 10 s per socket read or write
// (socketTimeoutMS, unless timeoutMS is given), each overridable in the
// DSN; Close waits at most 2 s for operations in flight. Indexes are
// created under the context given to Open. The driver logs nothing unless
// its MONGODB_LOG_* environment variables ask for it.
//
// SetMany (backends.Batcher) stores the values that fit in one document
// with one bulk write, so a writer behind the caller drains a burst of
// misses in a few round trips; chunked values are stored one by one.
package mongodb
