package bbolt_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/bbolt"
)

func TestMaxBytes(t *testing.T) {
	ctx := context.Background()
	type set struct {
		key string
		n   int
		ttl time.Duration
	}
	tests := []struct {
		name     string
		max      int64
		sets     []set
		wantKept []string
		wantGone []string
		wantErr  error
	}{
		{
			name:     "oldest written is evicted first",
			max:      30,
			sets:     []set{{"a", 9, 0}, {"b", 9, 0}, {"c", 9, 0}, {"d", 9, 0}},
			wantKept: []string{"b", "c", "d"}, wantGone: []string{"a"},
		},
		{
			name:     "expired values go before older live ones",
			max:      30,
			sets:     []set{{"a", 9, 0}, {"b", 9, time.Nanosecond}, {"c", 9, 0}, {"d", 9, 0}},
			wantKept: []string{"a", "c", "d"}, wantGone: []string{"b"},
		},
		{
			name:     "an overwrite counts once and renews age",
			max:      30,
			sets:     []set{{"a", 9, 0}, {"b", 9, 0}, {"a", 9, 0}, {"a", 9, 0}, {"c", 9, 0}, {"d", 9, 0}},
			wantKept: []string{"a", "c", "d"}, wantGone: []string{"b"},
		},
		{
			name:     "a value over the bound is refused and evicts nothing",
			max:      30,
			sets:     []set{{"a", 9, 0}, {"big", 30, 0}},
			wantKept: []string{"a"}, wantGone: []string{"big"},
			wantErr: backends.ErrTooLarge,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := open(t, &bbolt.Options{MaxBytes: tt.max})
			var err error
			for _, s := range tt.sets {
				if err = b.Set(ctx, s.key, make([]byte, s.n), s.ttl); err != nil {
					break
				}
				time.Sleep(time.Microsecond) // let a 1ns ttl pass
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Set error %v; want %v", err, tt.wantErr)
			}
			for _, k := range tt.wantKept {
				if _, err := b.Get(ctx, k); err != nil {
					t.Errorf("Get(%q) = %v; want kept", k, err)
				}
			}
			for _, k := range tt.wantGone {
				if _, err := b.Get(ctx, k); !errors.Is(err, backends.ErrNotFound) {
					t.Errorf("Get(%q) = %v; want evicted", k, err)
				}
			}
			n := 0
			for _, err := range b.Scan(ctx) {
				if err != nil {
					t.Fatal(err)
				}
				n++
			}
			if n != len(tt.wantKept) {
				t.Errorf("Scan yielded %d entries; want %d", n, len(tt.wantKept))
			}
		})
	}
}

// TestBoundAddedLater checks the size bound's bookkeeping is rebuilt when a
// file used without a bound is opened with one.
func TestBoundAddedLater(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cache.db")
	phase := func(maxBytes int64, do func(b *bbolt.Backend)) {
		t.Helper()
		b, err := bbolt.Open(path, &bbolt.Options{MaxBytes: maxBytes, NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		do(b)
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
	}
	set := func(b *bbolt.Backend, k string, n int) {
		t.Helper()
		if err := b.Set(ctx, k, make([]byte, n), 0); err != nil {
			t.Fatal(err)
		}
	}
	phase(1<<20, func(b *bbolt.Backend) {
		for _, k := range []string{"a", "b", "c", "d", "e"} {
			set(b, k, 99) // 100 bytes with the key
		}
	})
	phase(0, func(b *bbolt.Backend) {
		if err := b.Delete(ctx, "a"); err != nil {
			t.Fatal(err)
		}
		// Rewritten in place without a bound: 200 bytes now, and still
		// the oldest.
		set(b, "b", 199)
		set(b, "f", 99)
	})
	// Stored: b, c, d, e, f (oldest first) = 600 bytes. A bound of 650
	// and 100 more bytes must evict exactly b, and only if the rebuilt
	// count has b's new size.
	phase(650, func(b *bbolt.Backend) {
		set(b, "g", 99)
		for _, tt := range []struct {
			key  string
			kept bool
		}{{"a", false}, {"b", false}, {"c", true}, {"d", true}, {"e", true}, {"f", true}, {"g", true}} {
			_, err := b.Get(ctx, tt.key)
			if (err == nil) != tt.kept {
				t.Errorf("Get(%q) = %v; want kept=%v", tt.key, err, tt.kept)
			}
		}
	})
}

// TestMaxBytesHoldsUnderLoad checks the byte count stays exact through
// concurrent overwrites, deletes and evictions: after them all, refilling
// with distinct keys must evict down to the bound and not below it.
func TestMaxBytesHoldsUnderLoad(t *testing.T) {
	ctx := context.Background()
	const bound = 64 << 10
	b := open(t, &bbolt.Options{MaxBytes: bound, NoSync: true})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				k := fmt.Sprint("k", (g*7+i)%50)
				if i%5 == 4 {
					if err := b.Delete(ctx, k); err != nil {
						t.Error(err)
					}
				} else if err := b.Set(ctx, k, make([]byte, 100+i*13%2000), 0); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if err := b.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range 200 {
		if err := b.Set(ctx, fmt.Sprint("fill-", i), make([]byte, 1000-len(fmt.Sprint("fill-", i))), 0); err != nil {
			t.Fatal(err)
		}
	}
	var total int64
	for e, err := range b.Scan(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		total += int64(len(e.Key)) + e.Size
	}
	if total > bound || total < bound-1000 {
		t.Errorf("stored %d bytes after filling past the %d bound; want within one value of it", total, bound)
	}
}
