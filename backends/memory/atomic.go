package memory

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/internal/expiry"
)

// live returns the entry stored under key unless it is absent or expired
// (an expired entry is removed). The caller holds b.mu.
func (b *Backend) live(key string) (*entry, bool) {
	var buf [packBufBytes]byte
	e, ok := b.entries[string(packKey(buf[:0], key))]
	if !ok {
		return nil, false
	}
	if e.expires != 0 && time.Now().UnixNano() >= e.expires {
		b.remove(e)
		return nil, false
	}
	return e, true
}

// store puts value under key with an absolute expiry, as Set does, and
// evicts what the bounds require. The caller holds b.mu and has checked
// the size.
func (b *Backend) store(key string, value []byte, expires int64) {
	held := heldKey(key)
	if old, ok := b.entries[held]; ok {
		b.remove(old)
	}
	e := &entry{key: held, value: value, expires: expires}
	b.version.Add(1)
	b.entries[held] = e
	b.pushFront(e)
	b.bytes += e.size()
	for (b.maxEntries > 0 && len(b.entries) > b.maxEntries) || (b.maxBytes > 0 && b.bytes > b.maxBytes) {
		b.evict()
	}
}

// Add stores value (without copying it) under key unless a live value is
// there, under the same mutex as every other call: it implements
// backends.Adder.
func (b *Backend) Add(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	expires := expiry.UnixNano(time.Now(), ttl)
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.state.Check(ctx); err != nil {
		return false, fmt.Errorf("memory add %q: %w", key, err)
	}
	if size := int64(len(key) + len(value)); b.maxBytes > 0 && size > b.maxBytes {
		return false, fmt.Errorf("memory add %q: %d bytes with the key, bound is %d: %w", key, size, b.maxBytes, backends.ErrTooLarge)
	}
	if _, ok := b.live(key); ok {
		return false, nil
	}
	b.store(key, value, expires)
	return true, nil
}

// Incr adds delta to the decimal integer stored under key, under the same
// mutex as every other call: it implements backends.Incrementer. The
// counter is stored as a new slice each time, so a slice returned by an
// earlier Get is never modified.
func (b *Backend) Incr(ctx context.Context, key string, delta int64, ttl time.Duration) (int64, error) {
	expires := expiry.UnixNano(time.Now(), ttl)
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.state.Check(ctx); err != nil {
		return 0, fmt.Errorf("memory incr %q: %w", key, err)
	}
	n := delta
	if e, ok := b.live(key); ok {
		var err error
		if n, err = backends.Increment(e.value, delta); err != nil {
			return 0, fmt.Errorf("memory incr %q: %w", key, err)
		}
		expires = e.expires
	}
	v := strconv.AppendInt(nil, n, 10)
	if size := int64(len(key) + len(v)); b.maxBytes > 0 && size > b.maxBytes {
		return 0, fmt.Errorf("memory incr %q: %d bytes with the key, bound is %d: %w", key, size, b.maxBytes, backends.ErrTooLarge)
	}
	b.store(key, v, expires)
	return n, nil
}
