package memory_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/backendtest"
	"github.com/cachedhttp/cachedhttp/backends/memory"
)

func newBackend(t *testing.T) backends.Backend {
	b := memory.New(memory.Options{MaxBytes: 256 << 20})
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// The backend implements the atomic interfaces: the suite runs their
// checks only for a backend that does, so a lost method must not pass
// unnoticed.
var _ interface {
	backends.Adder
	backends.Incrementer
} = (*memory.Backend)(nil)

func TestConformance(t *testing.T) {
	backendtest.Run(t, newBackend, backendtest.Options{})
}

func TestConformanceWithByteBound(t *testing.T) {
	backendtest.Run(t, func(t *testing.T) backends.Backend {
		b := memory.New(memory.Options{MaxBytes: 1 << 20})
		t.Cleanup(func() { _ = b.Close() })
		return b
	}, backendtest.Options{MaxValue: 1<<20 - len("round-trip-1048577")})
}

func TestBounds(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name      string
		opts      memory.Options
		sets      []string // keys set in order, each with a 10-byte value
		gets      []string // keys read (made recently used) after the sets
		then      []string // keys set after the gets
		wantKept  []string
		wantGone  []string
		wantBytes int64
	}{
		{
			name:     "max entries evicts the least recently set",
			opts:     memory.Options{MaxEntries: 2},
			sets:     []string{"a", "b", "c"},
			wantKept: []string{"b", "c"}, wantGone: []string{"a"}, wantBytes: 22,
		},
		{
			name:     "a get makes an entry recently used",
			opts:     memory.Options{MaxEntries: 2},
			sets:     []string{"a", "b"},
			gets:     []string{"a"},
			then:     []string{"c"},
			wantKept: []string{"a", "c"}, wantGone: []string{"b"}, wantBytes: 22,
		},
		{
			name:     "max bytes counts key and value",
			opts:     memory.Options{MaxBytes: 33},
			sets:     []string{"a", "b", "c", "d"},
			wantKept: []string{"b", "c", "d"}, wantGone: []string{"a"}, wantBytes: 33,
		},
		{
			name:     "overwrite does not count twice",
			opts:     memory.Options{MaxBytes: 22},
			sets:     []string{"a", "b", "a", "a"},
			wantKept: []string{"a", "b"}, wantBytes: 22,
		},
		{
			name:     "negative max bytes is unbounded",
			opts:     memory.Options{MaxBytes: -1},
			sets:     []string{"a", "b", "c"},
			wantKept: []string{"a", "b", "c"}, wantBytes: 33,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := memory.New(tt.opts)
			for _, k := range tt.sets {
				if err := b.Set(ctx, k, []byte("0123456789"), 0); err != nil {
					t.Fatal(err)
				}
			}
			for _, k := range tt.gets {
				if _, err := b.Get(ctx, k); err != nil {
					t.Fatal(err)
				}
			}
			for _, k := range tt.then {
				if err := b.Set(ctx, k, []byte("0123456789"), 0); err != nil {
					t.Fatal(err)
				}
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
			if got := b.Bytes(); got != tt.wantBytes {
				t.Errorf("Bytes() = %d; want %d", got, tt.wantBytes)
			}
			if got := b.Len(); got != len(tt.wantKept) {
				t.Errorf("Len() = %d; want %d", got, len(tt.wantKept))
			}
		})
	}
}

func TestTooLargeKeepsOthers(t *testing.T) {
	ctx := context.Background()
	b := memory.New(memory.Options{MaxBytes: 100})
	if err := b.Set(ctx, "small", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	err := b.Set(ctx, "big", make([]byte, 100), 0)
	if !errors.Is(err, backends.ErrTooLarge) {
		t.Fatalf("Set of a value over MaxBytes = %v; want ErrTooLarge", err)
	}
	if _, err := b.Get(ctx, "small"); err != nil {
		t.Errorf("a refused Set evicted another entry: %v", err)
	}
}

func TestGetIsZeroCopy(t *testing.T) {
	ctx := context.Background()
	b := memory.New(memory.Options{})
	v := []byte("value")
	if err := b.Set(ctx, "k", v, 0); err != nil {
		t.Fatal(err)
	}
	got, err := b.Get(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	if &got[0] != &v[0] {
		t.Error("Get returned a copy; want the slice given to Set")
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = b.Get(ctx, "k") }); n != 0 {
		t.Errorf("Get hit allocates %v times; want 0", n)
	}
}

func TestSweep(t *testing.T) {
	ctx := context.Background()
	b := memory.New(memory.Options{})
	for i, ttl := range []time.Duration{time.Nanosecond, time.Nanosecond, 0, time.Hour} {
		if err := b.Set(ctx, fmt.Sprint(i), []byte("v"), ttl); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(time.Millisecond)
	n, err := b.Sweep(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 || b.Len() != 2 {
		t.Errorf("Sweep removed %d, %d left; want 2 removed, 2 left", n, b.Len())
	}
	_ = b.Close()
	if _, err := b.Sweep(ctx); !errors.Is(err, backends.ErrClosed) {
		t.Errorf("Sweep after Close = %v; want ErrClosed", err)
	}
}

func TestOpen(t *testing.T) {
	tests := []struct {
		dsn     string
		wantErr string
	}{
		{dsn: "memory://"},
		{dsn: "memory://?max_entries=10&max_bytes=1000"},
		{dsn: "MEMORY://?max_bytes=-1"},
		{dsn: "memory://?max_entries=x", wantErr: "max_entries"},
		{dsn: "memory://?max_entries=-5", wantErr: "max_entries=\"-5\": want a count >= 0"},
		{dsn: "memory://?max_bytes=-2", wantErr: "max_bytes"},
		{dsn: "memory://?size=1", wantErr: `unknown DSN parameter "size"`},
	}
	for _, tt := range tests {
		t.Run(tt.dsn, func(t *testing.T) {
			b, err := backends.Open(context.Background(), tt.dsn)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Open(%q) = %v; want an error mentioning %q", tt.dsn, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Open(%q): %v", tt.dsn, err)
			}
			defer b.Close()
			if _, ok := b.(*memory.Backend); !ok {
				t.Fatalf("Open(%q) returned %T", tt.dsn, b)
			}
		})
	}
	t.Run("bounds from the DSN apply", func(t *testing.T) {
		b, err := backends.Open(context.Background(), "memory://?max_entries=1")
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		_ = b.Set(ctx, "a", []byte("v"), 0)
		_ = b.Set(ctx, "b", []byte("v"), 0)
		if _, err := b.Get(ctx, "a"); !errors.Is(err, backends.ErrNotFound) {
			t.Errorf("max_entries=1 kept two entries")
		}
	})
}

func benchmarkGet(b *testing.B, size int) {
	ctx := context.Background()
	m := memory.New(memory.Options{})
	if err := m.Set(ctx, "key", make([]byte, size), 0); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(size))
	for b.Loop() {
		if _, err := m.Get(ctx, "key"); err != nil {
			b.Fatal(err)
		}
	}
}

func benchmarkSet(b *testing.B, size int) {
	ctx := context.Background()
	m := memory.New(memory.Options{MaxEntries: 1000, MaxBytes: -1})
	v := make([]byte, size)
	keys := make([]string, 1000)
	for i := range keys {
		keys[i] = fmt.Sprint("key-", i)
	}
	b.ReportAllocs()
	b.SetBytes(int64(size))
	i := 0
	for b.Loop() {
		if err := m.Set(ctx, keys[i%len(keys)], v, time.Hour); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkGetHit1KiB(b *testing.B) { benchmarkGet(b, 1<<10) }
func BenchmarkGetHit1MiB(b *testing.B) { benchmarkGet(b, 1<<20) }
func BenchmarkSet1KiB(b *testing.B)    { benchmarkSet(b, 1<<10) }
func BenchmarkSet1MiB(b *testing.B)    { benchmarkSet(b, 1<<20) }

// BenchmarkGetHitParallel measures Get under contention for the one lock.
func BenchmarkGetHitParallel(b *testing.B) {
	ctx := context.Background()
	m := memory.New(memory.Options{})
	keys := make([]string, 64)
	for i := range keys {
		keys[i] = fmt.Sprint("key-", i)
		if err := m.Set(ctx, keys[i], make([]byte, 1<<10), 0); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := m.Get(ctx, keys[i%len(keys)]); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}
