package bbolt_test

import (
	"context"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/backends"
)

// TestVersionMovesOnEveryWrite pins backends.Versioned: reads leave the
// count alone, every kind of write moves it.
func TestVersionMovesOnEveryWrite(t *testing.T) {
	ctx := context.Background()
	b := open(t, nil)
	v := b.Version()
	step := func(what string, f func() error) {
		t.Helper()
		if err := f(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if nv := b.Version(); nv == v {
			t.Fatalf("%s: version still %d", what, v)
		} else {
			v = nv
		}
	}
	step("Set", func() error { return b.Set(ctx, "a", []byte("1"), time.Hour) })
	if _, err := b.Get(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get(ctx, "missing"); err == nil {
		t.Fatal("Get of a missing key succeeded")
	}
	if b.Version() != v {
		t.Fatal("a Get moved the version")
	}
	step("SetMany", func() error {
		return b.SetMany(ctx, []backends.Item{{Key: "b", Value: []byte("2")}, {Key: "a", Value: []byte("3")}})
	})
	step("Delete", func() error { return b.Delete(ctx, "a") })
	step("Set with a TTL that ends at once", func() error { return b.Set(ctx, "c", []byte("4"), time.Nanosecond) })
	step("Sweep that removes it", func() error {
		n, err := b.Sweep(ctx)
		if err == nil && n != 1 {
			t.Fatalf("Sweep removed %d values, want 1", n)
		}
		return err
	})
	step("Clear", func() error { return b.Clear(ctx) })
}
