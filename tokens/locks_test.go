package tokens_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cachedhttp/cachedhttp/backends/backendtest"
	"github.com/cachedhttp/cachedhttp/tokens"
	"github.com/cachedhttp/cachedhttp/tokens/dynamolock"
	"github.com/cachedhttp/cachedhttp/tokens/redislock"
)

// lockerFactories return two lockers on the same lock space (as two
// processes would have), with the given leases where the locker has them.
func lockerFactories() map[string]func(t *testing.T, leaseA, leaseB time.Duration) (a, b tokens.Locker, leased bool) {
	return map[string]func(t *testing.T, leaseA, leaseB time.Duration) (tokens.Locker, tokens.Locker, bool){
		"redis": func(t *testing.T, leaseA, leaseB time.Duration) (tokens.Locker, tokens.Locker, bool) {
			prefix := "tokens-test-lock:" + uniq() + ":"
			return mustRedisLocker(t, newRedisClient(t), &redislock.Options{Prefix: prefix, TTL: leaseA}),
				mustRedisLocker(t, newRedisClient(t), &redislock.Options{Prefix: prefix, TTL: leaseB}), true
		},
		"redis cluster": func(t *testing.T, leaseA, leaseB time.Duration) (tokens.Locker, tokens.Locker, bool) {
			addrs := strings.Split(backendtest.Service(t, "CACHEDHTTP_REDIS_CLUSTER"), ",")
			c := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: addrs})
			t.Cleanup(func() { _ = c.Close() })
			prefix := "tokens-test-lock:" + uniq() + ":"
			return mustRedisLocker(t, c, &redislock.Options{Prefix: prefix, TTL: leaseA}),
				mustRedisLocker(t, c, &redislock.Options{Prefix: prefix, TTL: leaseB}), true
		},
		"dynamodb": func(t *testing.T, leaseA, leaseB time.Duration) (tokens.Locker, tokens.Locker, bool) {
			b, _ := newDynamoBackend(t)
			mk := func(lease time.Duration) tokens.Locker {
				l, err := dynamolock.ForBackend(b, &dynamolock.Options{TTL: lease})
				if err != nil {
					t.Fatal(err)
				}
				return l
			}
			return mk(leaseA), mk(leaseB), true
		},
		"file (flock)": func(t *testing.T, _, _ time.Duration) (tokens.Locker, tokens.Locker, bool) {
			dir := t.TempDir()
			mk := func() tokens.Locker {
				s, err := tokens.NewFileStore(dir, nil)
				if err != nil {
					t.Fatal(err)
				}
				return s
			}
			return mk(), mk(), false
		},
	}
}

func mustRedisLocker(t *testing.T, c goredis.UniversalClient, opts *redislock.Options) *redislock.Locker {
	t.Helper()
	l, err := redislock.New(c, opts)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestLockers(t *testing.T) {
	for name, open := range lockerFactories() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			a, b, _ := open(t, time.Minute, time.Minute)
			ctx := t.Context()
			unlockA, err := a.Lock(ctx, "alice")
			if err != nil {
				t.Fatal(err)
			}
			// Held: another holder waits until its context ends.
			short, cancel := context.WithTimeout(ctx, 150*time.Millisecond)
			_, err = b.Lock(short, "alice")
			cancel()
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Lock of a held lock: %v, want DeadlineExceeded", err)
			}
			// Other keys are free.
			unlockOther, err := b.Lock(ctx, "bob")
			if err != nil {
				t.Fatal(err)
			}
			if err := unlockOther(ctx); err != nil {
				t.Fatal(err)
			}
			// Released: the waiter gets it.
			got := make(chan error, 1)
			var unlockB func(context.Context) error
			go func() {
				var err error
				unlockB, err = b.Lock(ctx, "alice")
				got <- err
			}()
			if err := unlockA(ctx); err != nil {
				t.Fatal(err)
			}
			if err := <-got; err != nil {
				t.Fatal(err)
			}
			if err := unlockB(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// A lease that runs out frees the lock for another holder, and the first
// holder's unlock then reports ErrLockLost without releasing the lock the
// other holds.
func TestLockLeaseExpiry(t *testing.T) {
	for name, open := range lockerFactories() {
		a, b, leased := open(t, 100*time.Millisecond, time.Minute)
		if !leased {
			continue // flock is released by its holder or its exit only
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			unlockA, err := a.Lock(ctx, "k")
			if err != nil {
				t.Fatal(err)
			}
			unlockB, err := b.Lock(ctx, "k") // waits for the lease to run out
			if err != nil {
				t.Fatal(err)
			}
			if err := unlockA(ctx); !errors.Is(err, tokens.ErrLockLost) {
				t.Fatalf("unlock after the lease: %v, want ErrLockLost", err)
			}
			// A's unlock left B's lock (one-minute lease) in place.
			if err := unlockB(ctx); err != nil {
				t.Fatalf("unlock by the holder: %v", err)
			}
		})
	}
}

func TestLockerConstructors(t *testing.T) {
	if _, err := redislock.New(nil, nil); err == nil {
		t.Error("redislock.New(nil): no error")
	}
	if _, err := redislock.New(newRedisClient(t), &redislock.Options{TTL: time.Microsecond}); err == nil {
		t.Error("redislock.New with a sub-millisecond lease: no error")
	}
	if _, err := redislock.ForBackend(nil, nil); err == nil {
		t.Error("redislock.ForBackend(nil): no error")
	}
	if _, err := dynamolock.New(nil, "t", nil); err == nil {
		t.Error("dynamolock.New(nil): no error")
	}
	if _, err := dynamolock.New(newDynamoClient(t), "", nil); err == nil {
		t.Error("dynamolock.New with no table: no error")
	}
	if _, err := dynamolock.ForBackend(nil, nil); err == nil {
		t.Error("dynamolock.ForBackend(nil): no error")
	}
	s, err := tokens.NewFileStore(filepath.Join(t.TempDir(), "d"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Lock(t.Context(), "a/b"); !errors.Is(err, tokens.ErrInvalidKey) {
		t.Errorf("FileStore.Lock of a bad key: %v", err)
	}
}

// Lock items leave a dynamodb backend's keys alone: Scan does not list
// them.
func TestDynamoLockItemsHiddenFromBackend(t *testing.T) {
	b, _ := newDynamoBackend(t)
	l, err := dynamolock.ForBackend(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Set(t.Context(), "value", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	unlock, err := l.Lock(t.Context(), "value")
	if err != nil {
		t.Fatal(err)
	}
	defer unlock(t.Context())
	var keys []string
	for e, err := range b.Scan(t.Context()) {
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, e.Key)
	}
	if len(keys) != 1 || keys[0] != "value" {
		t.Fatalf("Scan lists %q", keys)
	}
	if v, err := b.Get(t.Context(), "value"); err != nil || string(v) != "v" {
		t.Fatalf("Get: %q, %v", v, err)
	}
}
