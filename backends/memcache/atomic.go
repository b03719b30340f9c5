package memcache

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"hash/crc32"
	"strconv"
	"time"

	gomemcache "github.com/bradfitz/gomemcache/memcache"

	"github.com/cachedhttp/cachedhttp/backends"
)

var (
	_ backends.Adder       = (*Backend)(nil)
	_ backends.Incrementer = (*Backend)(nil)
)

// Add stores value under key unless a live value is there: it implements
// backends.Adder. An absent head is created with memcached's add, which
// fails when another writer created it first; a head left by an earlier
// generation (before a Clear) or a foreign item is replaced with a
// compare-and-swap, which fails when another writer replaced it first.
// Either failure makes Add look again. Expired items are gone from
// memcached, so they never block an Add.
func (b *Backend) Add(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	if err := b.check(ctx); err != nil {
		return false, fmt.Errorf("memcache add %q: %w", key, err)
	}
	if len(value) > b.maxValue {
		return false, fmt.Errorf("memcache add %q: %d bytes (MaxValue %d): %w", key, len(value), b.maxValue, backends.ErrTooLarge)
	}
	gen, err := b.generation(true)
	if err != nil {
		return false, fmt.Errorf("memcache add %q: %w", key, err)
	}
	if err := b.record(gen, key); err != nil {
		return false, fmt.Errorf("memcache add %q: index: %w", key, err)
	}
	hv, h, exp, err := b.writeHead(ctx, gen, value, ttl)
	if err != nil {
		return false, fmt.Errorf("memcache add %q: %w", key, err)
	}
	added, err := b.putIfAbsent(ctx, b.keys.head(key), hv, exp, gen)
	if !added {
		b.dropChunks(h) // the chunks of a value not stored
	}
	if err != nil {
		return false, fmt.Errorf("memcache add %q: %w", key, err)
	}
	return added, nil
}

// putIfAbsent stores the head hv under hk unless a head of generation gen
// is there.
func (b *Backend) putIfAbsent(ctx context.Context, hk string, hv []byte, exp int32, gen uint64) (bool, error) {
	for {
		if err := b.check(ctx); err != nil {
			return false, err
		}
		it, err := b.mc.Get(hk)
		if errors.Is(err, gomemcache.ErrCacheMiss) {
			err = b.mc.Add(&gomemcache.Item{Key: hk, Value: hv, Expiration: exp})
			if errors.Is(err, gomemcache.ErrNotStored) {
				continue // another writer added it first
			}
			return err == nil, err
		}
		if err != nil {
			return false, err
		}
		old, derr := decodeHead(it.Value)
		if derr == nil && old.gen == gen {
			return false, nil
		}
		it.Value, it.Expiration = hv, exp
		err = b.mc.CompareAndSwap(it)
		if errors.Is(err, gomemcache.ErrCASConflict) || errors.Is(err, gomemcache.ErrNotStored) {
			continue // replaced or deleted meanwhile
		}
		if err != nil {
			return false, err
		}
		if derr == nil {
			b.dropChunks(old)
		}
		return true, nil
	}
}

// writeHead returns the head item of value as Set writes it, writing the
// chunks of a large value first, with the memcached expiration of ttl and
// the decoded head (whose chunks to drop if the head is not stored).
func (b *Backend) writeHead(ctx context.Context, gen uint64, value []byte, ttl time.Duration) ([]byte, head, int32, error) {
	now := time.Now()
	exp := expiration(now, ttl)
	var expires int64
	if exp != 0 {
		expires = now.Add(ttl).UnixMilli()
	}
	if len(value) <= b.chunkSize-headerLen {
		return encodeValueHead(gen, expires, value), head{kind: kindValue}, exp, nil
	}
	h := head{kind: kindChunk, gen: gen, expires: expires, size: uint64(len(value)), chunkSize: uint32(b.chunkSize)}
	h.chunks = uint32((len(value) + b.chunkSize - 1) / b.chunkSize)
	h.crc = crc32.Checksum(value, castagnoli)
	_, _ = rand.Read(h.writeID[:])
	cexp := exp
	if ttl > 0 {
		cexp = expiration(now, ttl+time.Second) // chunks outlive their head
	}
	for i := range h.chunks {
		if err := ctx.Err(); err != nil {
			b.dropChunks(h)
			return nil, head{}, 0, err
		}
		lo := int(i) * b.chunkSize
		hi := min(lo+b.chunkSize, len(value))
		if err := b.mc.Set(&gomemcache.Item{Key: b.keys.chunk(h.writeID, i), Value: value[lo:hi], Expiration: cexp}); err != nil {
			b.dropChunks(h)
			return nil, head{}, 0, fmt.Errorf("chunk %d of %d: %w", i, h.chunks, err)
		}
	}
	return encodeChunkHead(h), h, exp, nil
}

// Incr adds delta to the decimal integer stored under key: it implements
// backends.Incrementer. memcached's own incr cannot serve, because every
// head starts with this package's header (generation, expiry), so Incr
// reads the head with gets and writes the sum with cas, which fails when
// another writer changed the head in between; Incr then reads again. An
// absent head is created with add, which fails the same way. The counter
// keeps the expiry its head records.
func (b *Backend) Incr(ctx context.Context, key string, delta int64, ttl time.Duration) (int64, error) {
	hk := b.keys.head(key)
	for {
		if err := b.check(ctx); err != nil {
			return 0, fmt.Errorf("memcache incr %q: %w", key, err)
		}
		gen, err := b.generation(true)
		if err != nil {
			return 0, fmt.Errorf("memcache incr %q: %w", key, err)
		}
		it, err := b.mc.Get(hk)
		if errors.Is(err, gomemcache.ErrCacheMiss) {
			if err := b.record(gen, key); err != nil {
				return 0, fmt.Errorf("memcache incr %q: index: %w", key, err)
			}
			hv, _, exp, _ := b.writeHead(ctx, gen, strconv.AppendInt(nil, delta, 10), ttl)
			err = b.mc.Add(&gomemcache.Item{Key: hk, Value: hv, Expiration: exp})
			if errors.Is(err, gomemcache.ErrNotStored) {
				continue // another writer created it first
			}
			if err != nil {
				return 0, fmt.Errorf("memcache incr %q: %w", key, err)
			}
			return delta, nil
		}
		if err != nil {
			return 0, fmt.Errorf("memcache incr %q: %w", key, err)
		}
		h, derr := decodeHead(it.Value)
		n := delta
		var (
			hv  []byte
			exp int32
		)
		if derr != nil || h.gen != gen {
			// Foreign, or cleared: a new counter replaces it.
			if err := b.record(gen, key); err != nil {
				return 0, fmt.Errorf("memcache incr %q: index: %w", key, err)
			}
			hv, _, exp, _ = b.writeHead(ctx, gen, strconv.AppendInt(nil, delta, 10), ttl)
		} else {
			if h.kind != kindValue {
				return 0, fmt.Errorf("memcache incr %q: a chunked value: %w", key, backends.ErrNotInteger)
			}
			if n, err = backends.Increment(h.value, delta); err != nil {
				return 0, fmt.Errorf("memcache incr %q: %w", key, err)
			}
			hv = encodeValueHead(gen, h.expires, strconv.AppendInt(nil, n, 10))
			exp = keepExpiration(h.expires)
		}
		it.Value, it.Expiration = hv, exp
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
	return expiration(now, max(time.UnixMilli(expires).Sub(now), time.Millisecond))
}
