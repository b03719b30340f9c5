// Package dynamodb is a cachedhttp backend that stores values in an Amazon
// DynamoDB table (or DynamoDB Local), using aws-sdk-go-v2.
//
// The table has one partition key, pk, a string. A value is one item:
//
//	pk  S  hex(SHA-256(key))   the key hashed: keys reach 4 KiB, pk 2048 bytes
//	k   B  key                 the original key, returned by Scan
//	v   B  value               absent when the value is chunked
//	sz  N  len(value)
//	exp N  expiry, Unix milliseconds (absent: never expires)
//	ttl N  expiry, Unix seconds rounded up: the table's TTL attribute
//	g   S  generation id       chunked values only
//	n   N  number of chunks    chunked values only
//
// Expiry: Get treats an item whose exp has passed as a miss, because
// DynamoDB deletes expired items only eventually (up to 48 hours late).
// With Options.CreateTable, New enables TTL on the attribute ttl so that the
// table deletes them by itself; emulators that do not implement
// UpdateTimeToLive (dynalite) are tolerated and NativeTTL reports false.
//
// Large values: an item is limited to 400 KB, so a value larger than
// Options.ChunkSize is stored as chunk items (pk "<hash>#<generation>#<i>",
// v, ttl) written before the value's item, which then holds the generation
// and chunk count instead of v. Each Set picks a random generation, so a
// concurrent overwrite never mixes the chunks of two values; a reader that
// finds a chunk missing (an overwrite or delete removed it) reports a miss,
// never a truncated value. The replaced generation's chunks are deleted
// after the new item is in place. Chunk items have no k attribute, so Scan
// never reports them as keys.
//
// Open a backend from a DSN after importing this package:
//
//	dynamodb://TABLE?region=us-east-1&endpoint=http://127.0.0.1:4568&create_table=true
//
// Parameters: region (default: the AWS configuration's region, else
// us-east-1 when an endpoint is given), endpoint (a DynamoDB-compatible URL;
// default: AWS's endpoint for the region), create_table (create the table
// and enable TTL when missing; default false), consistent_read (default
// true), chunk_size (bytes, default 384 KiB). Credentials come from the
// default AWS chain (environment, shared files, SSO, IMDS); when an endpoint
// is given and that chain finds none, static dummy credentials are used,
// which is what DynamoDB Local and dynalite accept.
//
// A client opened from a DSN gives up faster than the SDK's defaults would
// (a cache's miss only costs the origin request): dial_timeout (default
// 1s), read_timeout (the wait for a response to start and for each further
// byte; default 2s; the SDK's default client has no such bound and waited
// for ever on a hung endpoint), max_attempts (default 2, at most 200 ms
// apart). The table is created, when asked, under the context given to
// Open. The SDK's logger, which writes to standard error, is silenced.
//
// SetMany (backends.Batcher) stores the values that fit in their own item
// with BatchWriteItem, 25 to a request, so a writer behind the caller
// drains a burst of misses in a few round trips; chunked values are stored
// one by one.
package dynamodb
