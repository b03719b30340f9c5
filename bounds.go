package cachedhttp

import "time"

// The options that bound what a backend can cost a request: a budget per
// backend call, a circuit breaker, and timeouts for opening and closing.
// A cache must never be worse than no cache: with the store slow, hung or
// down, a request costs at most the budget more than without a cache while
// the breaker is closed, and nothing more once it is open.

// Default budgets for stores that are not backends.Local (network stores).
// Local stores (memory, bbolt, filesystem) are called without a budget.
const (
	// DefaultReadBudget bounds a backend call on the request path (Get,
	// and the Delete of an invalidation).
	DefaultReadBudget = 300 * time.Millisecond
	// DefaultWriteBudget bounds a write behind the caller (one Set, or
	// one batch of queued writes).
	DefaultWriteBudget = 2 * time.Second
)

// WithBackendBudget sets the budgets of backend calls for network stores:
// read for calls on the request path (the caller's own deadline applies
// too, whichever ends first), write for writes made behind the caller. A
// call that runs past its budget is abandoned and counts as a failure for
// the circuit breaker; the request goes on as a miss. Values larger than a
// store's normal latency for your largest values are right: a budget too
// small turns hits on large values into misses.
func WithBackendBudget(read, write time.Duration) Option {
	return func(c *config) {
		if read <= 0 || write <= 0 {
			c.fail("WithBackendBudget(%v, %v): want durations > 0", read, write)
			return
		}
		c.readBudget, c.writeBudget = read, write
	}
}

// WithBreaker sets the circuit breaker: after threshold consecutive failed
// or timed-out backend calls, the Transport stops calling the backend for
// backoff (doubling while probes fail, up to 30 s) and serves from the
// origin at no-cache cost; then one probe call decides whether to close
// again. Default 5 failures and 1 s. A threshold of 0 disables the breaker.
func WithBreaker(threshold int, backoff time.Duration) Option {
	return func(c *config) {
		if threshold < 0 || (threshold > 0 && backoff <= 0) {
			c.fail("WithBreaker(%d, %v): want a threshold >= 0 and a backoff > 0", threshold, backoff)
			return
		}
		c.breakerThreshold, c.breakerBackoff = threshold, backoff
	}
}

// WithOpenTimeout bounds opening the backend named by WithBackendDSN
// (connecting, creating indexes or tables); default 5 s. A store that cannot
// be reached in that time leaves the Transport serving plain HTTP while it
// retries in the background (with a log line), unless WithRequireBackend.
func WithOpenTimeout(d time.Duration) Option {
	return func(c *config) {
		if d <= 0 {
			c.fail("WithOpenTimeout(%v): want a duration > 0", d)
			return
		}
		c.openTimeout = d
	}
}

// WithRequireBackend makes NewTransport and NewSession fail when the backend
// named by WithBackendDSN cannot be opened, instead of serving uncached and
// retrying in the background.
func WithRequireBackend() Option {
	return func(c *config) { c.requireBackend = true }
}

// WithCloseTimeout bounds Close (default 10 s): queued writes are flushed
// while it lasts and dropped after it. Shutdown takes a context instead.
func WithCloseTimeout(d time.Duration) Option {
	return func(c *config) {
		if d <= 0 {
			c.fail("WithCloseTimeout(%v): want a duration > 0", d)
			return
		}
		c.closeTimeout = d
	}
}
