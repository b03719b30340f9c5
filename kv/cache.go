package kv

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/cachedhttp/cachedhttp/backends"
)

// TTL values with a meaning of their own, for the ttl parameters of Set,
// Add, SetMany, Inc and Dec.
const (
	// DefaultTTL stands for the cache's Options.TTL.
	DefaultTTL time.Duration = 0
	// NoExpiry stores a value that does not expire, whatever Options.TTL
	// says. Any negative ttl means the same.
	NoExpiry time.Duration = -1
)

// Options configure a Cache. The zero value stores msgpack without a prefix
// or expiry.
type Options struct {
	// Codec encodes the values that are not integers. Nil means Msgpack.
	Codec Codec
	// Prefix is prepended to every key (flask-caching's key_prefix), so
	// that several caches share one store. Clear then deletes only the
	// keys that start with it, which means scanning the whole store: where
	// the store has a namespace of its own (Redis and memcached prefix, a
	// bbolt file, a directory, a table or a collection per cache), prefer
	// it and leave Prefix empty, and Clear is the store's own.
	Prefix string
	// TTL is the default time to live (flask-caching's default_timeout),
	// used when a call passes DefaultTTL. Zero or less means no expiry.
	TTL time.Duration
	// Logger receives the store errors a Memo does not return: a memoized
	// function still runs, uncached, when the store fails. Nil means
	// discard them.
	Logger *slog.Logger
}

// Cache is a key-value cache over a backends.Backend: typed values under
// string keys with a time to live, atomic Add and counters where the store
// has them. It is safe for concurrent use.
//
// Values are stored as bytes the store's Get returns: integers (of any
// integer kind) as their decimal digits, as the stores' atomic counters
// keep them and flask-caching's Redis cache does, and everything else
// through the Codec.
type Cache struct {
	b      backends.Backend
	codec  Codec
	prefix string
	ttl    time.Duration
	log    *slog.Logger
	owned  bool // Close closes b

	adder backends.Adder       // nil: Add is emulated
	incr  backends.Incrementer // nil: Inc is emulated

	// locks serialise the emulated Add and Inc of this Cache, per key
	// stripe, so they are atomic within this process at least.
	seed  maphash.Seed
	locks [64]sync.Mutex
}

// New returns a Cache over b, which stays the caller's: Close does not
// close it.
func New(b backends.Backend, opts Options) *Cache {
	c := &Cache{b: b, codec: opts.Codec, prefix: opts.Prefix, ttl: opts.TTL, seed: maphash.MakeSeed()}
	if c.codec == nil {
		c.codec = Msgpack
	}
	c.log = opts.Logger
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.adder, _ = b.(backends.Adder)
	c.incr, _ = b.(backends.Incrementer)
	return c
}

// Backend returns the store c uses.
func (c *Cache) Backend() backends.Backend { return c.b }

// Prefix returns the prefix of c's keys.
func (c *Cache) Prefix() string { return c.prefix }

// Atomic reports whether Add and Inc are atomic across processes on c's
// store (it implements backends.Adder and backends.Incrementer). When they
// are not, c emulates them with a read and a write under a lock of its
// own: atomic among the goroutines using c, not across processes or
// Cache values.
func (c *Cache) Atomic() (add, inc bool) { return c.adder != nil, c.incr != nil }

// Close closes the store when c opened it (Open); a Cache made by New
// leaves its store to the caller, and one from OpenAll to Caches.Close.
func (c *Cache) Close() error {
	if !c.owned {
		return nil
	}
	if err := c.b.Close(); err != nil {
		return fmt.Errorf("kv close: %w", err)
	}
	return nil
}

// expiry returns the backend ttl for a call's ttl.
func (c *Cache) expiry(ttl time.Duration) time.Duration {
	switch {
	case ttl < 0:
		return 0
	case ttl == DefaultTTL:
		return max(c.ttl, 0)
	}
	return ttl
}

func (c *Cache) lock(key string) *sync.Mutex {
	return &c.locks[maphash.String(c.seed, key)%uint64(len(c.locks))]
}

// Get decodes the value stored under key into dst, a non-nil pointer. A
// miss returns an error matching ErrNotFound; a value that does not decode
// into dst, one matching ErrDecode. Get[T] is the generic form.
func (c *Cache) Get(ctx context.Context, key string, dst any) error {
	data, err := c.b.Get(ctx, c.prefix+key)
	if err != nil {
		return fmt.Errorf("kv get %q: %w", key, err)
	}
	if err := decode(c.codec, data, dst); err != nil {
		return fmt.Errorf("kv get %q: %w", key, err)
	}
	return nil
}

// Has reports whether key holds a live value (flask-caching's has).
func (c *Cache) Has(ctx context.Context, key string) (bool, error) {
	_, err := c.b.Get(ctx, c.prefix+key)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, ErrNotFound):
		return false, nil
	}
	return false, fmt.Errorf("kv has %q: %w", key, err)
}

// Set stores value under key for ttl (DefaultTTL: Options.TTL; NoExpiry:
// for ever), replacing any value there.
func (c *Cache) Set(ctx context.Context, key string, value any, ttl time.Duration) error {
	data, err := encode(c.codec, value)
	if err != nil {
		return fmt.Errorf("kv set %q: encode %T: %w", key, value, err)
	}
	if err := c.b.Set(ctx, c.prefix+key, data, c.expiry(ttl)); err != nil {
		return fmt.Errorf("kv set %q: %w", key, err)
	}
	return nil
}

// Add stores value under key for ttl only if key holds no live value, and
// reports whether it did (flask-caching's add). It is atomic across
// processes where the store implements backends.Adder (see Atomic).
func (c *Cache) Add(ctx context.Context, key string, value any, ttl time.Duration) (bool, error) {
	data, err := encode(c.codec, value)
	if err != nil {
		return false, fmt.Errorf("kv add %q: encode %T: %w", key, value, err)
	}
	k := c.prefix + key
	if c.adder != nil {
		ok, err := c.adder.Add(ctx, k, data, c.expiry(ttl))
		if err != nil {
			return false, fmt.Errorf("kv add %q: %w", key, err)
		}
		return ok, nil
	}
	mu := c.lock(k)
	mu.Lock()
	defer mu.Unlock()
	_, err = c.b.Get(ctx, k)
	if err == nil {
		return false, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return false, fmt.Errorf("kv add %q: %w", key, err)
	}
	if err := c.b.Set(ctx, k, data, c.expiry(ttl)); err != nil {
		return false, fmt.Errorf("kv add %q: %w", key, err)
	}
	return true, nil
}

// Delete removes key; a missing key is not an error. (flask-caching's
// delete reports whether the key existed; the stores cannot all say so
// in one step, so Delete does not.)
func (c *Cache) Delete(ctx context.Context, key string) error {
	if err := c.b.Delete(ctx, c.prefix+key); err != nil {
		return fmt.Errorf("kv delete %q: %w", key, err)
	}
	return nil
}

// DeleteMany removes the given keys in one call to the store.
func (c *Cache) DeleteMany(ctx context.Context, keys ...string) error {
	full := make([]string, len(keys))
	for i, k := range keys {
		full[i] = c.prefix + k
	}
	if err := c.b.Delete(ctx, full...); err != nil {
		return fmt.Errorf("kv delete many (%d keys): %w", len(keys), err)
	}
	return nil
}

// SetMany stores every value of items under its key for ttl, in one call
// to the store where it batches (backends.Batcher: bbolt writes them in
// one transaction). When it fails, some values may have been stored.
func (c *Cache) SetMany(ctx context.Context, items map[string]any, ttl time.Duration) error {
	d := c.expiry(ttl)
	batch := make([]backends.Item, 0, len(items))
	for k, v := range items {
		data, err := encode(c.codec, v)
		if err != nil {
			return fmt.Errorf("kv set many: %q: encode %T: %w", k, v, err)
		}
		batch = append(batch, backends.Item{Key: c.prefix + k, Value: data, TTL: d})
	}
	if bt, ok := c.b.(backends.Batcher); ok {
		if err := bt.SetMany(ctx, batch); err != nil {
			return fmt.Errorf("kv set many (%d keys): %w", len(batch), err)
		}
		return nil
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(manyConcurrency)
	for _, it := range batch {
		g.Go(func() error {
			if err := c.b.Set(gctx, it.Key, it.Value, it.TTL); err != nil {
				return fmt.Errorf("kv set many: %q: %w", it.Key[len(c.prefix):], err)
			}
			return nil
		})
	}
	return g.Wait()
}

// manyConcurrency is how many Gets or Sets GetMany and SetMany have in
// flight on a store that does not batch.
const manyConcurrency = 8

// getMany reads keys (at most manyConcurrency at a time) and calls found
// for each hit, from one goroutine at a time.
func (c *Cache) getMany(ctx context.Context, keys []string, found func(key string, data []byte) error) error {
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(manyConcurrency)
	for _, k := range keys {
		g.Go(func() error {
			data, err := c.b.Get(gctx, c.prefix+k)
			if errors.Is(err, ErrNotFound) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("kv get many: %q: %w", k, err)
			}
			mu.Lock()
			defer mu.Unlock()
			return found(k, data)
		})
	}
	return g.Wait()
}

// Inc adds delta to the integer stored under key and returns the result
// (flask-caching's inc). An absent key counts as 0 and is created for ttl;
// an existing one keeps its expiry. A value that is not a decimal int64,
// or a result that would overflow, fails with an error matching
// ErrNotInteger. It is atomic across processes where the store implements
// backends.Incrementer (see Atomic); elsewhere it reads then writes under
// c's lock, and the write restarts the value's expiry at ttl.
func (c *Cache) Inc(ctx context.Context, key string, delta int64, ttl time.Duration) (int64, error) {
	k := c.prefix + key
	if c.incr != nil {
		n, err := c.incr.Incr(ctx, k, delta, c.expiry(ttl))
		if err != nil {
			return 0, fmt.Errorf("kv inc %q: %w", key, err)
		}
		return n, nil
	}
	mu := c.lock(k)
	mu.Lock()
	defer mu.Unlock()
	n := delta
	v, err := c.b.Get(ctx, k)
	switch {
	case err == nil:
		if n, err = backends.Increment(v, delta); err != nil {
			return 0, fmt.Errorf("kv inc %q: %w", key, err)
		}
	case !errors.Is(err, ErrNotFound):
		return 0, fmt.Errorf("kv inc %q: %w", key, err)
	}
	if err := c.b.Set(ctx, k, strconv.AppendInt(nil, n, 10), c.expiry(ttl)); err != nil {
		return 0, fmt.Errorf("kv inc %q: %w", key, err)
	}
	return n, nil
}

// Dec subtracts delta from the integer stored under key: Inc with -delta.
func (c *Cache) Dec(ctx context.Context, key string, delta int64, ttl time.Duration) (int64, error) {
	if delta == -delta && delta != 0 { // math.MinInt64 has no negation
		return 0, fmt.Errorf("kv dec %q: delta %d: %w", key, delta, ErrNotInteger)
	}
	return c.Inc(ctx, key, -delta, ttl)
}

// clearBatch is how many keys Clear deletes per call to the store.
const clearBatch = 512

// Clear removes every value of c. Without a prefix that is the store's
// Clear; with one, Clear scans the store and deletes the keys that start
// with the prefix, leaving others alone (it fails on a store that cannot
// scan).
func (c *Cache) Clear(ctx context.Context) error {
	if c.prefix == "" {
		if err := c.b.Clear(ctx); err != nil {
			return fmt.Errorf("kv clear: %w", err)
		}
		return nil
	}
	var batch []string
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := c.b.Delete(ctx, batch...)
		batch = batch[:0]
		return err
	}
	for k, err := range backends.Keys(ctx, c.b) {
		if errors.Is(err, backends.ErrCorrupt) {
			continue
		}
		if err != nil {
			return fmt.Errorf("kv clear %q: %w", c.prefix, err)
		}
		if len(k) >= len(c.prefix) && k[:len(c.prefix)] == c.prefix {
			batch = append(batch, k)
		}
		if len(batch) == clearBatch {
			if err := flush(); err != nil {
				return fmt.Errorf("kv clear %q: %w", c.prefix, err)
			}
		}
	}
	if err := flush(); err != nil {
		return fmt.Errorf("kv clear %q: %w", c.prefix, err)
	}
	return nil
}
