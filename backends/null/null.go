// Package null is a cachedhttp backend that stores nothing: every Get
// misses and every Set succeeds without keeping the value. It turns caching
// off without changing the code that uses a cache, and measures the cost of
// the cache machinery itself.
//
// The DSN form is null:// (no parameters).
package null

import (
	"context"
	"fmt"
	"iter"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/cachedhttp/cachedhttp/backends"
)

// Backend stores nothing. It is safe for concurrent use; its zero value is
// ready to use.
type Backend struct {
	closed atomic.Bool
}

// New returns a Backend.
func New() *Backend { return &Backend{} }

func init() {
	backends.Register("null", open)
}

// open is the backends.Factory for null://.
func open(_ context.Context, dsn *url.URL) (backends.Backend, error) {
	for name := range dsn.Query() {
		return nil, fmt.Errorf("null: unknown DSN parameter %q (null:// takes none)", name)
	}
	if dsn.Host != "" || (dsn.Path != "" && dsn.Path != "/") {
		return nil, fmt.Errorf("null: DSN %q has a host or path; want null://", dsn.Redacted())
	}
	return New(), nil
}

func (b *Backend) check(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if b.closed.Load() {
		return backends.ErrClosed
	}
	return nil
}

// Get always misses.
func (b *Backend) Get(ctx context.Context, key string) ([]byte, error) {
	if err := b.check(ctx); err != nil {
		return nil, fmt.Errorf("null get %q: %w", key, err)
	}
	return nil, fmt.Errorf("null get %q: %w", key, backends.ErrNotFound)
}

// Set discards value.
func (b *Backend) Set(ctx context.Context, key string, _ []byte, _ time.Duration) error {
	if err := b.check(ctx); err != nil {
		return fmt.Errorf("null set %q: %w", key, err)
	}
	return nil
}

// Delete does nothing.
func (b *Backend) Delete(ctx context.Context, keys ...string) error {
	if err := b.check(ctx); err != nil {
		return fmt.Errorf("null delete %q: %w", keys, err)
	}
	return nil
}

// Scan yields nothing.
func (b *Backend) Scan(ctx context.Context) iter.Seq2[backends.Entry, error] {
	return func(yield func(backends.Entry, error) bool) {
		if err := b.check(ctx); err != nil {
			yield(backends.Entry{}, fmt.Errorf("null scan: %w", err))
		}
	}
}

// Clear does nothing.
func (b *Backend) Clear(ctx context.Context) error {
	if err := b.check(ctx); err != nil {
		return fmt.Errorf("null clear: %w", err)
	}
	return nil
}

// Close makes later calls return backends.ErrClosed.
func (b *Backend) Close() error {
	if b.closed.Swap(true) {
		return fmt.Errorf("null close: %w", backends.ErrClosed)
	}
	return nil
}
