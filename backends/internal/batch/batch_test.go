package batch_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/internal/batch"
)

func items(keys ...string) []backends.Item {
	var out []backends.Item
	for i, k := range keys {
		out = append(out, backends.Item{Key: k, Value: []byte(fmt.Sprint(i))})
	}
	return out
}

func TestLastKeepsTheLastOfEachKey(t *testing.T) {
	got := batch.Last(items("a", "b", "a", "c", "b"))
	var desc []string
	for _, it := range got {
		desc = append(desc, it.Key+"="+string(it.Value))
	}
	if want := []string{"a=2", "c=3", "b=4"}; !slices.Equal(desc, want) {
		t.Fatalf("Last = %v, want %v", desc, want)
	}
	in := items("x", "y")
	if out := batch.Last(in); &out[0] != &in[0] {
		t.Fatal("Last copied items without a repeated key")
	}
}

func TestParallelBoundsCallsAndJoinsErrors(t *testing.T) {
	var inFlight, most atomic.Int64
	var mu sync.Mutex
	stored := map[string]string{}
	boom := errors.New("boom")
	err := batch.Parallel(context.Background(), 3, items("a", "b", "c", "d", "e", "f", "a"), func(_ context.Context, it backends.Item) error {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		if it.Key == "c" {
			return boom
		}
		mu.Lock()
		stored[it.Key] = string(it.Value)
		mu.Unlock()
		return nil
	})
	if !errors.Is(err, boom) {
		t.Fatalf("error %v, want it to carry boom", err)
	}
	if most.Load() > 3 {
		t.Fatalf("%d calls in flight, want at most 3", most.Load())
	}
	if len(stored) != 5 || stored["a"] != "6" {
		t.Fatalf("stored %v; want 5 keys, a from its last item", stored)
	}
}

func TestParallelStopsWhenTheContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var calls atomic.Int64
	err := batch.Parallel(ctx, 2, items("a", "b"), func(context.Context, backends.Item) error { calls.Add(1); return nil })
	if !errors.Is(err, context.Canceled) || calls.Load() != 0 {
		t.Fatalf("cancelled: %v after %d calls", err, calls.Load())
	}
	if err := batch.Parallel(context.Background(), 4, nil, nil); err != nil {
		t.Fatalf("no items: %v", err)
	}
}
