package redis

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/internal/expiry"
)

// Add stores value under key with SET NX PX, which Redis runs atomically:
// it implements backends.Adder. Redis drops expired keys itself, so an
// expired value never blocks an Add.
func (b *Backend) Add(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	if err := b.state.Begin(ctx, "redis add", key); err != nil {
		return false, err
	}
	if len(value) > MaxValue {
		return false, fmt.Errorf("redis add %q: %d bytes: %w", key, len(value), backends.ErrTooLarge)
	}
	if value == nil {
		value = []byte{}
	}
	ok, err := b.client.SetNX(ctx, b.prefix+key, value, expiry.Round(ttl, time.Millisecond)).Result()
	if err != nil {
		err = fmt.Errorf("redis add %q: %w", key, err)
	}
	return ok, err
}

// Incr adds delta to the integer stored under key with one MULTI/EXEC
// transaction: SET key 0 NX PX ttl, which creates an absent key with its
// expiry, then INCRBY, which keeps it. Redis stores the counter as the
// decimal string Get returns: it implements backends.Incrementer. On a
// cluster the two commands name one key, so one node runs them.
func (b *Backend) Incr(ctx context.Context, key string, delta int64, ttl time.Duration) (int64, error) {
	if err := b.state.Begin(ctx, "redis incr", key); err != nil {
		return 0, err
	}
	k := b.prefix + key
	var incr *goredis.IntCmd
	_, err := b.client.TxPipelined(ctx, func(p goredis.Pipeliner) error {
		p.SetNX(ctx, k, "0", expiry.Round(ttl, time.Millisecond))
		incr = p.IncrBy(ctx, k, delta)
		return nil
	})
	if err == nil {
		return incr.Val(), nil
	}
	if notInteger(err) {
		return 0, fmt.Errorf("redis incr %q: %w (%w)", key, backends.ErrNotInteger, err)
	}
	return 0, fmt.Errorf("redis incr %q: %w", key, err)
}

// notInteger reports whether err is Redis refusing INCRBY because the value
// is not an integer or the result would overflow.
func notInteger(err error) bool {
	var re goredis.Error
	if !errors.As(err, &re) {
		return false
	}
	msg := re.Error()
	return strings.Contains(msg, "not an integer") || strings.Contains(msg, "would overflow")
}
