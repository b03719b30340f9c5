package lifecycle

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/cachedhttp/cachedhttp/backends"
)

// State is a backend's open or closed state. The zero value is open; it is
// safe for concurrent use.
type State struct {
	closed atomic.Bool
}

// Check returns the error an operation must fail with before it starts: one
// matching backends.ErrClosed after Close, else the error of ctx when it is
// done, else nil. Closed comes first: it is the state that lasts.
func (s *State) Check(ctx context.Context) error {
	if s.closed.Load() {
		return backends.ErrClosed
	}
	return ctx.Err()
}

// Begin is Check with the failing operation named the way the backends name
// it: op (for example "mongodb get") followed by the quoted key.
func (s *State) Begin(ctx context.Context, op, key string) error {
	if err := s.Check(ctx); err != nil {
		return fmt.Errorf("%s %q: %w", op, key, err)
	}
	return nil
}

// BeginMany is Begin for an operation on several keys, named by
// DescribeKeys.
func (s *State) BeginMany(ctx context.Context, op string, keys []string) error {
	if err := s.Check(ctx); err != nil {
		return fmt.Errorf("%s %s: %w", op, DescribeKeys(keys), err)
	}
	return nil
}

// Close marks the state closed and reports whether it was open, so that a
// backend releases its resources once and answers a second Close with
// backends.ErrClosed.
func (s *State) Close() bool {
	return !s.closed.Swap(true)
}

// Closed reports whether Close was called.
func (s *State) Closed() bool {
	return s.closed.Load()
}

// DescribeKeys names the keys of a multi-key operation in an error: the
// first key quoted and how many more there are.
func DescribeKeys(keys []string) string {
	switch len(keys) {
	case 0:
		return "(no keys)"
	case 1:
		return fmt.Sprintf("%q", keys[0])
	default:
		return fmt.Sprintf("%q and %d more", keys[0], len(keys)-1)
	}
}
