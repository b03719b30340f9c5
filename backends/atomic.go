package backends

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"
)

// Adder is implemented by backends that can store a value only when its key
// holds none, as one atomic step (Redis SET NX, memcached add, a DynamoDB
// conditional write). The key-value cache (package kv) uses it for Add and
// falls back to a read then a write, which is not atomic, when a backend
// does not implement it.
type Adder interface {
	// Add stores value under key with ttl (zero or less: no expiry) unless
	// the key holds a live value, and reports whether it stored it. An
	// expired value counts as absent and is replaced. Of concurrent Add
	// calls for one absent key, exactly one returns true, in every process
	// sharing the store. A false result is not an error. The value is
	// readable with Get like one stored by Set.
	Add(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error)
}

// Incrementer is implemented by backends that can add to an integer stored
// under a key as one atomic step (Redis INCRBY, a compare-and-swap loop on
// memcached or DynamoDB, a transaction on bbolt).
//
// A counter is an ordinary value holding the integer in canonical decimal
// ASCII, as strconv.FormatInt writes it ("42", "-7"; not "+7" or "007"),
// so Get returns it readable and a value stored by Set in that form can be
// incremented.
type Incrementer interface {
	// Incr adds delta (which may be negative) to the integer stored under
	// key and returns the result. A key that is absent or expired counts as
	// 0 and is created with ttl (zero or less: no expiry); an existing
	// key keeps its expiry and ttl is ignored, as with Redis INCRBY, so
	// that a counter of requests per window expires at the end of its
	// window however often it is incremented. A stored value that is not a
	// decimal int64, or a result that would overflow int64, fails with an
	// error matching ErrNotInteger and changes nothing. Concurrent Incr
	// calls for one key lose no update, in every process sharing the store.
	Incr(ctx context.Context, key string, delta int64, ttl time.Duration) (int64, error)
}

// Increment returns the integer that Incr stores when it adds delta to the
// stored value v: v parsed as a canonical decimal int64 plus delta. It
// fails with an error matching ErrNotInteger when v is not one or the sum
// overflows. It is a helper for implementations of Incrementer (and for
// callers that emulate one); an absent key needs no call, as it counts as 0.
func Increment(v []byte, delta int64) (int64, error) {
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil || len(v) != len(strconv.AppendInt(make([]byte, 0, 20), n, 10)) {
		// Only the canonical form ("7", not "+7" or "007"), as Redis
		// reads it, so that every store accepts the same values.
		return 0, fmt.Errorf("stored value %.32q: %w", v, ErrNotInteger)
	}
	if (delta > 0 && n > math.MaxInt64-delta) || (delta < 0 && n < math.MinInt64-delta) {
		return 0, fmt.Errorf("%d%+d overflows int64: %w", n, delta, ErrNotInteger)
	}
	return n + delta, nil
}
