package memcache_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	gomemcache "github.com/bradfitz/gomemcache/memcache"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/backendtest"
	"github.com/cachedhttp/cachedhttp/backends/memcache"
)

// The backend implements the atomic interfaces: the suite runs their
// checks only for a backend that does, so a lost method must not pass
// unnoticed.
var _ interface {
	backends.Adder
	backends.Incrementer
} = (*memcache.Backend)(nil)

func TestConformance(t *testing.T) {
	servers(t)
	backendtest.Run(t, factory, backendtest.Options{
		TTLGranularity: time.Second,
		// New's default: memcached's 1 MiB items less 512 bytes of overhead.
		Chunking: backendtest.Chunking{Size: memcache.DefaultMaxItem - 512},
	})
}

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		servers []string
		opts    memcache.Options
		want    string // substring of the error; empty means success
	}{
		{name: "defaults", servers: []string{"127.0.0.1:1"}},
		{name: "no servers", servers: nil, want: "no servers"},
		{name: "bad server address", servers: []string{"127.0.0.1:notaport"}, want: "servers"},
		{name: "prefix with a space", servers: []string{"127.0.0.1:1"}, opts: memcache.Options{Prefix: "my app:"}, want: "space or control"},
		{name: "prefix with a control byte", servers: []string{"127.0.0.1:1"}, opts: memcache.Options{Prefix: "app\n"}, want: "space or control"},
		{name: "prefix too long", servers: []string{"127.0.0.1:1"}, opts: memcache.Options{Prefix: strings.Repeat("p", memcache.MaxPrefix+1)}, want: "longer than"},
		{name: "MaxItem below 4 KiB", servers: []string{"127.0.0.1:1"}, opts: memcache.Options{MaxItem: 1000}, want: "below 4 KiB"},
		{name: "negative timeout", servers: []string{"127.0.0.1:1"}, opts: memcache.Options{Timeout: -1}, want: "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := memcache.New(tt.servers, tt.opts)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				if b.Prefix() != memcache.DefaultPrefix || b.ChunkSize() != memcache.DefaultMaxItem-512 {
					t.Errorf("Prefix %q ChunkSize %d; want the defaults", b.Prefix(), b.ChunkSize())
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New = %v; want an error containing %q", err, tt.want)
			}
		})
	}
}

// pattern returns n bytes that differ between seeds and positions.
func pattern(seed byte, n int) []byte {
	v := make([]byte, n)
	for i := range v {
		v[i] = seed ^ byte(i) ^ byte(i>>8) ^ byte(i>>16)
	}
	return v
}

func TestChunking(t *testing.T) {
	srv := servers(t)
	b := newBackend(t, srv, memcache.Options{})
	c := raw(t, srv...)
	cs := b.ChunkSize()
	tests := []struct {
		name      string
		size      int
		wantItems int // head plus chunks
	}{
		{"a value that fits with the header is one item", cs - 64, 1},
		{"a value of exactly one chunk needs a manifest", cs, 2},
		{"3 MiB is a manifest and four chunks", 3 << 20, 1 + (3<<20+cs-1)/cs},
		{"20 MiB is a manifest and 21 chunks", 20 << 20, 1 + (20<<20+cs-1)/cs},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := fmt.Sprintf("chunked-%d", tt.size)
			want := pattern(byte(i), tt.size)
			if err := b.Set(t.Context(), key, want, time.Hour); err != nil {
				t.Fatalf("Set: %v", err)
			}
			items, err := b.Items(t.Context(), key)
			if err != nil {
				t.Fatalf("Items: %v", err)
			}
			if len(items) != tt.wantItems {
				t.Errorf("value of %d bytes is held in %d items; want %d", tt.size, len(items), tt.wantItems)
			}
			total := 0
			for _, k := range items {
				it, err := c.Get(k)
				if err != nil {
					t.Fatalf("raw get of item %s: %v", k, err)
				}
				if len(it.Value) > memcache.DefaultMaxItem-512 {
					t.Errorf("item %s has %d bytes; more than the chunk size", k, len(it.Value))
				}
				total += len(it.Value)
			}
			if total < tt.size {
				t.Errorf("items hold %d bytes in all; less than the %d-byte value", total, tt.size)
			}
			got, err := b.Get(t.Context(), key)
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Get returned %d bytes that differ from the %d stored", len(got), len(want))
			}
		})
	}
}

func TestDamagedChunkIsAMiss(t *testing.T) {
	srv := servers(t)
	b := newBackend(t, srv, memcache.Options{})
	c := raw(t, srv...)
	tests := []struct {
		name   string
		damage func(t *testing.T, chunk string)
	}{
		{"deleted chunk", func(t *testing.T, chunk string) {
			if err := c.Delete(chunk); err != nil {
				t.Fatal(err)
			}
		}},
		{"truncated chunk", func(t *testing.T, chunk string) {
			it, err := c.Get(chunk)
			if err != nil {
				t.Fatal(err)
			}
			it.Value = it.Value[:len(it.Value)/2]
			if err := c.Set(it); err != nil {
				t.Fatal(err)
			}
		}},
		{"chunk with other bytes of the same length", func(t *testing.T, chunk string) {
			it, err := c.Get(chunk)
			if err != nil {
				t.Fatal(err)
			}
			it.Value[100] ^= 0xff
			if err := c.Set(it); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := fmt.Sprintf("damaged-%d", i)
			if err := b.Set(t.Context(), key, pattern(byte(i), 3<<20), 0); err != nil {
				t.Fatalf("Set: %v", err)
			}
			items, err := b.Items(t.Context(), key)
			if err != nil || len(items) < 3 {
				t.Fatalf("Items = %v, %v; want a head and chunks", items, err)
			}
			tt.damage(t, items[2])
			got, err := b.Get(t.Context(), key)
			if !errors.Is(err, backends.ErrNotFound) {
				t.Errorf("Get after damaging chunk 1 = %d bytes, %v; want a miss", len(got), err)
			}
			for _, k := range items {
				if _, err := c.Get(k); !errors.Is(err, gomemcache.ErrCacheMiss) {
					t.Errorf("raw get of %s after the miss = %v; want the damaged value's items freed", k, err)
				}
			}
		})
	}
}

func TestKeyHashing(t *testing.T) {
	srv := servers(t)
	b := newBackend(t, srv, memcache.Options{})
	long := strings.Repeat("a key with spaces\x00\x01\x7f\r\n\t", 100)[:2048]
	keys := []string{long, long[:2047] + "b", "", " ", "\x00"}
	for i, k := range keys {
		if err := b.Set(t.Context(), k, []byte{byte(i)}, 0); err != nil {
			t.Fatalf("Set(%.20q): %v", k, err)
		}
	}
	for i, k := range keys {
		t.Run(fmt.Sprintf("key %d of %d bytes", i, len(k)), func(t *testing.T) {
			got, err := b.Get(t.Context(), k)
			if err != nil || !bytes.Equal(got, []byte{byte(i)}) {
				t.Errorf("Get = %v, %v; want [%d]", got, err, i)
			}
			items, err := b.Items(t.Context(), k)
			if err != nil {
				t.Fatal(err)
			}
			head := items[0]
			if len(head) > 250 || strings.ContainsFunc(head, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
				t.Errorf("memcached key %q is not legal", head)
			}
			if !strings.HasPrefix(head, b.Prefix()) {
				t.Errorf("memcached key %q does not start with the prefix %q", head, b.Prefix())
			}
		})
	}
}

func TestNativeTTL(t *testing.T) {
	srv := servers(t)
	if len(srv) != 1 {
		t.Skip("skipping: the meta-command probe talks to one server")
	}
	b := newBackend(t, srv, memcache.Options{})
	tests := []struct {
		name string
		size int
		ttl  time.Duration
		want int // seconds left right after Set; -1 is no expiry
	}{
		{"an hour", 10, time.Hour, 3600},
		{"a fraction of a second rounds up", 10, time.Hour + 300*time.Millisecond, 3601},
		{"zero means no expiry", 10, 0, -1},
		{"negative means no expiry", 10, -time.Minute, -1},
		{"chunks outlive their head by a second", 2 << 20, time.Hour, 3601},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := "ttl-" + tt.name
			start := time.Now()
			if err := b.Set(t.Context(), key, make([]byte, tt.size), tt.ttl); err != nil {
				t.Fatal(err)
			}
			items, err := b.Items(t.Context(), key)
			if err != nil {
				t.Fatal(err)
			}
			for i, it := range items {
				got := metaTTL(t, srv[0], it)
				want := tt.want
				if i == 0 && tt.size > b.ChunkSize() {
					want-- // the head of a chunked value
				}
				// memcached's clock ticks in whole seconds: allow one
				// tick plus however long the calls took.
				lo := want - 1 - int(time.Since(start).Seconds())
				if want == -1 {
					lo = -1
				}
				if got < lo || got > want {
					t.Errorf("item %d (%s) has %d seconds left; want within [%d, %d]", i, it, got, lo, want)
				}
			}
		})
	}
}

func TestClearFreesTheOldGeneration(t *testing.T) {
	srv := servers(t)
	b := newBackend(t, srv, memcache.Options{})
	c := raw(t, srv...)
	ctx := t.Context()
	if err := b.Set(ctx, "small", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	if err := b.Set(ctx, "large", pattern(3, 3<<20), 0); err != nil {
		t.Fatal(err)
	}
	var items []string
	for _, k := range []string{"small", "large"} {
		its, err := b.Items(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, its...)
	}
	before, err := c.Get(b.Prefix() + "gen")
	if err != nil {
		t.Fatalf("raw get of the generation: %v", err)
	}
	var g uint64
	if _, err := fmt.Sscan(string(before.Value), &g); err != nil {
		t.Fatal(err)
	}
	items = append(items,
		fmt.Sprintf("%si:%s:n", b.Prefix(), formatBase36(g)),
		fmt.Sprintf("%si:%s:0", b.Prefix(), formatBase36(g)))
	for _, k := range items {
		if _, err := c.Get(k); err != nil {
			t.Fatalf("raw get of item %s before Clear: %v", k, err)
		}
	}
	if err := b.Clear(ctx); err != nil {
		t.Fatalf("Clear: %v", err)
	}
	t.Run("the generation moves on", func(t *testing.T) {
		after, err := c.Get(b.Prefix() + "gen")
		if err != nil {
			t.Fatalf("raw get of the generation after Clear: %v", err)
		}
		if string(after.Value) == string(before.Value) {
			t.Errorf("generation is still %s after Clear", after.Value)
		}
	})
	t.Run("heads, chunks and index items are freed", func(t *testing.T) {
		for _, k := range items {
			if _, err := c.Get(k); !errors.Is(err, gomemcache.ErrCacheMiss) {
				t.Errorf("raw get of %s after Clear = %v; want a miss", k, err)
			}
		}
	})
	t.Run("the namespace works after Clear", func(t *testing.T) {
		if _, err := b.Get(ctx, "small"); !errors.Is(err, backends.ErrNotFound) {
			t.Errorf("Get after Clear = %v; want ErrNotFound", err)
		}
		if err := b.Set(ctx, "small", []byte("w"), 0); err != nil {
			t.Fatal(err)
		}
		if got, err := b.Get(ctx, "small"); err != nil || string(got) != "w" {
			t.Errorf("Get after Clear and Set = %q, %v; want w", got, err)
		}
	})
}

func TestReplacedAndDeletedValuesFreeTheirChunks(t *testing.T) {
	srv := servers(t)
	b := newBackend(t, srv, memcache.Options{})
	c := raw(t, srv...)
	ctx := t.Context()
	chunks := func(key string) []string {
		t.Helper()
		its, err := b.Items(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		return its[1:]
	}
	wantGone := func(what string, items []string) {
		t.Helper()
		for _, k := range items {
			if _, err := c.Get(k); !errors.Is(err, gomemcache.ErrCacheMiss) {
				t.Errorf("%s: raw get of chunk %s = %v; want a miss", what, k, err)
			}
		}
	}
	if err := b.Set(ctx, "k", pattern(1, 3<<20), 0); err != nil {
		t.Fatal(err)
	}
	first := chunks("k")
	if err := b.Set(ctx, "k", pattern(2, 2<<20), 0); err != nil {
		t.Fatal(err)
	}
	wantGone("after a large value replaced it", first)
	second := chunks("k")
	if len(second) == 0 {
		t.Fatal("the 2 MiB value has no chunks")
	}
	if err := b.Delete(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	wantGone("after Delete", second)
}

func TestLostGenerationNeverResurrectsEntries(t *testing.T) {
	srv := servers(t)
	b := newBackend(t, srv, memcache.Options{})
	c := raw(t, srv...)
	ctx := t.Context()
	if err := b.Set(ctx, "old", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	// As if memcached evicted the generation item.
	if err := c.Delete(b.Prefix() + "gen"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get(ctx, "old"); !errors.Is(err, backends.ErrNotFound) {
		t.Errorf("Get without a generation = %v; want ErrNotFound", err)
	}
	if err := b.Set(ctx, "new", []byte("n"), 0); err != nil {
		t.Fatalf("Set after the generation was lost: %v", err)
	}
	if _, err := b.Get(ctx, "old"); !errors.Is(err, backends.ErrNotFound) {
		t.Errorf("Get of an entry of the lost generation = %v; want ErrNotFound", err)
	}
	got := map[string]bool{}
	for e, err := range b.Scan(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		got[e.Key] = true
	}
	if !got["new"] || got["old"] {
		t.Errorf("Scan = %v; want only new", got)
	}
}

func TestForeignHeadIsAMiss(t *testing.T) {
	srv := servers(t)
	b := newBackend(t, srv, memcache.Options{})
	c := raw(t, srv...)
	ctx := t.Context()
	if err := b.Set(ctx, "k", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	items, err := b.Items(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	for _, junk := range [][]byte{nil, []byte("not ours"), []byte("cmh1c short manifest")} {
		if err := c.Set(&gomemcache.Item{Key: items[0], Value: junk}); err != nil {
			t.Fatal(err)
		}
		if v, err := b.Get(ctx, "k"); !errors.Is(err, backends.ErrNotFound) {
			t.Errorf("Get of a head holding %q = %q, %v; want ErrNotFound", junk, v, err)
		}
	}
}

func TestIndexRollsOver(t *testing.T) {
	srv := servers(t)
	b := newBackend(t, srv, memcache.Options{})
	c := raw(t, srv...)
	ctx := t.Context()
	// 4 KiB keys: about 256 records fill a 1 MiB index item.
	const n = 600
	want := map[string]bool{}
	for i := range n {
		k := fmt.Sprintf("%04d", i) + strings.Repeat("k", 4092)
		want[k] = true
		if err := b.Set(ctx, k, []byte("v"), 0); err != nil {
			t.Fatalf("Set #%d: %v", i, err)
		}
	}
	gen, err := c.Get(b.Prefix() + "gen")
	if err != nil {
		t.Fatal(err)
	}
	var g uint64
	if _, err := fmt.Sscan(string(gen.Value), &g); err != nil {
		t.Fatal(err)
	}
	counter, err := c.Get(fmt.Sprintf("%si:%s:n", b.Prefix(), formatBase36(g)))
	if err != nil {
		t.Fatalf("raw get of the index counter: %v", err)
	}
	var last int
	if _, err := fmt.Sscan(string(counter.Value), &last); err != nil || last < 2 {
		t.Errorf("index counter is %q after %d 4-KiB keys; want at least 2 (three index items)", counter.Value, n)
	}
	got := 0
	for e, err := range b.Scan(ctx) {
		if err != nil {
			t.Fatalf("Scan: %v", err)
		}
		if !want[e.Key] {
			t.Errorf("Scan yielded an unknown key %.20q", e.Key)
		}
		got++
	}
	if got != n {
		t.Errorf("Scan yielded %d keys over several index items; want %d", got, n)
	}
}

func formatBase36(g uint64) string {
	const digits = "0123456789abcdefghijklmnopqrstuvwxyz"
	if g == 0 {
		return "0"
	}
	var b []byte
	for ; g > 0; g /= 36 {
		b = append([]byte{digits[g%36]}, b...)
	}
	return string(b)
}

func TestTooLarge(t *testing.T) {
	srv := servers(t)
	b := newBackend(t, srv, memcache.Options{MaxValue: 1 << 20})
	ctx := t.Context()
	if err := b.Set(ctx, "fits", make([]byte, 1<<20), 0); err != nil {
		t.Fatalf("Set of MaxValue bytes: %v", err)
	}
	err := b.Set(ctx, "big", make([]byte, 1<<20+1), 0)
	if !errors.Is(err, backends.ErrTooLarge) {
		t.Errorf("Set of MaxValue+1 bytes = %v; want ErrTooLarge", err)
	}
	if _, err := b.Get(ctx, "big"); !errors.Is(err, backends.ErrNotFound) {
		t.Errorf("Get after a rejected Set = %v; want ErrNotFound", err)
	}
}

func TestSharedUse(t *testing.T) {
	srv := servers(t)
	prefix := uniquePrefix(t)
	a := newBackend(t, srv, memcache.Options{Prefix: prefix})
	b := newBackend(t, srv, memcache.Options{Prefix: prefix})
	ctx := t.Context()
	if err := a.Set(ctx, "from-a", []byte("a"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := b.Set(ctx, "from-b", pattern(1, 2<<20), 0); err != nil {
		t.Fatal(err)
	}
	t.Run("each sees the other's writes", func(t *testing.T) {
		if v, err := b.Get(ctx, "from-a"); err != nil || string(v) != "a" {
			t.Errorf("b.Get(from-a) = %q, %v", v, err)
		}
		if v, err := a.Get(ctx, "from-b"); err != nil || !bytes.Equal(v, pattern(1, 2<<20)) {
			t.Errorf("a.Get(from-b) = %d bytes, %v", len(v), err)
		}
	})
	t.Run("each scans the other's keys", func(t *testing.T) {
		got := map[string]bool{}
		for e, err := range a.Scan(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			got[e.Key] = true
		}
		if !got["from-a"] || !got["from-b"] || len(got) != 2 {
			t.Errorf("a.Scan = %v; want from-a and from-b", got)
		}
	})
	t.Run("clear through one empties the other", func(t *testing.T) {
		if err := b.Clear(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Get(ctx, "from-a"); !errors.Is(err, backends.ErrNotFound) {
			t.Errorf("a.Get after b.Clear = %v; want ErrNotFound", err)
		}
		for e, err := range a.Scan(ctx) {
			t.Errorf("a.Scan after b.Clear yielded %q, %v", e.Key, err)
		}
		// a's memory of what it indexed belongs to the old generation.
		if err := a.Set(ctx, "from-a", []byte("again"), 0); err != nil {
			t.Fatal(err)
		}
		n := 0
		for e, err := range b.Scan(ctx) {
			if err != nil || e.Key != "from-a" {
				t.Errorf("b.Scan = %q, %v; want from-a", e.Key, err)
			}
			n++
		}
		if n != 1 {
			t.Errorf("b.Scan yielded %d keys after a's new Set; want 1", n)
		}
	})
}

func TestIndexSurvivesALostCounterAndSeveralWriters(t *testing.T) {
	srv := servers(t)
	prefix := uniquePrefix(t)
	a := newBackend(t, srv, memcache.Options{Prefix: prefix})
	b := newBackend(t, srv, memcache.Options{Prefix: prefix})
	c := raw(t, srv...)
	ctx := t.Context()
	counter := func() string {
		gen, err := c.Get(prefix + "gen")
		if err != nil {
			t.Fatal(err)
		}
		var g uint64
		if _, err := fmt.Sscan(string(gen.Value), &g); err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%si:%s:n", prefix, formatBase36(g))
	}
	// Two writers with 4 KiB keys fill index items in turn; halfway the
	// counter is lost, as if evicted.
	const n = 700
	want := map[string]bool{}
	for i := range n {
		k := fmt.Sprintf("%04d", i) + strings.Repeat("k", 4092)
		want[k] = true
		w := a
		if i%2 == 1 {
			w = b
		}
		if err := w.Set(ctx, k, []byte("v"), 0); err != nil {
			t.Fatalf("Set #%d: %v", i, err)
		}
		if i == n/2 {
			if err := c.Delete(counter()); err != nil {
				t.Fatalf("delete the index counter: %v", err)
			}
		}
	}
	for name, be := range map[string]*memcache.Backend{"a": a, "b": b} {
		got := 0
		for e, err := range be.Scan(ctx) {
			if err != nil {
				t.Fatalf("%s.Scan: %v", name, err)
			}
			if !want[e.Key] {
				t.Errorf("%s.Scan yielded an unknown key %.20q", name, e.Key)
			}
			got++
		}
		if got != n {
			t.Errorf("%s.Scan yielded %d keys; want %d", name, got, n)
		}
	}
}
