package redis

import (
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Defaults of the client a DSN opens. go-redis's own defaults suit a
// database (a 5 s dial retried five times, 3 s reads, three retries, and
// the caller's context deadline ignored while a reply is read); a cache
// must rather give up fast, since a miss only costs the origin request.
// A client passed to New keeps the options its maker gave it.
const (
	// DefaultDialTimeout bounds connecting to a server (dial_timeout).
	DefaultDialTimeout = time.Second
	// DefaultReadTimeout and DefaultWriteTimeout bound each socket read
	// and write (read_timeout, write_timeout).
	DefaultReadTimeout  = 500 * time.Millisecond
	DefaultWriteTimeout = 500 * time.Millisecond
	// DefaultPoolTimeout bounds the wait for a free connection when all
	// are busy (pool_timeout).
	DefaultPoolTimeout = time.Second
	// DefaultMaxRetries is how often a command is retried after a network
	// error (max_retries): once, so that a connection a restarted server
	// closed does not fail the first request after the restart.
	DefaultMaxRetries = 1
	// DefaultDialAttempts is how many times one connection is dialed
	// before the dial fails (dialer_retries).
	DefaultDialAttempts = 1
)

// timeouts are the DSN parameters that bound how long a client waits; this
// package reads them for every kind of client (go-redis reads a different
// set for each, and none lets a DSN turn on ContextTimeoutEnabled for a
// single server or a cluster).
type timeouts struct {
	dial, read, write, pool time.Duration
	maxRetries              int
	dialAttempts            int
	contextTimeout          bool
}

func defaultTimeouts() timeouts {
	return timeouts{
		dial: DefaultDialTimeout, read: DefaultReadTimeout, write: DefaultWriteTimeout, pool: DefaultPoolTimeout,
		maxRetries: DefaultMaxRetries, dialAttempts: DefaultDialAttempts, contextTimeout: true,
	}
}

// takeTimeouts removes the timeout parameters from q and returns them over
// the defaults.
func takeTimeouts(q url.Values) (timeouts, error) {
	t := defaultTimeouts()
	for name, d := range map[string]*time.Duration{"dial_timeout": &t.dial, "read_timeout": &t.read, "write_timeout": &t.write, "pool_timeout": &t.pool} {
		if !q.Has(name) {
			continue
		}
		v, err := parseTimeout(take(q, name))
		if err != nil {
			return t, fmt.Errorf("redis dsn: %s: %w", name, err)
		}
		*d = v
	}
	for name, n := range map[string]*int{"max_retries": &t.maxRetries, "dialer_retries": &t.dialAttempts} {
		if !q.Has(name) {
			continue
		}
		s := take(q, name)
		v, err := strconv.Atoi(s)
		if err != nil || v < -1 || (name == "dialer_retries" && v < 1) {
			return t, fmt.Errorf("redis dsn: %s=%q: want an integer (max_retries: -1 for none; dialer_retries: 1 or more)", name, s)
		}
		*n = v
	}
	if q.Has("context_timeout_enabled") {
		s := take(q, "context_timeout_enabled")
		on, err := strconv.ParseBool(s)
		if err != nil {
			return t, fmt.Errorf("redis dsn: context_timeout_enabled=%q: %w", s, err)
		}
		t.contextTimeout = on
	}
	return t, nil
}

// parseTimeout reads a timeout as go-redis does: a Go duration ("500ms")
// or whole seconds ("2"); zero or less means none (go-redis's -1).
func parseTimeout(s string) (time.Duration, error) {
	if n, err := strconv.Atoi(s); err == nil {
		switch {
		case n <= 0:
			return -1, nil
		case n > int(math.MaxInt64/time.Second):
			return 0, fmt.Errorf("%d seconds is too long", n)
		}
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, err
	}
	if d <= 0 {
		return -1, nil
	}
	return d, nil
}

// The three kinds of client options share their timeout fields; apply sets
// them on whichever the DSN named.

func (t timeouts) applySingle(o *goredis.Options) {
	o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout = t.dial, t.read, t.write, t.pool
	o.MaxRetries, o.DialerRetries, o.ContextTimeoutEnabled = t.maxRetries, t.dialAttempts, t.contextTimeout
}

func (t timeouts) applyCluster(o *goredis.ClusterOptions) {
	o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout = t.dial, t.read, t.write, t.pool
	o.MaxRetries, o.DialerRetries, o.ContextTimeoutEnabled = t.maxRetries, t.dialAttempts, t.contextTimeout
}

func (t timeouts) applyFailover(o *goredis.FailoverOptions) {
	o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout = t.dial, t.read, t.write, t.pool
	o.MaxRetries, o.DialerRetries, o.ContextTimeoutEnabled = t.maxRetries, t.dialAttempts, t.contextTimeout
}
