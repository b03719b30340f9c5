package bbolt

import (
	"context"
	"fmt"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/internal/expiry"
)

// live returns the header and value of the record stored under the bbolt
// key k, unless it is absent, expired or unreadable (which count as
// absent: the write that follows replaces them). The value aliases the
// memory map and is valid only inside tx.
func live(tx *bolt.Tx, k []byte, now int64) (header, []byte, bool) {
	h, v, err := lookup(tx, k)
	if err != nil || h.expired(now) {
		return header{}, nil, false
	}
	return h, v, true
}

// Add stores value under key unless a live value is there. The check and
// the write run in one write transaction, and bbolt admits one writer at a
// time (and one process per file), so Add is atomic: it implements
// backends.Adder.
func (b *Backend) Add(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	if err := b.state.Check(ctx); err != nil {
		return false, fmt.Errorf("bbolt add %q: %w", key, err)
	}
	k, err := b.validate(key, value)
	if err != nil {
		return false, err
	}
	var added bool
	err = b.commits.do(ctx, len(value), func(tx *bolt.Tx) error {
		// This function may run twice (see committer.do): it sets added
		// from scratch each time.
		added = false
		if _, _, ok := live(tx, k, time.Now().UnixNano()); ok {
			return nil
		}
		added = true
		return b.put(tx, k, value, expiry.UnixNano(time.Now(), ttl))
	})
	if err != nil {
		return false, fmt.Errorf("bbolt add %q: %w", key, wrapErr(err))
	}
	return added, nil
}

// Incr adds delta to the decimal integer stored under key, reading and
// writing it in one write transaction: it implements backends.Incrementer.
func (b *Backend) Incr(ctx context.Context, key string, delta int64, ttl time.Duration) (int64, error) {
	if err := b.state.Check(ctx); err != nil {
		return 0, fmt.Errorf("bbolt incr %q: %w", key, err)
	}
	// The longest decimal int64 is 20 bytes.
	k, err := b.validate(key, make([]byte, 20))
	if err != nil {
		return 0, err
	}
	var (
		n      int64
		notInt error // the stored value is not a counter: nothing is written
	)
	err = b.commits.do(ctx, 20, func(tx *bolt.Tx) error {
		n, notInt = delta, nil
		expires := expiry.UnixNano(time.Now(), ttl)
		if h, v, ok := live(tx, k, time.Now().UnixNano()); ok {
			// A failure here must not fail the transaction: it is shared
			// with other writers (group commit).
			if n, notInt = backends.Increment(v, delta); notInt != nil {
				return nil
			}
			expires = h.expires
		}
		return b.put(tx, k, strconv.AppendInt(nil, n, 10), expires)
	})
	if err != nil {
		return 0, fmt.Errorf("bbolt incr %q: %w", key, wrapErr(err))
	}
	if notInt != nil {
		return 0, fmt.Errorf("bbolt incr %q: %w", key, notInt)
	}
	return n, nil
}
