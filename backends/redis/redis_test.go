package redis_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/backendtest"
	"github.com/cachedhttp/cachedhttp/backends/redis"
)

// The backend implements the atomic interfaces: the suite runs their
// checks only for a backend that does, so a lost method must not pass
// unnoticed.
var _ interface {
	backends.Adder
	backends.Incrementer
} = (*redis.Backend)(nil)

func TestConformance(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			m.connect(t) // skip the whole mode when its server is missing
			backendtest.Run(t, m.factory, backendtest.Options{})
		})
	}
}

func TestNew(t *testing.T) {
	client := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1"})
	t.Cleanup(func() { _ = client.Close() })
	tests := []struct {
		name       string
		client     goredis.UniversalClient
		opts       redis.Options
		wantErr    bool
		wantPrefix string
	}{
		{name: "nil client is an error", client: nil, wantErr: true},
		{name: "negative ScanCount is an error", client: client, opts: redis.Options{ScanCount: -1}, wantErr: true},
		{name: "empty prefix means the default", client: client, wantPrefix: redis.DefaultPrefix},
		{name: "prefix is kept as given", client: client, opts: redis.Options{Prefix: "app[1]:"}, wantPrefix: "app[1]:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := redis.New(tt.client, tt.opts)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("New = %v, nil; want an error", b)
				}
				return
			}
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if got := b.Prefix(); got != tt.wantPrefix {
				t.Errorf("Prefix() = %q; want %q", got, tt.wantPrefix)
			}
		})
	}
}

func TestTooLargeIsRejectedBeforeSending(t *testing.T) {
	// The client points at a closed port: only a check made before any I/O
	// can answer ErrTooLarge.
	client := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	t.Cleanup(func() { _ = client.Close() })
	b, err := redis.New(client, redis.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = b.Set(t.Context(), "huge", make([]byte, redis.MaxValue+1), 0)
	if !errors.Is(err, backends.ErrTooLarge) {
		t.Errorf("Set of MaxValue+1 bytes = %v; want ErrTooLarge", err)
	}
}

func TestRawLayout(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			client := m.connect(t)
			b := newBackend(t, client, "")
			ctx := t.Context()
			keys := []string{"plain", "with space", "nul\x00byte", "glob*?[x]", "\xff\xfe", strings.Repeat("k", 4096)}
			for _, k := range keys {
				if err := b.Set(ctx, k, []byte("v:"+k), 0); err != nil {
					t.Fatalf("Set(%.40q): %v", k, err)
				}
			}
			t.Run("redis key is the prefix followed by the raw key", func(t *testing.T) {
				for _, k := range keys {
					got, err := client.Get(ctx, b.Prefix()+k).Result()
					if err != nil {
						t.Fatalf("raw GET of %.40q: %v", b.Prefix()+k, err)
					}
					if got != "v:"+k {
						t.Errorf("raw GET of %.40q = %.40q; want %.40q", b.Prefix()+k, got, "v:"+k)
					}
				}
			})
			t.Run("scan returns the original keys", func(t *testing.T) {
				got := map[string]bool{}
				for e, err := range b.Scan(ctx) {
					if err != nil {
						t.Fatalf("Scan: %v", err)
					}
					got[e.Key] = true
				}
				for _, k := range keys {
					if !got[k] {
						t.Errorf("Scan did not yield %.40q", k)
					}
				}
				if len(got) != len(keys) {
					t.Errorf("Scan yielded %d keys; want %d", len(got), len(keys))
				}
			})
		})
	}
}

func TestNativeTTL(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			client := m.connect(t)
			b := newBackend(t, client, "")
			ctx := t.Context()
			tests := []struct {
				name string
				ttl  time.Duration // -1 in want means no expiry
				want time.Duration // PTTL right after Set, before any time passed
			}{
				{name: "ttl sets PTTL", ttl: time.Hour, want: time.Hour},
				{name: "a fraction of a second is kept in milliseconds", ttl: 10*time.Second + 500*time.Millisecond, want: 10*time.Second + 500*time.Millisecond},
				{name: "the largest duration does not overflow", ttl: math.MaxInt64, want: time.Duration(math.MaxInt64).Truncate(time.Millisecond)},
				{name: "zero ttl stores without expiry", ttl: 0, want: -1},
				{name: "negative ttl stores without expiry", ttl: -time.Second, want: -1},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					key := "ttl-" + tt.name
					start := time.Now()
					if err := b.Set(ctx, key, []byte("v"), tt.ttl); err != nil {
						t.Fatalf("Set: %v", err)
					}
					got, err := client.PTTL(ctx, b.Prefix()+key).Result()
					if err != nil {
						t.Fatalf("PTTL: %v", err)
					}
					if tt.want == -1 {
						if got != -1 {
							t.Errorf("PTTL = %v; want -1 (no expiry)", got)
						}
						return
					}
					// PTTL counts down from want by the time Set and PTTL
					// took, however slow the machine.
					lo := tt.want - time.Since(start).Round(time.Millisecond) - time.Millisecond
					if got < lo || got > tt.want {
						t.Errorf("PTTL = %v; want within [%v, %v]", got, lo, tt.want)
					}
				})
			}
			t.Run("overwrite without ttl removes the expiry", func(t *testing.T) {
				if err := b.Set(ctx, "re", []byte("v"), time.Hour); err != nil {
					t.Fatal(err)
				}
				if err := b.Set(ctx, "re", []byte("w"), 0); err != nil {
					t.Fatal(err)
				}
				if got := client.PTTL(ctx, b.Prefix()+"re").Val(); got != -1 {
					t.Errorf("PTTL after overwrite without ttl = %v; want -1", got)
				}
			})
			t.Run("scan reports the expiry", func(t *testing.T) {
				before := time.Now()
				if err := b.Set(ctx, "scan-ttl", []byte("12345"), 10*time.Minute); err != nil {
					t.Fatal(err)
				}
				for e, err := range b.Scan(ctx) {
					if err != nil {
						t.Fatal(err)
					}
					if e.Key != "scan-ttl" {
						continue
					}
					if lo, hi := before.Add(10*time.Minute-time.Second), time.Now().Add(10*time.Minute); e.Expires.Before(lo) || e.Expires.After(hi) {
						t.Errorf("Expires = %v; want within [%v, %v]", e.Expires, lo, hi)
					}
					if e.Size != 5 {
						t.Errorf("Size = %d; want 5", e.Size)
					}
					return
				}
				t.Error("Scan did not yield scan-ttl")
			})
		})
	}
}

func TestPrefixIsolation(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			client := m.connect(t)
			ctx := t.Context()
			base := uniquePrefix(t)
			// A prefix full of glob characters, and neighbours its
			// unescaped pattern would match.
			globby := newBackend(t, client, base+"a[1]*?\\:")
			neighbours := []*redis.Backend{
				newBackend(t, client, base+"a1xx\\:"),
				newBackend(t, client, base+"a[1]x?\\:"),
				newBackend(t, client, base+"a"),
			}
			plain := newBackend(t, client, base+"b:")
			all := append([]*redis.Backend{globby, plain}, neighbours...)
			for i, b := range all {
				for j := range 20 {
					if err := b.Set(ctx, fmt.Sprintf("k%d", j), []byte{byte(i)}, 0); err != nil {
						t.Fatal(err)
					}
				}
			}
			if err := globby.Clear(ctx); err != nil {
				t.Fatalf("Clear: %v", err)
			}
			t.Run("cleared namespace is empty", func(t *testing.T) {
				for e, err := range globby.Scan(ctx) {
					t.Errorf("Scan after Clear yielded %q, %v", e.Key, err)
				}
				if _, err := globby.Get(ctx, "k0"); !errors.Is(err, backends.ErrNotFound) {
					t.Errorf("Get after Clear = %v; want ErrNotFound", err)
				}
			})
			t.Run("other namespaces keep every key", func(t *testing.T) {
				for i, b := range all[1:] {
					n := 0
					for e, err := range b.Scan(ctx) {
						if err != nil {
							t.Fatal(err)
						}
						if !strings.HasPrefix(e.Key, "k") {
							continue // "a" also sees the other a-prefixes' keys
						}
						n++
					}
					if n < 20 {
						t.Errorf("namespace %q has %d keys after another's Clear; want at least 20", b.Prefix(), n)
					}
					v, err := b.Get(ctx, "k7")
					if err != nil || !bytes.Equal(v, []byte{byte(i + 1)}) {
						t.Errorf("namespace %q: Get(k7) = %v, %v; want [%d]", b.Prefix(), v, err, i+1)
					}
				}
			})
		})
	}
}

func TestSharedUse(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			prefix := uniquePrefix(t)
			// Two clients, as two processes would have.
			a := newBackend(t, m.connect(t), prefix)
			b := newBackend(t, m.connect(t), prefix)
			ctx := t.Context()
			if err := a.Set(ctx, "from-a", []byte("a"), time.Hour); err != nil {
				t.Fatal(err)
			}
			if err := b.Set(ctx, "from-b", []byte("b"), 0); err != nil {
				t.Fatal(err)
			}
			t.Run("each sees the other's writes", func(t *testing.T) {
				if v, err := b.Get(ctx, "from-a"); err != nil || string(v) != "a" {
					t.Errorf("b.Get(from-a) = %q, %v", v, err)
				}
				if v, err := a.Get(ctx, "from-b"); err != nil || string(v) != "b" {
					t.Errorf("a.Get(from-b) = %q, %v", v, err)
				}
			})
			t.Run("delete through one is a miss through the other", func(t *testing.T) {
				if err := b.Delete(ctx, "from-a"); err != nil {
					t.Fatal(err)
				}
				if _, err := a.Get(ctx, "from-a"); !errors.Is(err, backends.ErrNotFound) {
					t.Errorf("a.Get after b.Delete = %v; want ErrNotFound", err)
				}
			})
			t.Run("clear through one empties the other", func(t *testing.T) {
				if err := a.Clear(ctx); err != nil {
					t.Fatal(err)
				}
				for e, err := range b.Scan(ctx) {
					t.Errorf("b.Scan after a.Clear yielded %q, %v", e.Key, err)
				}
			})
		})
	}
}

func TestScanSkipsForeignTypes(t *testing.T) {
	client := modes[0].connect(t)
	b := newBackend(t, client, "")
	ctx := t.Context()
	if err := b.Set(ctx, "mine", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	// Someone else's hash under our prefix must not break Scan.
	if err := client.HSet(ctx, b.Prefix()+"foreign", "f", "v").Err(); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for e, err := range b.Scan(ctx) {
		if err != nil {
			t.Fatalf("Scan: %v", err)
		}
		got[e.Key] = e.Size
	}
	want := map[string]int64{"mine": 1, "foreign": -1}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Scan = %v; want %v", got, want)
	}
}

func TestDeleteBatches(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			client := m.connect(t)
			b, err := redis.New(client, redis.Options{Prefix: uniquePrefix(t), ScanCount: 3})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = b.Clear(context.Background()) })
			ctx := t.Context()
			var keys []string
			for i := range 11 {
				k := fmt.Sprintf("k%02d", i)
				keys = append(keys, k)
				if err := b.Set(ctx, k, []byte("v"), 0); err != nil {
					t.Fatal(err)
				}
			}
			if err := b.Delete(ctx, keys[:10]...); err != nil {
				t.Fatalf("Delete of 10 keys with ScanCount 3: %v", err)
			}
			for _, k := range keys[:10] {
				if _, err := b.Get(ctx, k); !errors.Is(err, backends.ErrNotFound) {
					t.Errorf("Get(%s) after Delete = %v; want ErrNotFound", k, err)
				}
			}
			if _, err := b.Get(ctx, keys[10]); err != nil {
				t.Errorf("Get of the key not deleted: %v", err)
			}
			if err := b.Clear(ctx); err != nil {
				t.Fatalf("Clear with ScanCount 3: %v", err)
			}
			if _, err := b.Get(ctx, keys[10]); !errors.Is(err, backends.ErrNotFound) {
				t.Errorf("Get after Clear = %v; want ErrNotFound", err)
			}
		})
	}
}

func TestErrorsNameTheKey(t *testing.T) {
	client := modes[0].connect(t)
	b := newBackend(t, client, "")
	_, err := b.Get(t.Context(), "the-missing-key")
	if !errors.Is(err, backends.ErrNotFound) || !strings.Contains(err.Error(), "the-missing-key") {
		t.Errorf("Get miss = %v; want ErrNotFound naming the key", err)
	}
}

func TestClose(t *testing.T) {
	tests := []struct {
		name        string
		closeClient bool
		wantUsable  bool
	}{
		{name: "a caller's client stays open", closeClient: false, wantUsable: true},
		{name: "CloseClient closes the client", closeClient: true, wantUsable: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := modes[0].connect(t)
			b, err := redis.New(client, redis.Options{Prefix: uniquePrefix(t), CloseClient: tt.closeClient})
			if err != nil {
				t.Fatal(err)
			}
			if err := b.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if err := b.Close(); !errors.Is(err, backends.ErrClosed) {
				t.Errorf("second Close = %v; want ErrClosed", err)
			}
			if _, err := b.Get(t.Context(), "k"); !errors.Is(err, backends.ErrClosed) {
				t.Errorf("Get after Close = %v; want ErrClosed", err)
			}
			err = client.Ping(t.Context()).Err()
			if usable := err == nil; usable != tt.wantUsable {
				t.Errorf("client Ping after backend Close = %v; want usable=%v", err, tt.wantUsable)
			}
		})
	}
}
