package kv

import (
	"context"
	"fmt"
)

// Get returns the value stored under key in c, decoded as a T. A miss
// returns the zero T and an error matching ErrNotFound.
//
//	user, err := kv.Get[User](ctx, cache, "user:42")
func Get[T any](ctx context.Context, c *Cache, key string) (T, error) {
	var v T
	err := c.Get(ctx, key, &v)
	return v, err
}

// GetMany returns the values stored under keys in c, decoded as T, in a map
// that holds the keys found (flask-caching's get_many and get_dict in one).
// It reads up to 8 keys at a time. A value that does not decode fails the
// call with an error naming its key.
func GetMany[T any](ctx context.Context, c *Cache, keys ...string) (map[string]T, error) {
	out := make(map[string]T, len(keys))
	err := c.getMany(ctx, keys, func(key string, data []byte) error {
		var v T
		if err := decode(c.codec, data, &v); err != nil {
			return fmt.Errorf("kv get many: %q: %w", key, err)
		}
		out[key] = v
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
