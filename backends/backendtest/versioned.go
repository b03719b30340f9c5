package backendtest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/backends"
)

// VersionMoves runs f, which must succeed, and fails t unless b's Version
// changed: the backends.Versioned contract for a change of a stored value.
func VersionMoves(t testing.TB, b backends.Versioned, what string, f func() error) {
	t.Helper()
	v := b.Version()
	if err := f(); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if b.Version() == v {
		t.Fatalf("%s: version still %d", what, v)
	}
}

// VersionStays runs f, which must succeed, and fails t if b's Version
// changed: reads must leave it alone.
func VersionStays(t testing.TB, b backends.Versioned, what string, f func() error) {
	t.Helper()
	v := b.Version()
	if err := f(); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if nv := b.Version(); nv != v {
		t.Fatalf("%s moved the version from %d to %d", what, v, nv)
	}
}

// versioned checks backends.Versioned, for stores that implement it: reads
// leave the count alone, every change of a stored value moves it. Stores
// check their own other changes (evictions, sweeps) with VersionMoves.
func (s *suite) versioned(t *testing.T) {
	b := s.newBackend(t)
	vb, ok := b.(backends.Versioned)
	if !ok {
		return // optional interface: nothing to check
	}
	ctx := context.Background()
	get := func(key string, wantMiss bool) func() error {
		return func() error {
			_, err := b.Get(ctx, key)
			if wantMiss && errors.Is(err, backends.ErrNotFound) {
				return nil
			}
			return err
		}
	}
	VersionMoves(t, vb, "Set", func() error { return b.Set(ctx, "v-a", []byte("1"), time.Hour) })
	VersionStays(t, vb, "a Get", get("v-a", false))
	VersionStays(t, vb, "a Get of a missing key", get("v-missing", true))
	VersionMoves(t, vb, "Set over a stored value", func() error { return b.Set(ctx, "v-a", []byte("2"), time.Hour) })
	if bt, ok := b.(backends.Batcher); ok {
		VersionMoves(t, vb, "SetMany", func() error {
			return bt.SetMany(ctx, []backends.Item{{Key: "v-b", Value: []byte("3")}, {Key: "v-a", Value: []byte("4")}})
		})
	}
	VersionMoves(t, vb, "Delete of a stored key", func() error { return b.Delete(ctx, "v-a") })
	VersionMoves(t, vb, "Clear", func() error { return b.Clear(ctx) })
}
