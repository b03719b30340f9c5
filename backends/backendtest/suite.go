package backendtest

import (
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/backends"
)

// Options describe what a backend can hold, so the suite tests its limits.
type Options struct {
	// MaxValue is the largest value the backend stores; zero means at least
	// 20 MiB. Values above it must fail with an error matching
	// backends.ErrTooLarge and store nothing.
	MaxValue int
	// TTLGranularity is the smallest TTL the store honours natively (for
	// example one second for memcached); zero means one millisecond.
	TTLGranularity time.Duration
}

// Run runs the conformance suite. newBackend returns a new, empty backend
// (in its own namespace for shared servers) and registers its cleanup with
// t.Cleanup.
func Run(t *testing.T, newBackend func(t *testing.T) backends.Backend, opts Options) {
	t.Helper()
	// TODO(backends helper): implement.
	_ = newBackend
	_ = opts
}
