package bbolt

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/internal/expiry"
	"github.com/cachedhttp/cachedhttp/backends/internal/lifecycle"
)

// DefaultTimeout is how long Open waits for the file lock when
// Options.Timeout is zero.
const DefaultTimeout = time.Second

// formatVersion is the layout version written to the meta bucket.
const formatVersion = 1

var (
	bucketEntries = []byte("entries")
	bucketAge     = []byte("age")
	bucketExpiry  = []byte("expiry")
	bucketMeta    = []byte("meta")
	metaVersion   = []byte("version")
	metaBytes     = []byte("bytes")
	metaBounded   = []byte("bounded") // "1" while the age index and byte count are current
)

// Options configure Open. A nil *Options means the zero value: wait one
// second for the lock, no size bound, fsync every commit.
type Options struct {
	// Timeout is how long Open waits for another handle to release the
	// file lock before failing with ErrLocked. Zero means DefaultTimeout;
	// less than zero means do not wait.
	Timeout time.Duration `dsn:"timeout"`
	// MaxBytes bounds the sum of len(key)+len(value) over stored values.
	// A Set that exceeds it first deletes expired values, then the oldest
	// written (not least recently read: reads never write) until the bound
	// holds. A single value larger than MaxBytes is refused with
	// backends.ErrTooLarge. The file itself is larger (page and B+tree
	// overhead) and never shrinks: bbolt reuses freed pages instead. Zero
	// or less means no bound.
	MaxBytes int64 `dsn:"max_bytes"`
	// NoSync skips fsync on commit. Writes become several times faster, and
	// a process crash loses nothing, but an operating system crash or power
	// loss can corrupt the file (delete it then: it is a cache).
	NoSync bool `dsn:"nosync"`
}

// Backend is a cache stored in one bbolt file. It is safe for concurrent
// use.
type Backend struct {
	db       *bolt.DB
	path     string
	maxBytes int64
	commits  committer
	state    lifecycle.State
}

// Open opens the cache file at path, creating it (mode 0600) and its parent
// directories (mode 0700) when missing.
func Open(path string, opts *Options) (*Backend, error) {
	if opts == nil {
		opts = &Options{}
	}
	timeout := opts.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("bbolt open %q: %w", path, err)
		}
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout: timeout,
		// The freelist is rebuilt at open instead of written at every
		// commit, which makes commits cheaper (as etcd does).
		NoFreelistSync: true,
		FreelistType:   bolt.FreelistMapType,
		NoSync:         opts.NoSync,
	})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("bbolt open %q: waited %v: %w (%w)", path, timeout, ErrLocked, err)
	}
	if err != nil {
		return nil, fmt.Errorf("bbolt open %q: %w", path, err)
	}
	b := &Backend{db: db, path: path, maxBytes: max(opts.MaxBytes, 0)}
	b.commits.db = db
	if err := db.Update(b.initialize); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("bbolt open %q: %w", path, err)
	}
	return b, nil
}

// initialize creates the buckets, checks the format version, and brings
// the size bound's bookkeeping (the age index and byte count, kept only
// while a bound is set) up to date.
func (b *Backend) initialize(tx *bolt.Tx) error {
	for _, name := range [][]byte{bucketEntries, bucketAge, bucketExpiry, bucketMeta} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return err
		}
	}
	meta := tx.Bucket(bucketMeta)
	switch v := meta.Get(metaVersion); {
	case v == nil:
		if err := meta.Put(metaVersion, binary.BigEndian.AppendUint64(nil, formatVersion)); err != nil {
			return err
		}
	case len(v) != 8 || binary.BigEndian.Uint64(v) != formatVersion:
		return fmt.Errorf("format version %x, this version reads %d: %w", v, formatVersion, ErrCorrupt)
	}
	current := string(meta.Get(metaBounded)) == "1"
	switch {
	case b.maxBytes <= 0 && current:
		// Writes from now on leave the bookkeeping behind.
		return meta.Put(metaBounded, []byte("0"))
	case b.maxBytes > 0 && !current:
		return rebuildBookkeeping(tx)
	}
	return nil
}

// rebuildBookkeeping recomputes the age index and the byte count from the
// records, one pass over the file.
func rebuildBookkeeping(tx *bolt.Tx) error {
	if err := tx.DeleteBucket(bucketAge); err != nil {
		return err
	}
	age, err := tx.CreateBucket(bucketAge)
	if err != nil {
		return err
	}
	var total int64
	c := tx.Bucket(bucketEntries).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		h, val, err := parseRecord(v)
		if err != nil {
			continue // Get reports it; a Set over it repairs it
		}
		if err := age.Put(ageKey(h), append([]byte(nil), k...)); err != nil {
			return err
		}
		total += int64(len(k) - 1 + len(val))
	}
	meta := tx.Bucket(bucketMeta)
	if err := meta.Put(metaBytes, binary.BigEndian.AppendUint64(nil, uint64(total))); err != nil {
		return err
	}
	return meta.Put(metaBounded, []byte("1"))
}

// Path returns the path of the cache file.
func (b *Backend) Path() string { return b.path }

// wrapErr maps bbolt's closed-database error to backends.ErrClosed.
func wrapErr(err error) error {
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return fmt.Errorf("%w (%w)", backends.ErrClosed, err)
	}
	return err
}

// Get returns a copy of the value stored under key, unless it expired. A
// record it cannot parse is deleted, and Get returns an error matching
// ErrCorrupt, backends.ErrCorrupt and backends.ErrNotFound: a miss.
func (b *Backend) Get(ctx context.Context, key string) ([]byte, error) {
	if err := b.state.Check(ctx); err != nil {
		return nil, fmt.Errorf("bbolt get %q: %w", key, err)
	}
	var value []byte
	now := time.Now().UnixNano()
	err := b.db.View(func(tx *bolt.Tx) error {
		rec := tx.Bucket(bucketEntries).Get(dbKey(key))
		if rec == nil {
			return backends.ErrNotFound
		}
		h, v, err := parseRecord(rec)
		if err != nil {
			return err
		}
		if h.expired(now) {
			return backends.ErrNotFound
		}
		// The one copy: rec lives in the memory map, valid only inside
		// this transaction.
		value = make([]byte, len(v))
		copy(value, v)
		return nil
	})
	if errors.Is(err, ErrCorrupt) {
		return nil, b.dropCorrupt(key, err)
	}
	if err != nil {
		return nil, fmt.Errorf("bbolt get %q: %w", key, wrapErr(err))
	}
	return value, nil
}

// dropCorrupt deletes the record of key, which did not parse (cause), if it
// still does not, and returns Get's error for it.
func (b *Backend) dropCorrupt(key string, cause error) error {
	k := dbKey(key)
	err := b.db.Update(func(tx *bolt.Tx) error {
		rec := tx.Bucket(bucketEntries).Get(k)
		if rec == nil {
			return nil
		}
		if _, _, err := parseRecord(rec); err == nil {
			return nil // replaced by a good record meanwhile
		}
		return b.remove(tx, k)
	})
	if err != nil {
		return fmt.Errorf("bbolt get %q: %w: %w (deleting it failed: %w)", key, backends.ErrCorrupt, cause, wrapErr(err))
	}
	return fmt.Errorf("bbolt get %q: %w: %w (deleted: %w)", key, backends.ErrCorrupt, cause, backends.ErrNotFound)
}

// Set stores value under key. It returns once the value is committed (and,
// unless Options.NoSync, synced to disk).
func (b *Backend) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := b.state.Check(ctx); err != nil {
		return fmt.Errorf("bbolt set %q: %w", key, err)
	}
	k, err := b.validate(key, value)
	if err != nil {
		return err
	}
	expires := expiry.UnixNano(time.Now(), ttl)
	err = b.commits.do(ctx, func(tx *bolt.Tx) error { return b.put(tx, k, value, expires) })
	if err != nil {
		return fmt.Errorf("bbolt set %q: %w", key, wrapErr(err))
	}
	return nil
}

// SetMany stores several values in one transaction (one fsync), for
// callers that write behind in batches; it implements backends.Batcher.
// Either every value is stored or none is.
func (b *Backend) SetMany(ctx context.Context, items []backends.Item) error {
	if err := b.state.Check(ctx); err != nil {
		return fmt.Errorf("bbolt set many: %w", err)
	}
	ks := make([][]byte, len(items))
	for i, it := range items {
		k, err := b.validate(it.Key, it.Value)
		if err != nil {
			return err
		}
		ks[i] = k
	}
	err := b.commits.do(ctx, func(tx *bolt.Tx) error {
		for i, it := range items {
			if err := b.put(tx, ks[i], it.Value, expiry.UnixNano(time.Now(), it.TTL)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("bbolt set many (%d values): %w", len(items), wrapErr(err))
	}
	return nil
}

// validate checks that key and value fit the store and returns the key as
// bbolt stores it.
func (b *Backend) validate(key string, value []byte) ([]byte, error) {
	size := int64(len(key) + len(value))
	if b.maxBytes > 0 && size > b.maxBytes {
		return nil, fmt.Errorf("bbolt set %q: %d bytes with the key, bound is %d: %w", key, size, b.maxBytes, backends.ErrTooLarge)
	}
	if len(value)+headerSize > bolt.MaxValueSize {
		return nil, fmt.Errorf("bbolt set %q: %d bytes, bbolt holds at most %d: %w", key, len(value), bolt.MaxValueSize-headerSize, backends.ErrTooLarge)
	}
	k := dbKey(key)
	if len(k) > bolt.MaxKeySize {
		return nil, fmt.Errorf("bbolt set %q: key of %d bytes, bbolt holds at most %d: %w", key, len(key), bolt.MaxKeySize-1, backends.ErrTooLarge)
	}
	return k, nil
}

// put writes one value inside a write transaction.
func (b *Backend) put(tx *bolt.Tx, k, value []byte, expires int64) error {
	entries := tx.Bucket(bucketEntries)
	seq, err := entries.NextSequence()
	if err != nil {
		return err
	}
	if err := b.remove(tx, k); err != nil {
		return err
	}
	h := header{expires: expires, seq: seq}
	rec := appendRecord(make([]byte, 0, headerSize+len(value)), h, value)
	if err := entries.Put(k, rec); err != nil {
		return err
	}
	if expires != 0 {
		if err := tx.Bucket(bucketExpiry).Put(expiryKey(h), k); err != nil {
			return err
		}
	}
	if b.maxBytes <= 0 {
		return nil
	}
	if err := tx.Bucket(bucketAge).Put(ageKey(h), k); err != nil {
		return err
	}
	total, err := addBytes(tx, int64(len(k)-1+len(value)))
	if err != nil {
		return err
	}
	if total > b.maxBytes {
		return b.evict(tx, k)
	}
	return nil
}

// Delete removes the given keys; missing keys are not an error.
func (b *Backend) Delete(ctx context.Context, keys ...string) error {
	if err := b.state.Check(ctx); err != nil {
		return fmt.Errorf("bbolt delete %q: %w", keys, err)
	}
	if len(keys) == 0 {
		return nil
	}
	err := b.commits.do(ctx, func(tx *bolt.Tx) error {
		for _, key := range keys {
			if err := b.remove(tx, dbKey(key)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("bbolt delete %q: %w", keys, wrapErr(err))
	}
	return nil
}

// scanChunk is how many entries Scan reads per read transaction.
const scanChunk = 512

// Scan yields every entry, expired ones included with their past Expires,
// in key order. It reads only record headers, in read transactions of a
// few hundred entries that it closes before yielding, so the loop body may
// call any method of b (a long-lived read transaction would also stop
// bbolt from reusing pages freed meanwhile). A record that does not parse
// is yielded with its key, Size -1 and an error matching
// backends.ErrCorrupt and ErrCorrupt, and the scan goes on.
func (b *Backend) Scan(ctx context.Context) iter.Seq2[backends.Entry, error] {
	type found struct {
		e   backends.Entry
		err error // a record that does not parse
	}
	return func(yield func(backends.Entry, error) bool) {
		var after []byte // the last key yielded
		buf := make([]found, 0, scanChunk)
		for {
			if err := b.state.Check(ctx); err != nil {
				yield(backends.Entry{}, fmt.Errorf("bbolt scan: %w", err))
				return
			}
			buf = buf[:0]
			err := b.db.View(func(tx *bolt.Tx) error {
				c := tx.Bucket(bucketEntries).Cursor()
				var k, v []byte
				if after == nil {
					k, v = c.First()
				} else if k, v = c.Seek(after); k != nil && string(k) == string(after) {
					k, v = c.Next()
				}
				for ; k != nil && len(buf) < scanChunk; k, v = c.Next() {
					after = append(after[:0], k...)
					key, err := cacheKey(k)
					if err != nil {
						buf = append(buf, found{backends.Entry{Size: -1}, fmt.Errorf("bbolt scan: %w: %w", backends.ErrCorrupt, err)})
						continue
					}
					h, val, err := parseRecord(v)
					if err != nil {
						buf = append(buf, found{backends.Entry{Key: key, Size: -1}, fmt.Errorf("bbolt scan: key %q: %w: %w", key, backends.ErrCorrupt, err)})
						continue
					}
					e := backends.Entry{Key: key, Size: int64(len(val))}
					if h.expires != 0 {
						e.Expires = time.Unix(0, h.expires)
					}
					buf = append(buf, found{e, nil})
				}
				return nil
			})
			if err != nil {
				yield(backends.Entry{}, fmt.Errorf("bbolt scan: %w", wrapErr(err)))
				return
			}
			for _, f := range buf {
				if !yield(f.e, f.err) {
					return
				}
			}
			if len(buf) < scanChunk {
				return
			}
		}
	}
}

// sweepChunk is how many expired entries Sweep deletes per transaction.
const sweepChunk = 1000

// Sweep deletes every expired entry and returns how many it deleted. It
// works in transactions of a thousand deletions, so readers and writers
// interleave with a long sweep.
func (b *Backend) Sweep(ctx context.Context) (int, error) {
	total := 0
	for {
		if err := b.state.Check(ctx); err != nil {
			return total, fmt.Errorf("bbolt sweep: %w", err)
		}
		n := 0
		now := time.Now().UnixNano()
		err := b.commits.do(ctx, func(tx *bolt.Tx) error {
			var err error
			n, err = b.removeExpired(tx, now, sweepChunk)
			return err
		})
		if err != nil {
			return total, fmt.Errorf("bbolt sweep: %w", wrapErr(err))
		}
		total += n
		if n < sweepChunk {
			return total, nil
		}
	}
}

// Clear deletes every entry.
func (b *Backend) Clear(ctx context.Context) error {
	if err := b.state.Check(ctx); err != nil {
		return fmt.Errorf("bbolt clear: %w", err)
	}
	err := b.commits.do(ctx, func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketEntries, bucketAge, bucketExpiry} {
			if err := tx.DeleteBucket(name); err != nil {
				return err
			}
			if _, err := tx.CreateBucket(name); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketMeta).Put(metaBytes, make([]byte, 8))
	})
	if err != nil {
		return fmt.Errorf("bbolt clear: %w", wrapErr(err))
	}
	return nil
}

// Close closes the file, waiting for running transactions. Later calls
// return backends.ErrClosed.
func (b *Backend) Close() error {
	if !b.state.Close() {
		return fmt.Errorf("bbolt close %q: %w", b.path, backends.ErrClosed)
	}
	if err := b.db.Close(); err != nil {
		return fmt.Errorf("bbolt close %q: %w", b.path, err)
	}
	return nil
}

// remove deletes the entry stored under the bbolt key k, with its index
// entries and its share of the byte count. A missing entry is not an error.
func (b *Backend) remove(tx *bolt.Tx, k []byte) error {
	entries := tx.Bucket(bucketEntries)
	rec := entries.Get(k)
	if rec == nil {
		return nil
	}
	h, v, err := parseRecord(rec)
	if err != nil {
		// A corrupt record cannot say which index entries are its own;
		// those are left for Sweep and eviction, which skip dangling
		// index entries.
		return entries.Delete(k)
	}
	size := int64(len(k) - 1 + len(v))
	if h.expires != 0 {
		if err := tx.Bucket(bucketExpiry).Delete(expiryKey(h)); err != nil {
			return err
		}
	}
	if err := entries.Delete(k); err != nil {
		return err
	}
	if b.maxBytes <= 0 {
		return nil
	}
	if err := tx.Bucket(bucketAge).Delete(ageKey(h)); err != nil {
		return err
	}
	_, err = addBytes(tx, -size)
	return err
}

// addBytes adds delta to the stored byte count and returns the new count.
func addBytes(tx *bolt.Tx, delta int64) (int64, error) {
	meta := tx.Bucket(bucketMeta)
	var n int64
	if v := meta.Get(metaBytes); len(v) == 8 {
		n = int64(binary.BigEndian.Uint64(v))
	}
	n = max(n+delta, 0)
	return n, meta.Put(metaBytes, binary.BigEndian.AppendUint64(nil, uint64(n)))
}

// removeExpired deletes up to limit entries that expired at now, soonest
// expiry first, and returns how many it deleted.
func (b *Backend) removeExpired(tx *bolt.Tx, now int64, limit int) (int, error) {
	var victims, stale [][]byte
	c := tx.Bucket(bucketExpiry).Cursor()
	for k, v := c.First(); k != nil && len(victims) < limit; k, v = c.Next() {
		exp, err := parseExpiryKey(k)
		if err != nil || exp > now {
			break
		}
		victims = append(victims, append([]byte(nil), v...))
		stale = append(stale, append([]byte(nil), k...))
	}
	n := 0
	for i, k := range victims {
		if err := b.removeIfIndexed(tx, k, bucketExpiry, stale[i]); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// removeIfIndexed removes the entry k unless its current record no longer
// matches the index entry idx in bucket (the key was overwritten since);
// the index entry is deleted either way.
func (b *Backend) removeIfIndexed(tx *bolt.Tx, k, bucket, idx []byte) error {
	if rec := tx.Bucket(bucketEntries).Get(k); rec != nil {
		if h, _, err := parseRecord(rec); err == nil {
			cur := ageKey(h)
			if string(bucket) == string(bucketExpiry) {
				cur = expiryKey(h)
			}
			if string(cur) == string(idx) {
				return b.remove(tx, k)
			}
		}
	}
	return tx.Bucket(bucket).Delete(idx)
}

// evict deletes expired entries, then the oldest written, until the byte
// count is at most maxBytes. It never deletes keep, the entry just written.
func (b *Backend) evict(tx *bolt.Tx, keep []byte) error {
	if _, err := b.removeExpired(tx, time.Now().UnixNano(), int(^uint(0)>>1)); err != nil {
		return err
	}
	for {
		total, err := addBytes(tx, 0)
		if err != nil || total <= b.maxBytes {
			return err
		}
		c := tx.Bucket(bucketAge).Cursor()
		idx, k := c.First()
		if idx != nil && string(k) == string(keep) {
			idx, k = c.Next()
		}
		if idx == nil {
			return nil // only keep is left; it fits, as Set checked
		}
		idx, k = append([]byte(nil), idx...), append([]byte(nil), k...)
		if err := b.removeIfIndexed(tx, k, bucketAge, idx); err != nil {
			return err
		}
	}
}
