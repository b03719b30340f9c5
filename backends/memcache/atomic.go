package memcache

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	gomemcache "github.com/bradfitz/gomemcache/memcache"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/internal/chunk"
	"github.com/cachedhttp/cachedhttp/backends/internal/expiry"
)

// errLive is what an adding write's PutHead returns when the key holds a
// live value: chunk.Write then deletes the chunks it wrote.
var errLive = errors.New("the key holds a live value")

// Add stores value under key unless a live value is there: it implements
// backends.Adder. The value is written as Set writes it (chunk.Write: a
// large value's chunks first), but its head goes only where no head of the
// current generation is: an absent head is created with memcached's add,
// which fails when another writer created it first; a head left by an
// earlier generation (before a Clear) or a foreign item is replaced with a
// compare-and-swap, which fails when another writer replaced it first.
// Either failure makes Add look again. Expired items are gone from
// memcached, so they never block an Add.
func (b *Backend) Add(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	if err := b.state.Begin(ctx, "memcache add", key); err != nil {
		return false, err
	}
	if len(value) > b.maxValue {
		return false, fmt.Errorf("memcache add %q: %d bytes (MaxValue %d): %w", key, len(value), b.maxValue, backends.ErrTooLarge)
	}
	gen, err := b.generation(true)
	if err != nil {
		return false, fmt.Errorf("memcache add %q: %w", key, err)
	}
	added, err := b.add(ctx, gen, key, value, ttl)
	if err != nil {
		return added, fmt.Errorf("memcache add %q: %w", key, err)
	}
	return added, nil
}

// add records key in the index of generation gen and stores value under
// it unless a head of gen is there, and reports whether it did (true with
// an error: stored, but the chunks of the head it replaced may remain).
func (b *Backend) add(ctx context.Context, gen uint64, key string, value []byte, ttl time.Duration) (bool, error) {
	if err := b.record(gen, key); err != nil {
		return false, fmt.Errorf("index: %w", err)
	}
	w, ref, parts := b.newWrite(gen, key, value, time.Now(), ttl)
	a := &adding{write: w, gen: gen}
	err := chunk.Write(ctx, a, ref, parts)
	if errors.Is(err, errLive) {
		return false, nil
	}
	return a.added, err
}

// adding is a write whose head goes only where no head of its generation
// is.
type adding struct {
	*write
	gen   uint64
	added bool // the head was written
}

// PutHead stores the head unless a head of a.gen is there (then it fails
// with errLive), and returns the chunks of the head it replaced.
func (a *adding) PutHead(ctx context.Context, _ chunk.Ref) ([]chunk.Ref, error) {
	b := a.b
	for {
		if err := b.state.Check(ctx); err != nil {
			return nil, err
		}
		it, err := b.mc.Get(a.hk)
		if errors.Is(err, gomemcache.ErrCacheMiss) {
			err = b.mc.Add(&gomemcache.Item{Key: a.hk, Value: a.head, Expiration: a.exp})
			if errors.Is(err, gomemcache.ErrNotStored) {
				continue // another writer added it first
			}
			a.added = err == nil
			return nil, err
		}
		if err != nil {
			return nil, err
		}
		old, derr := decodeHead(it.Value)
		if derr == nil && old.gen == a.gen {
			return nil, errLive
		}
		it.Value, it.Expiration = a.head, a.exp
		err = b.mc.CompareAndSwap(it)
		if errors.Is(err, gomemcache.ErrCASConflict) || errors.Is(err, gomemcache.ErrNotStored) {
			continue // replaced or deleted meanwhile
		}
		if err != nil {
			return nil, err
		}
		a.added = true
		if derr != nil {
			return nil, nil // a foreign item names no chunks of ours
		}
		return []chunk.Ref{old.ref()}, nil
	}
}

// Incr adds delta to the decimal integer stored under key: it implements
// backends.Incrementer. memcached's own incr cannot serve, because every
// head starts with this package's header (generation, expiry), so Incr
// reads the head with gets and writes the sum with cas, which fails when
// another writer changed the head in between; Incr then reads again. An
// absent head (or a foreign one, or one from before a Clear) is replaced
// by a new counter as Add stores it, which fails the same way. The counter
// keeps the expiry its head records.
func (b *Backend) Incr(ctx context.Context, key string, delta int64, ttl time.Duration) (int64, error) {
	hk := b.keys.head(key)
	for {
		if err := b.state.Begin(ctx, "memcache incr", key); err != nil {
			return 0, err
		}
		gen, err := b.generation(true)
		if err != nil {
			return 0, fmt.Errorf("memcache incr %q: %w", key, err)
		}
		it, err := b.mc.Get(hk)
		if err != nil && !errors.Is(err, gomemcache.ErrCacheMiss) {
			return 0, fmt.Errorf("memcache incr %q: %w", key, err)
		}
		var (
			h    head
			derr error
		)
		if it != nil {
			h, derr = decodeHead(it.Value)
		}
		if it == nil || derr != nil || h.gen != gen {
			added, err := b.add(ctx, gen, key, strconv.AppendInt(nil, delta, 10), ttl)
			if err != nil {
				return 0, fmt.Errorf("memcache incr %q: %w", key, err)
			}
			if added {
				return delta, nil
			}
			continue // another writer created it first
		}
		if h.kind != kindValue {
			return 0, fmt.Errorf("memcache incr %q: a chunked value: %w", key, backends.ErrNotInteger)
		}
		n, err := backends.Increment(h.value, delta)
		if err != nil {
			return 0, fmt.Errorf("memcache incr %q: %w", key, err)
		}
		it.Value = encodeValueHead(gen, h.expires, strconv.AppendInt(nil, n, 10))
		it.Expiration = keepExpiration(h.expires)
		err = b.mc.CompareAndSwap(it)
		if errors.Is(err, gomemcache.ErrCASConflict) || errors.Is(err, gomemcache.ErrNotStored) {
			continue // changed or deleted meanwhile
		}
		if err != nil {
			return 0, fmt.Errorf("memcache incr %q: %w", key, err)
		}
		return n, nil
	}
}

// keepExpiration returns the memcached expiration that keeps a head's
// recorded expiry (unix milliseconds, 0 for none): a cas must restate it.
// A head past its recorded expiry that memcached still holds (it counts
// whole seconds) keeps at most one more second.
func keepExpiration(expires int64) int32 {
	if expires == 0 {
		return 0
	}
	now := time.Now()
	return expiry.Memcached(now, max(time.UnixMilli(expires).Sub(now), time.Millisecond))
}
