package kv

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"golang.org/x/sync/singleflight"
)

// Memo is a function memoized in a Cache (Core-Lib's @Cache decorator,
// flask-caching's memoize): Call returns the result cached for its
// argument, or runs the function once for every concurrent caller with
// that argument and caches the result. It is safe for concurrent use.
//
// Its keys are "memo:" + name + ":" + version + ":" + the argument's key,
// under the cache's prefix. The version is a random number stored under
// "memo:" + name + ":version"; ForgetAll replaces it, which orphans every
// key of the function at once on any store (the orphans expire with their
// ttl or are evicted), where deleting them would need a scan. A version
// lost to eviction is replaced by a new random one, so old results never
// come back.
type Memo[K, V any] struct {
	c      *Cache
	name   string
	ns     string // "memo:" + escaped name + ":"
	fn     func(context.Context, K) (V, error)
	key    func(K) (string, error)
	ttl    time.Duration
	errTTL time.Duration
	group  singleflight.Group
}

// MemoOptions configure Memoize. The zero value keys calls by the
// argument's value, caches results for the cache's default ttl, and does
// not cache errors.
type MemoOptions[K any] struct {
	// Key returns the part of the cache key that identifies a call's
	// argument. It takes precedence over Template.
	Key func(K) (string, error)
	// Template, when Key is nil, is a key template filled from the
	// argument's fields, such as "user:{ID}" (see Template); Memoize
	// parses it once and reports unknown fields. When both are empty, the
	// key is the argument itself if it is a string, number or bool (or
	// implements encoding.TextMarshaler or fmt.Stringer), else the SHA-256
	// of its msgpack encoding (map keys sorted), which needs exported
	// fields: Memoize refuses a struct with unexported ones.
	Template string
	// TTL is how long a result is cached: DefaultTTL (the cache's
	// Options.TTL), NoExpiry, or a duration.
	TTL time.Duration
	// ErrorTTL, when positive, caches the function's errors for that long:
	// later calls return a *CachedError with the same message until it
	// expires. Zero (the default) caches no error.
	ErrorTTL time.Duration
}

// CachedError is an error of a memoized function served from the cache
// (MemoOptions.ErrorTTL). Only the message survives being stored.
type CachedError struct {
	Name    string // the Memo's name
	Message string // the original error's message
}

func (e *CachedError) Error() string {
	return fmt.Sprintf("kv memo %q (cached error): %s", e.Name, e.Message)
}

// entry is what a Memo stores for one call.
type entry[V any] struct {
	V   V      `msgpack:"v" json:"v"`
	Err string `msgpack:"e,omitempty" json:"e,omitempty"`
}

// Memoize returns fn memoized in c under name, which must be unique among
// the functions memoized in c's store (it starts their keys). It fails
// with an error matching ErrBadTemplate for a template that does not fit
// K.
func Memoize[K, V any](c *Cache, name string, fn func(context.Context, K) (V, error), opts MemoOptions[K]) (*Memo[K, V], error) {
	if name == "" {
		return nil, errors.New("kv memoize: empty name")
	}
	if fn == nil {
		return nil, fmt.Errorf("kv memoize %q: nil function", name)
	}
	m := &Memo[K, V]{
		c:      c,
		name:   name,
		ns:     "memo:" + escapeName(name) + ":",
		fn:     fn,
		key:    opts.Key,
		ttl:    opts.TTL,
		errTTL: opts.ErrorTTL,
	}
	if m.key == nil {
		var err error
		if m.key, err = argumentKey[K](opts.Template); err != nil {
			return nil, fmt.Errorf("kv memoize %q: %w", name, err)
		}
	}
	return m, nil
}

// escapeName escapes ':' and '%' in a memo name, so that names cannot
// collide through the separator ("a:1" and "a" at version 1).
func escapeName(name string) string {
	return strings.NewReplacer("%", "%25", ":", "%3A").Replace(name)
}

// argumentKey returns the key function for a template, or the default.
func argumentKey[K any](tmpl string) (func(K) (string, error), error) {
	if tmpl != "" {
		t, err := ParseTemplate[K](tmpl)
		if err != nil {
			return nil, err
		}
		return t.Key, nil
	}
	typ := reflect.TypeFor[K]()
	if typ.Kind() != reflect.Interface && formattable(typ) {
		return func(k K) (string, error) { return format(reflect.ValueOf(&k).Elem()) }, nil
	}
	s := typ
	for s.Kind() == reflect.Pointer {
		s = s.Elem()
	}
	if s.Kind() == reflect.Struct {
		for i := range s.NumField() {
			if !s.Field(i).IsExported() {
				return nil, fmt.Errorf("argument type %s has unexported field %s, which its encoding leaves out: set MemoOptions.Key or Template", s, s.Field(i).Name)
			}
		}
	}
	return func(k K) (string, error) {
		b, err := keyEncoding(k)
		if err != nil {
			return "", fmt.Errorf("encode the argument for its key: %w", err)
		}
		sum := sha256.Sum256(b)
		return hex.EncodeToString(sum[:16]), nil
	}, nil
}

// Name returns the name m was memoized under.
func (m *Memo[K, V]) Name() string { return m.name }

// versionKey is the key of m's version.
func (m *Memo[K, V]) versionKey() string { return m.ns + "version" }

// version returns m's version, creating a random one when there is none.
func (m *Memo[K, V]) version(ctx context.Context) (int64, error) {
	for range 3 {
		v, err := Get[int64](ctx, m.c, m.versionKey())
		if err == nil {
			return v, nil
		}
		if !errors.Is(err, ErrNotFound) {
			return 0, err
		}
		// Add, so that concurrent callers agree on one version.
		if _, err := m.c.Add(ctx, m.versionKey(), randomVersion(), NoExpiry); err != nil {
			return 0, err
		}
	}
	return 0, errors.New("the version keeps vanishing")
}

// randomVersion returns a random positive version.
func randomVersion() int64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return int64(binary.BigEndian.Uint64(b[:]) >> 1)
}

// Key returns the cache key of the call with argument k, as it is now (a
// ForgetAll changes it).
func (m *Memo[K, V]) Key(ctx context.Context, k K) (string, error) {
	ak, err := m.key(k)
	if err != nil {
		return "", fmt.Errorf("kv memo %q: key: %w", m.name, err)
	}
	ver, err := m.version(ctx)
	if err != nil {
		return "", fmt.Errorf("kv memo %q: version: %w", m.name, err)
	}
	return fmt.Sprintf("%s%d:%s", m.ns, ver, ak), nil
}

// Call returns the result of the function for k: the cached one, or the
// function's, which it caches (errors only with MemoOptions.ErrorTTL).
// Concurrent calls with one key share one cache read and one run of the
// function, and get the same V (a map or slice in it is shared, not
// copied). The function runs with ctx's values but not its cancellation,
// so that the callers still waiting get its result when the first one
// gives up; Call itself returns ctx's error as soon as ctx is done.
//
// When the store fails, the function runs uncached (the failure goes to
// Options.Logger). An error building the key is returned as is.
func (m *Memo[K, V]) Call(ctx context.Context, k K) (V, error) {
	var zero V
	ak, err := m.key(k)
	if err != nil {
		return zero, fmt.Errorf("kv memo %q: key: %w", m.name, err)
	}
	flight, cached := "", true
	if ver, err := m.version(ctx); err == nil {
		flight = fmt.Sprintf("%s%d:%s", m.ns, ver, ak)
	} else if ctx.Err() != nil {
		return zero, fmt.Errorf("kv memo %q: %w", m.name, ctx.Err())
	} else {
		m.c.log.WarnContext(ctx, "kv memo: store failed, calling uncached", "memo", m.name, "error", err)
		flight, cached = "uncached:"+ak, false
	}
	ch := m.group.DoChan(flight, func() (any, error) {
		return m.load(context.WithoutCancel(ctx), flight, k, cached)
	})
	select {
	case <-ctx.Done():
		return zero, fmt.Errorf("kv memo %q: %w", m.name, ctx.Err())
	case r := <-ch:
		if r.Err != nil {
			return zero, r.Err
		}
		v, _ := r.Val.(V)
		return v, nil
	}
}

// load reads key, or runs the function and stores its result.
func (m *Memo[K, V]) load(ctx context.Context, key string, k K, cached bool) (V, error) {
	var zero V
	if cached {
		var e entry[V]
		err := m.c.Get(ctx, key, &e)
		switch {
		case err == nil && e.Err != "":
			return zero, &CachedError{Name: m.name, Message: e.Err}
		case err == nil:
			return e.V, nil
		case !errors.Is(err, ErrNotFound):
			// A value that does not decode (V changed since it was
			// stored) is replaced below; a failing store is skipped.
			m.c.log.WarnContext(ctx, "kv memo: read failed, calling the function", "memo", m.name, "key", key, "error", err)
		}
	}
	v, err := m.fn(ctx, k)
	if !cached {
		return v, err
	}
	switch {
	case err != nil && m.errTTL > 0:
		m.store(ctx, key, entry[V]{Err: err.Error()}, m.errTTL)
	case err == nil:
		m.store(ctx, key, entry[V]{V: v}, m.ttl)
	}
	return v, err
}

func (m *Memo[K, V]) store(ctx context.Context, key string, e entry[V], ttl time.Duration) {
	if err := m.c.Set(ctx, key, e, ttl); err != nil {
		m.c.log.WarnContext(ctx, "kv memo: store failed", "memo", m.name, "key", key, "error", err)
	}
}

// Forget removes the cached result for k (flask-caching's
// delete_memoized with arguments), so the next Call runs the function.
// A call already running may still store its result afterwards.
func (m *Memo[K, V]) Forget(ctx context.Context, k K) error {
	key, err := m.Key(ctx, k)
	if err != nil {
		return fmt.Errorf("kv memo %q: forget: %w", m.name, err)
	}
	m.group.Forget(key)
	if err := m.c.Delete(ctx, key); err != nil {
		return fmt.Errorf("kv memo %q: forget: %w", m.name, err)
	}
	return nil
}

// ForgetAll makes every cached result of m stale at once
// (flask-caching's delete_memoized without arguments), in every process
// sharing the store, by replacing m's version.
func (m *Memo[K, V]) ForgetAll(ctx context.Context) error {
	if err := m.c.Set(ctx, m.versionKey(), randomVersion(), NoExpiry); err != nil {
		return fmt.Errorf("kv memo %q: forget all: %w", m.name, err)
	}
	return nil
}

// Invalidates returns fn wrapped so that, once fn succeeds for k, m's
// result for k is forgotten: Core-Lib's @Cache(invalidate=True) on the
// function that updates what m reads. When fn fails nothing is forgotten;
// when forgetting fails, the wrapper returns fn's result with that error.
func Invalidates[K, V, R any](m *Memo[K, V], fn func(context.Context, K) (R, error)) func(context.Context, K) (R, error) {
	return func(ctx context.Context, k K) (R, error) {
		r, err := fn(ctx, k)
		if err != nil {
			return r, err
		}
		return r, m.Forget(ctx, k)
	}
}
