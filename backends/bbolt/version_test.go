package bbolt_test

import (
	"context"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/backends/backendtest"
)

// TestVersionMovesOnSweep: beyond the conformance suite's Versioned checks
// (reads leave the count, Set, SetMany, Delete and Clear move it), a Sweep
// that removes an expired value moves it too.
func TestVersionMovesOnSweep(t *testing.T) {
	ctx := context.Background()
	b := open(t, nil)
	backendtest.VersionMoves(t, b, "Set with a TTL that ends at once", func() error { return b.Set(ctx, "c", []byte("4"), time.Nanosecond) })
	backendtest.VersionMoves(t, b, "Sweep that removes it", func() error {
		n, err := b.Sweep(ctx)
		if err == nil && n != 1 {
			t.Fatalf("Sweep removed %d values, want 1", n)
		}
		return err
	})
}
