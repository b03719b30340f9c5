package bbolt

import (
	"context"
	"fmt"
	"iter"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/cachedhttp/cachedhttp/backends"
)

// scanChunk is how many entries Scan reads per read transaction.
const scanChunk = 512

// seekAfter positions c on the first key after after (the first key when
// after is nil), which may have been deleted since.
func seekAfter(c *bolt.Cursor, after []byte) (k, v []byte) {
	if after == nil {
		return c.First()
	}
	if k, v = c.Seek(after); k != nil && string(k) == string(after) {
		k, v = c.Next()
	}
	return k, v
}

// Scan yields every entry, expired ones included with their past Expires,
// in key order. It reads only record headers and value lengths, in read
// transactions of a few hundred entries that it closes before yielding,
// so the loop body may call any method of b (a long-lived read transaction
// would also stop bbolt from reusing pages freed meanwhile). A record that
// does not parse is yielded with its key, Size -1 and an error matching
// backends.ErrCorrupt and ErrCorrupt, and the scan goes on.
func (b *Backend) Scan(ctx context.Context) iter.Seq2[backends.Entry, error] {
	type found struct {
		e   backends.Entry
		err error // a record that does not parse
	}
	return func(yield func(backends.Entry, error) bool) {
		var after []byte // the last key read
		buf := make([]found, 0, scanChunk)
		for {
			if err := b.state.Check(ctx); err != nil {
				yield(backends.Entry{}, fmt.Errorf("bbolt scan: %w", err))
				return
			}
			buf = buf[:0]
			err := b.db.View(func(tx *bolt.Tx) error {
				values := tx.Bucket(bucketValues)
				c := tx.Bucket(bucketEntries).Cursor()
				for k, rec := seekAfter(c, after); k != nil && len(buf) < scanChunk; k, rec = c.Next() {
					after = append(after[:0], k...)
					key, err := cacheKey(k)
					if err != nil {
						buf = append(buf, found{backends.Entry{Size: -1}, fmt.Errorf("bbolt scan: %w: %w", backends.ErrCorrupt, err)})
						continue
					}
					h, err := parseHeader(rec)
					var v []byte
					if err == nil {
						if v = values.Get(seqKey(h.seq)); v == nil {
							err = fmt.Errorf("record names value %d, which is missing: %w", h.seq, ErrCorrupt)
						}
					}
					if err != nil {
						buf = append(buf, found{backends.Entry{Key: key, Size: -1}, fmt.Errorf("bbolt scan: key %q: %w: %w", key, backends.ErrCorrupt, err)})
						continue
					}
					e := backends.Entry{Key: key, Size: int64(len(v))}
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

// sweepRead is how many record headers Sweep reads per read transaction,
// and sweepChunk how many expired entries it deletes per write
// transaction: a few milliseconds each, so readers and writers interleave
// with a long sweep.
const (
	sweepRead  = 8192
	sweepChunk = 1000
)

// Sweep deletes every expired entry and returns how many it deleted. It
// walks the records in key order, reading their headers in one read
// transaction per chunk and deleting the expired ones it found in one
// write transaction, so it never holds the write lock for the whole walk.
func (b *Backend) Sweep(ctx context.Context) (int, error) {
	total := 0
	var after []byte // the last key read
	for {
		if err := b.state.Check(ctx); err != nil {
			return total, fmt.Errorf("bbolt sweep: %w", err)
		}
		now := time.Now().UnixNano()
		var victims [][]byte
		end := false
		err := b.db.View(func(tx *bolt.Tx) error {
			c := tx.Bucket(bucketEntries).Cursor()
			k, rec := seekAfter(c, after)
			for n := 0; k != nil && n < sweepRead && len(victims) < sweepChunk; k, rec = c.Next() {
				n++
				after = append(after[:0], k...)
				if h, err := parseHeader(rec); err == nil && h.expired(now) {
					victims = append(victims, append([]byte(nil), k...))
				}
			}
			end = k == nil
			return nil
		})
		if err != nil {
			return total, fmt.Errorf("bbolt sweep: %w", wrapErr(err))
		}
		if len(victims) > 0 {
			n := 0
			err := b.commits.do(ctx, 0, func(tx *bolt.Tx) error {
				n = 0
				entries := tx.Bucket(bucketEntries)
				for _, k := range victims {
					// Written again since the read, it may live now.
					if h, err := parseHeader(entries.Get(k)); err != nil || !h.expired(now) {
						continue
					}
					if err := b.remove(tx, k); err != nil {
						return err
					}
					n++
				}
				return nil
			})
			if err != nil {
				return total, fmt.Errorf("bbolt sweep: %w", wrapErr(err))
			}
			total += n
		}
		if end {
			return total, nil
		}
	}
}
