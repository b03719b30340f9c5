package gregjones

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/gregjones/httpcache"

	"github.com/cachedhttp/cachedhttp/backends"
)

// DefaultTimeout bounds each backend call of a Cache when
// CacheOptions.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// CacheOptions configure a Cache. The zero value is usable.
type CacheOptions struct {
	// TTL is the time to live of every value the Cache stores. Zero means
	// none: values stay until deleted or evicted, as in every gregjones
	// Cache.
	TTL time.Duration
	// Timeout bounds each backend call, because the gregjones Cache
	// interface carries no context. Zero means DefaultTimeout.
	Timeout time.Duration
	// Logger receives the backend errors that the gregjones Cache
	// interface cannot return (a failed Set or Delete, a Get that failed
	// for another reason than a miss). Nil means they are discarded.
	Logger *slog.Logger
}

// Cache is a gregjones httpcache.Cache that keeps its values in a cachedhttp
// backends.Backend, so that a gregjones Transport (or anything written
// against its Cache interface) can use any cachedhttp store: bbolt,
// filesystem, memory, Redis (single, Cluster, Sentinel), memcached,
// MongoDB, GridFS or DynamoDB. Values are stored unchanged under the keys
// the gregjones Transport chooses (the URL), so a backend written through
// a Cache can later be imported with FromBackend and Import.
//
// A backend error reads as a miss (Get) or is dropped (Set, Delete), as the
// interface has no error results; give CacheOptions.Logger to see them. It
// is safe for concurrent use.
type Cache struct {
	b       backends.Backend
	ttl     time.Duration
	timeout time.Duration
	log     *slog.Logger
}

// NewCache returns a Cache over b. The caller keeps ownership of b and
// closes it when done.
func NewCache(b backends.Backend, opts *CacheOptions) *Cache {
	var o CacheOptions
	if opts != nil {
		o = *opts
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Cache{b: b, ttl: o.TTL, timeout: o.Timeout, log: o.Logger}
}

// Backend returns the backend c stores its values in.
func (c *Cache) Backend() backends.Backend { return c.b }

// Get returns the value stored under key and true, or nil and false on a
// miss or an error. The slice may be the backend's own memory (memory
// backend): do not modify it, as with gregjones' MemoryCache.
func (c *Cache) Get(key string) ([]byte, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	v, err := c.b.Get(ctx, key)
	if err != nil {
		if !errors.Is(err, backends.ErrNotFound) {
			c.log.LogAttrs(ctx, slog.LevelWarn, "gregjones cache: get failed", slog.String("key", key), slog.Any("error", err))
		}
		return nil, false
	}
	return v, true
}

// Set stores value under key with CacheOptions.TTL. The backend may keep
// value: do not modify it afterwards (the gregjones Transport never does).
func (c *Cache) Set(key string, value []byte) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	if err := c.b.Set(ctx, key, value, c.ttl); err != nil {
		c.log.LogAttrs(ctx, slog.LevelWarn, "gregjones cache: set failed", slog.String("key", key), slog.Any("error", err))
	}
}

// Delete removes key.
func (c *Cache) Delete(key string) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	if err := c.b.Delete(ctx, key); err != nil {
		c.log.LogAttrs(ctx, slog.LevelWarn, "gregjones cache: delete failed", slog.String("key", key), slog.Any("error", err))
	}
}

var _ httpcache.Cache = (*Cache)(nil)
