package bbolt

import (
	"encoding/binary"
	"errors"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// The size bound (Options.MaxBytes) keeps bookkeeping that an unbounded
// cache does without: "age" maps sequence numbers to keys (oldest written
// first), "expiry" maps expiry+sequence to keys (soonest first, so
// eviction finds expired entries without reading every record), and the
// meta bucket holds the byte count.

// account records, for the size bound, the entry just written under k
// with header h and a value of size bytes, then evicts until the bound
// holds.
func (b *Backend) account(tx *bolt.Tx, k []byte, h header, size int) error {
	age := tx.Bucket(bucketAge)
	age.FillPercent = 1 // sequence numbers only grow
	if err := age.Put(seqKey(h.seq), k); err != nil {
		return err
	}
	if h.expires != 0 {
		if err := tx.Bucket(bucketExpiry).Put(expiryKey(h), k); err != nil {
			return err
		}
	}
	total, err := addBytes(tx, int64(keyLen(k)+size))
	if err != nil {
		return err
	}
	if total > b.maxBytes {
		return b.evict(tx, k)
	}
	return nil
}

// unaccount removes, for the size bound, the entry with header h, whose
// key and value took size bytes.
func unaccount(tx *bolt.Tx, h header, size int64) error {
	if err := tx.Bucket(bucketAge).Delete(seqKey(h.seq)); err != nil {
		return err
	}
	if h.expires != 0 {
		if err := tx.Bucket(bucketExpiry).Delete(expiryKey(h)); err != nil {
			return err
		}
	}
	_, err := addBytes(tx, -size)
	return err
}

// rebuildBookkeeping recomputes the age and expiry indexes and the byte
// count from the records, one pass over the file.
func rebuildBookkeeping(tx *bolt.Tx) error {
	var idx [2]*bolt.Bucket
	for i, name := range [][]byte{bucketAge, bucketExpiry} {
		if err := tx.DeleteBucket(name); err != nil && !errors.Is(err, berrors.ErrBucketNotFound) {
			return err
		}
		var err error
		if idx[i], err = tx.CreateBucket(name); err != nil {
			return err
		}
	}
	age, exp := idx[0], idx[1]
	var total int64
	values := tx.Bucket(bucketValues)
	c := tx.Bucket(bucketEntries).Cursor()
	for k, rec := c.First(); k != nil; k, rec = c.Next() {
		h, err := parseHeader(rec)
		if err != nil {
			continue // Get reports it; a Set over it repairs it
		}
		v := values.Get(seqKey(h.seq))
		if v == nil {
			continue // likewise
		}
		key := append([]byte(nil), k...)
		if err := age.Put(seqKey(h.seq), key); err != nil {
			return err
		}
		if h.expires != 0 {
			if err := exp.Put(expiryKey(h), key); err != nil {
				return err
			}
		}
		total += int64(keyLen(k) + len(v))
	}
	meta := tx.Bucket(bucketMeta)
	if err := meta.Put(metaBytes, binary.BigEndian.AppendUint64(nil, uint64(total))); err != nil {
		return err
	}
	return meta.Put(metaBounded, []byte("1"))
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

// evict deletes expired entries, then the oldest written, until the byte
// count is at most maxBytes. It never deletes keep, the entry just written.
func (b *Backend) evict(tx *bolt.Tx, keep []byte) error {
	if err := b.removeExpired(tx, time.Now().UnixNano()); err != nil {
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

// removeExpired deletes every entry that expired at now, soonest expiry
// first, through the expiry index.
func (b *Backend) removeExpired(tx *bolt.Tx, now int64) error {
	var victims, stale [][]byte
	c := tx.Bucket(bucketExpiry).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		exp, err := parseExpiryKey(k)
		if err != nil || exp > now {
			break
		}
		victims = append(victims, append([]byte(nil), v...))
		stale = append(stale, append([]byte(nil), k...))
	}
	for i, k := range victims {
		if err := b.removeIfIndexed(tx, k, bucketExpiry, stale[i]); err != nil {
			return err
		}
	}
	return nil
}

// removeIfIndexed removes the entry k unless its current record no longer
// matches the index entry idx in bucket (the key was overwritten since);
// the index entry is deleted either way.
func (b *Backend) removeIfIndexed(tx *bolt.Tx, k, bucket, idx []byte) error {
	if h, err := parseHeader(tx.Bucket(bucketEntries).Get(k)); err == nil {
		cur := seqKey(h.seq)
		if string(bucket) == string(bucketExpiry) {
			cur = expiryKey(h)
		}
		if string(cur) == string(idx) {
			return b.remove(tx, k)
		}
	}
	return tx.Bucket(bucket).Delete(idx)
}
