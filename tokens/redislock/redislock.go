// Package redislock implements tokens.Locker in Redis, so that processes on
// any number of machines sharing a token store refresh a token once.
//
// A lock is one key set with SET NX PX to a random value unique to its
// holder; it expires after the lease (Options.TTL) so that a holder that
// dies does not block the others for longer. Unlock deletes the key only
// if it still holds the holder's value (a Lua compare-and-delete), so a
// holder whose lease ran out never deletes the lock another process has
// taken since. Waiters poll. It works with every go-redis UniversalClient:
// a single server, Sentinel, Cluster (one key, one slot) and Ring.
//
// This is a lock for efficiency (one refresh instead of several), not for
// correctness: if a refresh outlasts the lease, a second process may
// refresh too. Choose a lease longer than a token request can take.
package redislock

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cachedhttp/cachedhttp/backends/redis"
	"github.com/cachedhttp/cachedhttp/tokens"
)

// DefaultPrefix is the prefix of lock keys when Options.Prefix is empty.
const DefaultPrefix = "cachedhttp:tokens:lock:"

// DefaultTTL is the lease of a lock when Options.TTL is zero.
const DefaultTTL = 30 * time.Second

// Options configure New. A nil *Options means the zero value.
type Options struct {
	// Prefix is prepended to the token key to name the lock key. Empty
	// means DefaultPrefix. Processes that share a token must use the same
	// prefix.
	Prefix string
	// TTL is the lease: how long a lock is held at most. Zero means
	// DefaultTTL (30 s). Redis counts it in milliseconds.
	TTL time.Duration
}

// Locker locks token keys in Redis. It is safe for concurrent use.
type Locker struct {
	client goredis.UniversalClient
	prefix string
	ttl    time.Duration
}

var _ tokens.Locker = (*Locker)(nil)

// New returns a Locker over client, which remains the caller's.
func New(client goredis.UniversalClient, opts *Options) (*Locker, error) {
	if client == nil {
		return nil, errors.New("redislock: new: nil client")
	}
	if opts == nil {
		opts = &Options{}
	}
	l := &Locker{client: client, prefix: opts.Prefix, ttl: opts.TTL}
	if l.prefix == "" {
		l.prefix = DefaultPrefix
	}
	if l.ttl == 0 {
		l.ttl = DefaultTTL
	}
	if l.ttl < time.Millisecond {
		return nil, fmt.Errorf("redislock: new: lease %v shorter than a millisecond", l.ttl)
	}
	return l, nil
}

// ForBackend returns a Locker over the client of a Redis backend (the one
// a BackendStore keeps tokens in).
func ForBackend(b *redis.Backend, opts *Options) (*Locker, error) {
	if b == nil {
		return nil, errors.New("redislock: for backend: nil backend")
	}
	return New(b.Client(), opts)
}

// unlockScript deletes the lock key only while it holds the caller's value.
var unlockScript = goredis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
	return redis.call("DEL", KEYS[1])
end
return 0`)

// Lock takes the lock of key, polling until it holds it or ctx ends.
func (l *Locker) Lock(ctx context.Context, key string) (func(context.Context) error, error) {
	name := l.prefix + key
	var id [16]byte
	_, _ = rand.Read(id[:]) // never fails since Go 1.24
	owner := hex.EncodeToString(id[:])
	for attempt := 0; ; attempt++ {
		ok, err := l.client.Do(ctx, "set", name, owner, "px", l.ttl.Milliseconds(), "nx").Text()
		if errors.Is(err, goredis.Nil) {
			ok, err = "", nil
		}
		if err != nil {
			return nil, fmt.Errorf("redislock: lock %q: %w", key, err)
		}
		if ok == "OK" {
			break
		}
		if err := pause(ctx, attempt); err != nil {
			return nil, fmt.Errorf("redislock: lock %q: %w", key, err)
		}
	}
	return func(ctx context.Context) error {
		n, err := unlockScript.Run(ctx, l.client, []string{name}, owner).Int()
		if err != nil {
			return fmt.Errorf("redislock: unlock %q: %w", key, err)
		}
		if n == 0 {
			return fmt.Errorf("redislock: unlock %q: %w", key, tokens.ErrLockLost)
		}
		return nil
	}, nil
}

// pause waits before attempt+1: 10 ms doubling to 500 ms, with jitter.
func pause(ctx context.Context, attempt int) error {
	d := min(10*time.Millisecond<<min(attempt, 6), 500*time.Millisecond)
	t := time.NewTimer(d/2 + mrand.N(d/2+1))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
