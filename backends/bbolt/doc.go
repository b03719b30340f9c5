// Package bbolt is the default cachedhttp backend: one file, embedded, read
// through a memory map (go.etcd.io/bbolt).
//
// The nouns: a Backend is one open cache file; a record is one stored value
// with its header (when it expires, when it was written); Sweep deletes
// expired records.
//
// Layout. The file holds four buckets: "entries" maps each key to its
// record (an 8-byte expiry, an 8-byte write sequence number, then the
// value), "age" maps sequence numbers to keys (oldest first, for the size
// bound), "expiry" maps expiry+sequence to keys (soonest first, for Sweep),
// and "meta" holds the format version and the byte count the size bound
// uses. The age index and the byte count are kept only while a size bound
// is set (they cost a quarter of a write); opening a file with a bound
// after it was used without one rebuilds them in one pass over the
// records. Get filters expired records, so nothing needs to run in the
// background; call Sweep to reclaim their space.
//
// Writes. A write transaction commits with two fsyncs. Concurrent Set and
// Delete calls share one transaction (group commit: whoever finds no commit
// running commits everything queued, so a lone writer never waits for a
// timer), and a value is visible to Get as soon as Set returns. Options.NoSync
// skips the fsyncs: much faster, but a machine crash (not a process crash)
// can corrupt the file.
//
// Only one Backend (in any process) can have a file open: Open waits
// Options.Timeout for the file lock and then fails with an error matching
// ErrLocked.
//
// The DSN form is bbolt:///absolute/path/cache.db (or bbolt:relative/path)
// with the parameters timeout (a Go duration), max_bytes and nosync.
package bbolt
