package bbolt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/internal/expiry"
)

// lookup returns the header and value of the entry stored under the bbolt
// key k. The value aliases the memory map and is valid only inside tx. A
// missing entry is backends.ErrNotFound; a record that does not parse, or
// whose value is missing, matches ErrCorrupt.
func lookup(tx *bolt.Tx, k []byte) (header, []byte, error) {
	rec := tx.Bucket(bucketEntries).Get(k)
	if rec == nil {
		return header{}, nil, backends.ErrNotFound
	}
	h, err := parseHeader(rec)
	if err != nil {
		return header{}, nil, err
	}
	v := tx.Bucket(bucketValues).Get(seqKey(h.seq))
	if v == nil {
		return header{}, nil, fmt.Errorf("record names value %d, which is missing: %w", h.seq, ErrCorrupt)
	}
	return h, v, nil
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
		h, v, err := lookup(tx, b.dbKey(key))
		if err != nil {
			return err
		}
		if h.expired(now) {
			return backends.ErrNotFound
		}
		// The one copy: v lives in the memory map, valid only inside
		// this transaction.
		value = make([]byte, len(v))
		copy(value, v)
		return nil
	})
	if errors.Is(err, ErrCorrupt) {
		return nil, b.dropCorrupt(key, err)
	}
	if err == backends.ErrNotFound {
		return nil, backends.NotFound("bbolt get", key)
	}
	if err != nil {
		return nil, fmt.Errorf("bbolt get %q: %w", key, wrapErr(err))
	}
	return value, nil
}

// dropCorrupt deletes the entry of key, which did not parse (cause), if it
// still does not, and returns Get's error for it.
func (b *Backend) dropCorrupt(key string, cause error) error {
	k := b.dbKey(key)
	err := b.commits.update(func(tx *bolt.Tx) error {
		if _, _, err := lookup(tx, k); !errors.Is(err, ErrCorrupt) {
			return nil // gone, or replaced by a good record meanwhile
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
	err = b.commits.do(ctx, len(value), func(tx *bolt.Tx) error { return b.put(tx, k, value, expires) })
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
	size := 0
	for i, it := range items {
		k, err := b.validate(it.Key, it.Value)
		if err != nil {
			return err
		}
		ks[i] = k
		size += len(it.Value)
	}
	// Keys are put in order (a stable sort: of one key given twice, the
	// last still wins), so that the key index's leaves are visited once
	// each, in order, instead of at random.
	order := make([]int, len(items))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(i, j int) int { return bytes.Compare(ks[i], ks[j]) })
	err := b.commits.do(ctx, size, func(tx *bolt.Tx) error {
		now := time.Now()
		for _, i := range order {
			if err := b.put(tx, ks[i], items[i].Value, expiry.UnixNano(now, items[i].TTL)); err != nil {
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
	if len(value) > bolt.MaxValueSize {
		return nil, fmt.Errorf("bbolt set %q: %d bytes, bbolt holds at most %d: %w", key, len(value), bolt.MaxValueSize, backends.ErrTooLarge)
	}
	k := b.dbKey(key)
	if len(k) > bolt.MaxKeySize {
		return nil, fmt.Errorf("bbolt set %q: key of %d bytes, bbolt holds at most %d: %w", key, len(key), bolt.MaxKeySize-1, backends.ErrTooLarge)
	}
	return k, nil
}

// put writes one value inside a write transaction. bbolt keeps value
// itself, not a copy, until the transaction commits: every caller waits
// for the commit, so the slice stays theirs and unchanged until then.
//
// Without a size bound, a key written again keeps its sequence number: the
// new value replaces the old one in place in "values", where a new number
// would leave a hole in a page that random overwrites never fill again.
// With a bound, the number is the age the bound evicts by, so it is
// renewed.
func (b *Backend) put(tx *bolt.Tx, k, value []byte, expires int64) error {
	entries, values := tx.Bucket(bucketEntries), tx.Bucket(bucketValues)
	// Sequence numbers only grow: "values" is filled at its end, where
	// full pages lose nothing (the default, half full, suits random keys).
	values.FillPercent = 1
	h := header{expires: expires}
	rec := entries.Get(k)
	if old, err := parseHeader(rec); rec != nil && err == nil && b.maxBytes <= 0 {
		h.seq = old.seq
	} else {
		if rec != nil { // a new key has nothing to remove: no second lookup
			if err := b.remove(tx, k); err != nil {
				return err
			}
		}
		if h.seq, err = entries.NextSequence(); err != nil {
			return err
		}
	}
	if value == nil {
		value = []byte{} // a nil value reads back as a missing one until commit
	}
	if err := values.Put(seqKey(h.seq), value); err != nil {
		return err
	}
	if err := entries.Put(k, appendHeader(make([]byte, 0, headerSize), h)); err != nil {
		return err
	}
	if b.maxBytes <= 0 {
		return nil
	}
	return b.account(tx, k, h, len(value))
}

// Delete removes the given keys; missing keys are not an error.
func (b *Backend) Delete(ctx context.Context, keys ...string) error {
	if err := b.state.Check(ctx); err != nil {
		return fmt.Errorf("bbolt delete %q: %w", keys, err)
	}
	if len(keys) == 0 {
		return nil
	}
	err := b.commits.do(ctx, 0, func(tx *bolt.Tx) error {
		for _, key := range keys {
			if err := b.remove(tx, b.dbKey(key)); err != nil {
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

// remove deletes the entry stored under the bbolt key k, with its value,
// its index entries and its share of the byte count. A missing entry is
// not an error.
func (b *Backend) remove(tx *bolt.Tx, k []byte) error {
	entries := tx.Bucket(bucketEntries)
	rec := entries.Get(k)
	if rec == nil {
		return nil
	}
	h, err := parseHeader(rec)
	if err != nil {
		// A corrupt record cannot say which value and index entries are
		// its own: the value stays in "values" (until Clear), and Sweep
		// and eviction skip the index entries.
		return entries.Delete(k)
	}
	values := tx.Bucket(bucketValues)
	vk := seqKey(h.seq)
	size := int64(keyLen(k) + len(values.Get(vk)))
	if err := values.Delete(vk); err != nil {
		return err
	}
	if err := entries.Delete(k); err != nil {
		return err
	}
	if b.maxBytes <= 0 {
		return nil
	}
	return unaccount(tx, h, size)
}

// Clear deletes every entry.
func (b *Backend) Clear(ctx context.Context) error {
	if err := b.state.Check(ctx); err != nil {
		return fmt.Errorf("bbolt clear: %w", err)
	}
	err := b.commits.do(ctx, 0, func(tx *bolt.Tx) error {
		names := [][]byte{bucketEntries, bucketValues}
		if b.maxBytes > 0 {
			names = append(names, bucketAge, bucketExpiry)
		}
		for _, name := range names {
			if err := tx.DeleteBucket(name); err != nil && !errors.Is(err, berrors.ErrBucketNotFound) {
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
