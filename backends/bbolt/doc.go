// Package bbolt is the default cachedhttp backend: one file, embedded, read
// through a memory map (go.etcd.io/bbolt).
//
// The nouns: a Backend is one open cache file; a record is what the file
// holds for one key (when it expires, and the sequence number that names
// its value); Sweep deletes expired records.
//
// Layout (format version 3). "entries" maps each key to its record, a
// 16-byte header (an 8-byte expiry and an 8-byte sequence number);
// "values" maps sequence numbers to values; "meta" holds the format
// version. A key that ends in 64 lower-case hex digits (a SHA-256, as
// every key of cachedhttp's transport does) is stored with those digits
// as the 32 bytes they spell: 36 bytes instead of 68 per transport key,
// which takes a third off the key index and off the pages each write
// rewrites. Files of format 2 (written before) store every key as it is
// and keep doing so. Keys are hashes in random order, and a B+tree filled in random
// order keeps its pages about two thirds full: the records are small, so
// that costs them little, while the values, under numbers that only grow,
// fill their pages at the end of the tree (new files use 16 KiB pages,
// which hold several 1 KiB values each; see Options.PageSize). A key
// written again keeps its number and its value is replaced in place. Get
// filters expired records, so nothing needs to run in the background;
// call Sweep to reclaim their space: it walks the record headers in
// chunks.
//
// A size bound (Options.MaxBytes) keeps more: "age" maps sequence numbers
// to keys (oldest first), "expiry" maps expiry+sequence to keys (soonest
// first), and "meta" the byte count; a key written again then gets a new
// number, its new age. They cost two more inserts per write, so they are
// kept only while a bound is set; opening a file with a bound after it
// was used without one rebuilds them in one pass over the records.
//
// The file never shrinks: pages freed by deletes and rewrites are reused
// by later writes, not given back, and the key index, filled in random
// order, keeps its pages about two thirds full. Compact (offline: no other
// handle may have the file open) copies it in key order into full pages
// of a new file, dropping expired entries, and renames that over it.
//
// Files of format version 1 (values inside the records, and an expiry
// index always) are converted to format 2 when Open finds one. A file of
// a later format than this package knows is refused (ErrCorrupt).
//
// Writes. A write transaction commits with two fsyncs. Concurrent Set and
// Delete calls share one transaction (group commit: whoever finds no commit
// running commits everything queued, up to 16 MiB of values, so a lone
// writer never waits for a timer), and a value is visible to Get as soon
// as Set returns. Options.NoSync skips the fsyncs: much faster, but a
// machine crash (not a process crash) can corrupt the file.
//
// Only one Backend (in any process) can have a file open: Open waits
// Options.Timeout for the file lock and then fails with an error matching
// ErrLocked.
//
// The DSN form is bbolt:///absolute/path/cache.db (or bbolt:relative/path)
// with the parameters timeout (a Go duration), max_bytes, nosync and
// page_size.
package bbolt
