// Package gridfs is a cachedhttp backend that stores values as GridFS files
// in MongoDB (or FerretDB), for large values: a file is split into chunk
// documents, so a value is not limited by the 16 MiB document size.
//
// The layout is GridFS's own (the files and chunks collections of a bucket,
// as gridfs.NewBucket and mongofiles see them):
//
//	<bucket>.files   {_id: ObjectId, filename: hex(SHA-256(key)), length, chunkSize, uploadDate,
//	                  metadata: {key: BinData(key), expires: Date}}
//	<bucket>.chunks  {_id: ObjectId, files_id, n, data: BinData}
//
// The filename is a hash because keys are arbitrary bytes up to 4 KiB; the
// original key is metadata.key, which Scan returns. metadata.expires is
// absent for values that never expire.
//
// Set writes a new revision: its chunks first, its files document last, so
// a reader never sees a partial file. It then deletes the revisions older
// than its own, and its own if a newer one already exists; revisions are
// ordered by (uploadDate, _id), which every writer and reader agree on, so
// concurrent Sets of one key leave exactly the newest. Get reads the newest
// revision, checks its expiry, and verifies every chunk (index and size): a
// chunk removed by a concurrent overwrite makes a miss, never a truncated
// value.
//
// GridFS has no TTL: a TTL index on the files collection would leave the
// chunks behind. Get treats expired files as misses and DeleteExpired
// removes them with their chunks; NativeTTL always reports false.
//
// Open a backend from a DSN after importing this package:
//
//	gridfs://127.0.0.1:27017/?database=cachedhttp&bucket=cachedhttp
//
// The parameters database (default "cachedhttp"; else the DSN's path),
// bucket (default "cachedhttp", so the collections are cachedhttp.files and
// cachedhttp.chunks), chunk_size (bytes, default 1 MiB) and indexes (default
// true; false skips index creation) are this package's; every other
// parameter is passed to the driver as in a mongodb:// connection string
// (gridfs+srv:// stands for mongodb+srv://).
//
// A client opened from a DSN gives up faster than the driver would on its
// own, as a cache should (a miss only costs the origin request): 2 s to
// find a server (serverSelectionTimeoutMS; the driver's default is 30 s),
// 2 s to connect (connectTimeoutMS), 10 s per socket read or write
// (socketTimeoutMS, unless timeoutMS is given), each overridable in the
// DSN; Close waits at most 2 s for operations in flight. Indexes are
// created under the context given to Open. The driver logs nothing unless
// its MONGODB_LOG_* environment variables ask for it.
package gridfs
