package memory_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/backends/memory"
)

// TestVersionMovesOnEveryChange pins backends.Versioned for the memory
// store: reads leave the count alone; every change of a stored value
// moves it, evictions and expired entries removed on access included.
func TestVersionMovesOnEveryChange(t *testing.T) {
	ctx := context.Background()
	b := memory.New(memory.Options{MaxEntries: 2})
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
	same := func(what string) {
		t.Helper()
		if b.Version() != v {
			t.Fatalf("%s moved the version", what)
		}
	}
	step("Set", func() error { return b.Set(ctx, "a", []byte("1"), time.Hour) })
	if _, err := b.Get(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get(ctx, "missing"); err == nil {
		t.Fatal("Get of a missing key succeeded")
	}
	same("a Get")
	step("Set again", func() error { return b.Set(ctx, "a", []byte("2"), time.Hour) })
	step("Add", func() error { _, err := b.Add(ctx, "b", []byte("3"), time.Hour); return err })
	if ok, _ := b.Add(ctx, "b", []byte("4"), time.Hour); ok {
		t.Fatal("Add over a live value succeeded")
	}
	same("a refused Add")
	step("Set that evicts", func() error { return b.Set(ctx, "c", []byte("5"), time.Hour) })
	if b.Evictions() != 1 {
		t.Fatalf("Evictions = %d, want 1", b.Evictions())
	}
	step("Incr", func() error { _, err := b.Incr(ctx, "n", 1, time.Hour); return err })
	step("Delete", func() error { return b.Delete(ctx, "c") })
	if err := b.Delete(ctx, "never-stored"); err != nil {
		t.Fatal(err)
	}
	same("a Delete of a missing key")
	step("Set with a TTL that ends at once", func() error { return b.Set(ctx, "x", []byte("6"), time.Nanosecond) })
	time.Sleep(time.Millisecond) // the store reads the wall clock
	step("Get that finds it expired and removes it", func() error {
		if _, err := b.Get(ctx, "x"); err == nil {
			t.Fatal("an expired value was returned")
		}
		return nil
	})
	step("Clear", func() error { return b.Clear(ctx) })
	step("Close", b.Close)
}

// TestVersionReadWhileWriting: under -race, Version is read while values
// change, and a reader that saw version v and then read a value finds the
// version moved once the value it read is replaced.
func TestVersionReadWhileWriting(t *testing.T) {
	ctx := context.Background()
	b := memory.New(memory.Options{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 1000 {
			_ = b.Set(ctx, "k", []byte{byte(i)}, time.Hour)
		}
	}()
	for range 1000 {
		v := b.Version()
		got, err := b.Get(ctx, "k")
		if err != nil {
			continue
		}
		if now, _ := b.Get(ctx, "k"); string(now) != string(got) && b.Version() == v {
			t.Fatal("the value changed and the version did not")
		}
	}
	wg.Wait()
}
