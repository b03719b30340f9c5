package memory_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/backends/backendtest"
	"github.com/cachedhttp/cachedhttp/backends/memory"
)

// TestVersionMovesOnEveryChange: beyond the conformance suite's Versioned
// checks (reads leave the count, Set, Delete and Clear move it), every
// other change of the memory store moves it: Add, Incr, an eviction, an
// expired entry removed on access, Close; a refused Add and a Delete of a
// missing key leave it.
func TestVersionMovesOnEveryChange(t *testing.T) {
	ctx := context.Background()
	b := memory.New(memory.Options{MaxEntries: 2})
	moves := func(what string, f func() error) { t.Helper(); backendtest.VersionMoves(t, b, what, f) }
	stays := func(what string, f func() error) { t.Helper(); backendtest.VersionStays(t, b, what, f) }
	moves("Set", func() error { return b.Set(ctx, "a", []byte("1"), time.Hour) })
	moves("Add", func() error { _, err := b.Add(ctx, "b", []byte("3"), time.Hour); return err })
	stays("a refused Add", func() error {
		if ok, err := b.Add(ctx, "b", []byte("4"), time.Hour); ok || err != nil {
			t.Fatalf("Add over a live value = %v, %v", ok, err)
		}
		return nil
	})
	moves("Set that evicts", func() error { return b.Set(ctx, "c", []byte("5"), time.Hour) })
	if b.Evictions() != 1 {
		t.Fatalf("Evictions = %d, want 1", b.Evictions())
	}
	moves("Incr", func() error { _, err := b.Incr(ctx, "n", 1, time.Hour); return err })
	stays("a Delete of a missing key", func() error { return b.Delete(ctx, "never-stored") })
	moves("Set with a TTL that ends at once", func() error { return b.Set(ctx, "x", []byte("6"), time.Nanosecond) })
	time.Sleep(time.Millisecond) // the store reads the wall clock
	moves("Get that finds it expired and removes it", func() error {
		if _, err := b.Get(ctx, "x"); err == nil {
			t.Fatal("an expired value was returned")
		}
		return nil
	})
	moves("Close", b.Close)
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
