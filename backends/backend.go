// Package backends defines the storage contract of cachedhttp: a Backend
// stores opaque byte values under string keys with a time to live. It also
// holds a registry so a backend can be opened from one string
// (backends.Open("redis://127.0.0.1:6379/0")); each backend package registers
// its schemes when it is imported, as database/sql drivers do.
//
// The nouns: a Backend stores values; an Entry describes one stored value
// without reading it (for maintenance); a Factory opens a Backend from a
// parsed DSN. Optional interfaces tell a caller what a store can do beyond
// the contract: Batcher (many values in one write), Retainer (keeps the
// slices it is given), Local (never waits on a network) and Versioned
// (counts its writes, so a value read before is known to be current).
package backends

import (
	"context"
	"errors"
	"iter"
	"time"
)

// Backend stores opaque values under string keys. Implementations are safe
// for concurrent use. Keys may be any string up to 4 KiB (including any byte
// value); a backend that cannot hold such a key natively hashes it.
type Backend interface {
	// Get returns the value stored under key. On a miss, or when the value
	// has expired, it returns an error matching ErrNotFound; when the value
	// is stored damaged, Get deletes it where the store allows and returns
	// an error matching both ErrNotFound and ErrCorrupt. The returned
	// slice must not be modified by the caller; backends that hand out
	// memory they own (memory) rely on that.
	Get(ctx context.Context, key string) ([]byte, error)
	// Set stores value under key, replacing any previous value. A ttl of
	// zero or less means the value does not expire. The backend may keep
	// value's backing array: callers must not modify it after Set.
	Set(ctx context.Context, key string, value []byte, ttl time.Duration) error
	// Delete removes the given keys. Missing keys are not an error.
	Delete(ctx context.Context, keys ...string) error
	// Scan yields every entry currently stored, without reading values
	// where the store allows it. Expired entries may or may not be yielded;
	// when the backend knows an entry's expiry it sets Entry.Expires so a
	// caller can filter or purge. An entry the store holds but cannot parse
	// (a damaged record) is yielded with its Key (empty when even that is
	// unreadable), Size -1 and an error matching ErrCorrupt, and iteration
	// goes on: one damaged record must not stop maintenance (a caller
	// deletes it by its Key). Any other error ends the iteration and is
	// yielded with a zero Entry.
	Scan(ctx context.Context) iter.Seq2[Entry, error]
	// Clear removes every entry this backend stores (only those under its
	// namespace or prefix, for shared stores).
	Clear(ctx context.Context) error
	// Close releases the backend's resources. Any call after Close returns
	// an error matching ErrClosed.
	Close() error
}

// Entry describes one stored value.
type Entry struct {
	// Key is the key the value was stored under.
	Key string
	// Expires is when the store will drop the value; zero means never or
	// unknown.
	Expires time.Time
	// Size is the stored size of the value in bytes, or -1 when unknown.
	Size int64
}

// Keys returns an iterator over the keys of b, a convenience over Scan. As
// with Scan, a damaged entry is yielded with an error matching ErrCorrupt
// and the iteration goes on; any other error ends it.
func Keys(ctx context.Context, b Backend) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		for e, err := range b.Scan(ctx) {
			if !yield(e.Key, err) || (err != nil && !errors.Is(err, ErrCorrupt)) {
				return
			}
		}
	}
}

// Sweeper is implemented by backends whose expired values stay in the store
// until something deletes them (bbolt, filesystem, memory). Sweep deletes
// every expired value and returns how many it deleted. Stores with native
// expiry (Redis, memcached, DynamoDB, MongoDB with a TTL index) need not
// implement it.
type Sweeper interface {
	Sweep(ctx context.Context) (int, error)
}

// Item is one value to store with Batcher.SetMany.
type Item struct {
	Key   string
	Value []byte
	TTL   time.Duration
}

// Batcher is implemented by backends that store several values in one
// operation (one transaction and one fsync for bbolt, one round trip for a
// server), which a writer behind the caller uses to keep up with many small
// responses. SetMany has Set's semantics for each item; when it fails,
// some items may not have been stored.
type Batcher interface {
	SetMany(ctx context.Context, items []Item) error
}

// Retainer is implemented by backends that keep the very slice given to Set
// and hand it back from Get (in-process stores such as memory), instead of
// copying it into storage. A caller that knows this trims the slices it
// stores to their length, since the store would keep any spare capacity
// too, and may skip compression, which would save only heap at a CPU cost
// on every write.
type Retainer interface {
	// RetainsValues reports whether the backend keeps the slices given
	// to Set.
	RetainsValues() bool
}

// Versioned is implemented by stores that no other process can write (bbolt
// holds an exclusive lock on its file; memory lives in the process) and
// that count their changes: a value read while Version returned v is still
// the stored value for as long as Version still returns v. A caller that
// keeps decoded values (the transport's decoded-record cache) may then skip
// reading them again. The count changes with every change of any value
// (Set, Delete, Clear, evictions, expiry sweeps, corrupt values dropped),
// ordered so that a caller that reads Version and then a value never pairs
// an older value with a newer count. Values past their TTL are not removed
// by time alone, so a caller must itself not use a value it knows to be
// expired.
type Versioned interface {
	// Version returns the current write count.
	Version() uint64
}

// Local is implemented by backends that never wait on a network: in-process
// stores (memory, null) and local files (bbolt, filesystem). A caller that
// bounds every backend call (the transport's budget and circuit breaker)
// calls these directly, without a timer or a goroutine on the hit path.
type Local interface {
	// IsLocal reports whether the backend never waits on a network.
	IsLocal() bool
}
