package memory_test

import (
	"context"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/memory"
)

var _ backends.Evicter = (*memory.Backend)(nil)

func TestEvictions(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		opts memory.Options
		run  func(b *memory.Backend) error
		want int64
	}{
		{
			name: "each entry past max entries is one eviction",
			opts: memory.Options{MaxEntries: 2},
			run: func(b *memory.Backend) error {
				for _, k := range []string{"a", "b", "c", "d"} {
					if err := b.Set(ctx, k, []byte("0123456789"), 0); err != nil {
						return err
					}
				}
				return nil
			},
			want: 2,
		},
		{
			name: "one large value past max bytes evicts several",
			opts: memory.Options{MaxBytes: 33},
			run: func(b *memory.Backend) error {
				for _, k := range []string{"a", "b", "c"} {
					if err := b.Set(ctx, k, []byte("0123456789"), 0); err != nil {
						return err
					}
				}
				return b.Set(ctx, "d", []byte("012345678901234567890"), 0)
			},
			want: 2,
		},
		{
			name: "overwrites, deletes, clears and sweeps are not evictions",
			opts: memory.Options{MaxEntries: 2},
			run: func(b *memory.Backend) error {
				for _, k := range []string{"a", "a", "b"} {
					if err := b.Set(ctx, k, []byte("v"), 0); err != nil {
						return err
					}
				}
				if err := b.Delete(ctx, "a"); err != nil {
					return err
				}
				if err := b.Set(ctx, "gone", []byte("v"), time.Nanosecond); err != nil {
					return err
				}
				time.Sleep(time.Millisecond) // let "gone" expire
				if _, err := b.Sweep(ctx); err != nil {
					return err
				}
				return b.Clear(ctx)
			},
			want: 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := memory.New(tt.opts)
			defer b.Close()
			if err := tt.run(b); err != nil {
				t.Fatal(err)
			}
			if got := b.Evictions(); got != tt.want {
				t.Errorf("Evictions() = %d; want %d", got, tt.want)
			}
		})
	}
}
