package kv_test

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/kv"
)

type profile struct {
	Name  string
	Age   int
	Tags  []string
	Seen  time.Time
	Score float64
}

// roundTrip stores want and reads it back as a T.
func roundTrip[T any](t *testing.T, c *kv.Cache, key string, want T) {
	t.Helper()
	if err := c.Set(t.Context(), key, want, kv.DefaultTTL); err != nil {
		t.Fatalf("Set(%q, %#v): %v", key, want, err)
	}
	got, err := kv.Get[T](t.Context(), c, key)
	if err != nil {
		t.Fatalf("Get[%T](%q): %v", want, key, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Get[%T](%q) = %#v; want %#v", want, key, got, want)
	}
}

func TestRoundTrip(t *testing.T) {
	seen := time.Date(2026, 5, 1, 12, 30, 0, 123456789, time.UTC)
	for _, codec := range []struct {
		name  string
		codec kv.Codec
	}{{"msgpack", kv.Msgpack}, {"json", kv.JSON}} {
		t.Run(codec.name, func(t *testing.T) {
			forEachStore(t, func(t *testing.T, s store) {
				c := kv.New(s.open(t), kv.Options{Codec: codec.codec})
				roundTrip(t, c, "string", "hello")
				roundTrip(t, c, "digits as a string", "12345")
				roundTrip(t, c, "int", 42)
				roundTrip(t, c, "negative int64", int64(-7))
				roundTrip(t, c, "max uint64", uint64(math.MaxUint64))
				roundTrip(t, c, "uint8", uint8(200))
				roundTrip(t, c, "float", 2.5)
				roundTrip(t, c, "integral float", 3.0)
				roundTrip(t, c, "bool", true)
				roundTrip(t, c, "bytes", []byte{0, 1, 2, 0xff})
				roundTrip(t, c, "map", map[string]int{"a": 1, "b": 2})
				want := profile{Name: "Ada", Age: 36, Tags: []string{"x"}, Seen: seen, Score: 0.5}
				if err := c.Set(t.Context(), "struct", want, kv.DefaultTTL); err != nil {
					t.Fatal(err)
				}
				got, err := kv.Get[profile](t.Context(), c, "struct")
				if err != nil || !got.Seen.Equal(want.Seen) {
					t.Errorf("Get[profile] = %#v, %v; want %#v", got, err, want)
				}
				// The instant survives; the time zone may not (msgpack
				// decodes into time.Local).
				got.Seen = want.Seen
				if !reflect.DeepEqual(got, want) {
					t.Errorf("Get[profile] = %#v; want %#v", got, want)
				}
				roundTrip(t, c, "pointer", &profile{Name: "Grace"})
				n := 52 // '4' as a msgpack fixint: must still be stored as decimal
				if err := c.Set(t.Context(), "pointer to int", &n, kv.DefaultTTL); err != nil {
					t.Fatal(err)
				}
				if got, err := kv.Get[int](t.Context(), c, "pointer to int"); err != nil || got != 52 {
					t.Errorf("Get[int] of a *int set to 52 = %d, %v", got, err)
				}
				var anything any
				if err := c.Get(t.Context(), "int", &anything); err != nil || anything != int64(42) {
					t.Errorf("Get into an interface of an int = %#v, %v; want int64(42)", anything, err)
				}
				if got, err := kv.Get[string](t.Context(), c, "int"); err != nil || got != "42" {
					t.Errorf("Get[string] of an int = %q, %v; want \"42\"", got, err)
				}
				if _, err := kv.Get[int](t.Context(), c, "string"); !errors.Is(err, kv.ErrDecode) {
					t.Errorf("Get[int] of a string = %v; want an error matching ErrDecode", err)
				}
				if _, err := kv.Get[int8](t.Context(), c, "int"); err != nil {
					t.Errorf("Get[int8] of 42: %v", err)
				}
				if _, err := kv.Get[int8](t.Context(), c, "uint8"); !errors.Is(err, kv.ErrDecode) {
					t.Errorf("Get[int8] of 200 = %v; want an error matching ErrDecode", err)
				}
			})
		})
	}
}

func TestMissAndHas(t *testing.T) {
	forEachStore(t, func(t *testing.T, s store) {
		c := kv.New(s.open(t), kv.Options{})
		_, err := kv.Get[string](t.Context(), c, "absent")
		if !errors.Is(err, kv.ErrNotFound) || !errors.Is(err, backends.ErrNotFound) {
			t.Errorf("Get of an absent key = %v; want an error matching kv.ErrNotFound and backends.ErrNotFound", err)
		}
		if ok, err := c.Has(t.Context(), "absent"); ok || err != nil {
			t.Errorf("Has(absent) = %v, %v", ok, err)
		}
		if err := c.Set(t.Context(), "present", "v", kv.DefaultTTL); err != nil {
			t.Fatal(err)
		}
		if ok, err := c.Has(t.Context(), "present"); !ok || err != nil {
			t.Errorf("Has(present) = %v, %v", ok, err)
		}
		if err := c.Delete(t.Context(), "present"); err != nil {
			t.Fatal(err)
		}
		if err := c.Delete(t.Context(), "present"); err != nil {
			t.Errorf("Delete of an absent key: %v", err)
		}
		if ok, err := c.Has(t.Context(), "present"); ok || err != nil {
			t.Errorf("Has after Delete = %v, %v", ok, err)
		}
	})
}

func TestManyKeys(t *testing.T) {
	forEachStore(t, func(t *testing.T, s store) {
		c := kv.New(s.open(t), kv.Options{})
		items := map[string]any{}
		for i := range 20 {
			items["k"+strconv.Itoa(i)] = i * i
		}
		if err := c.SetMany(t.Context(), items, kv.DefaultTTL); err != nil {
			t.Fatalf("SetMany: %v", err)
		}
		got, err := kv.GetMany[int](t.Context(), c, "k0", "k3", "k19", "absent")
		if err != nil {
			t.Fatalf("GetMany: %v", err)
		}
		if want := map[string]int{"k0": 0, "k3": 9, "k19": 361}; !reflect.DeepEqual(got, want) {
			t.Errorf("GetMany = %v; want %v", got, want)
		}
		if err := c.DeleteMany(t.Context(), "k0", "k3", "absent"); err != nil {
			t.Fatalf("DeleteMany: %v", err)
		}
		got, err = kv.GetMany[int](t.Context(), c, "k0", "k3", "k4")
		if err != nil || !reflect.DeepEqual(got, map[string]int{"k4": 16}) {
			t.Errorf("GetMany after DeleteMany = %v, %v; want only k4", got, err)
		}
		if err := c.Set(t.Context(), "text", "x", kv.DefaultTTL); err != nil {
			t.Fatal(err)
		}
		if _, err := kv.GetMany[int](t.Context(), c, "k4", "text"); !errors.Is(err, kv.ErrDecode) {
			t.Errorf("GetMany over a value of another type = %v; want an error matching ErrDecode", err)
		}
	})
}

func TestAdd(t *testing.T) {
	forEachStore(t, func(t *testing.T, s store) {
		c := kv.New(s.open(t), kv.Options{})
		if add, inc := c.Atomic(); add != s.atomic || inc != s.atomic {
			t.Errorf("Atomic() = %v, %v; want %v", add, inc, s.atomic)
		}
		ctx := t.Context()
		if ok, err := c.Add(ctx, "k", "first", kv.DefaultTTL); !ok || err != nil {
			t.Fatalf("Add of an absent key = %v, %v", ok, err)
		}
		if ok, err := c.Add(ctx, "k", "second", kv.DefaultTTL); ok || err != nil {
			t.Fatalf("Add of a present key = %v, %v", ok, err)
		}
		if got, err := kv.Get[string](ctx, c, "k"); got != "first" || err != nil {
			t.Errorf("Get after a refused Add = %q, %v", got, err)
		}
		// 32 goroutines add one key: exactly one stores it.
		var wg sync.WaitGroup
		var mu sync.Mutex
		var winners []int
		start := make(chan struct{})
		for g := range 32 {
			wg.Go(func() {
				<-start
				ok, err := c.Add(ctx, "race", g, kv.DefaultTTL)
				if err != nil {
					t.Errorf("goroutine %d: Add: %v", g, err)
				}
				if ok {
					mu.Lock()
					winners = append(winners, g)
					mu.Unlock()
				}
			})
		}
		close(start)
		wg.Wait()
		if len(winners) != 1 {
			t.Fatalf("Add from 32 goroutines succeeded %d times; want once", len(winners))
		}
		if got, err := kv.Get[int](ctx, c, "race"); got != winners[0] || err != nil {
			t.Errorf("Get after the race = %d, %v; want the winner's %d", got, err, winners[0])
		}
	})
}

func TestIncDec(t *testing.T) {
	forEachStore(t, func(t *testing.T, s store) {
		c := kv.New(s.open(t), kv.Options{})
		ctx := t.Context()
		step := func(op string, n int64, want int64) {
			t.Helper()
			var got int64
			var err error
			if op == "inc" {
				got, err = c.Inc(ctx, "n", n, kv.DefaultTTL)
			} else {
				got, err = c.Dec(ctx, "n", n, kv.DefaultTTL)
			}
			if err != nil || got != want {
				t.Fatalf("%s(n, %d) = %d, %v; want %d", op, n, got, err, want)
			}
		}
		step("inc", 1, 1) // an absent counter starts at 0
		step("inc", 9, 10)
		step("dec", 15, -5)
		if got, err := kv.Get[int](ctx, c, "n"); got != -5 || err != nil {
			t.Errorf("Get[int] of a counter = %d, %v; want -5", got, err)
		}
		if err := c.Set(ctx, "set", 41, kv.DefaultTTL); err != nil {
			t.Fatal(err)
		}
		if got, err := c.Inc(ctx, "set", 1, kv.DefaultTTL); got != 42 || err != nil {
			t.Errorf("Inc of an int stored by Set = %d, %v; want 42", got, err)
		}
		if err := c.Set(ctx, "text", "forty", kv.DefaultTTL); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Inc(ctx, "text", 1, kv.DefaultTTL); !errors.Is(err, kv.ErrNotInteger) {
			t.Errorf("Inc of a string = %v; want an error matching ErrNotInteger", err)
		}
		if _, err := c.Dec(ctx, "n", math.MinInt64, kv.DefaultTTL); !errors.Is(err, kv.ErrNotInteger) {
			t.Errorf("Dec by MinInt64 = %v; want an error matching ErrNotInteger", err)
		}
		if got, err := kv.Get[string](ctx, c, "text"); got != "forty" || err != nil {
			t.Errorf("a refused Inc changed the value: %q, %v", got, err)
		}
	})
}

// TestIncConcurrent: 32 goroutines incrementing one counter lose no
// increment, on every store (atomically where the store is, under the
// Cache's lock where it is emulated).
func TestIncConcurrent(t *testing.T) {
	forEachStore(t, func(t *testing.T, s store) {
		c := kv.New(s.open(t), kv.Options{})
		const goroutines, per = 32, 10
		var wg sync.WaitGroup
		start := make(chan struct{})
		results := make(chan int64, goroutines*per)
		for g := range goroutines {
			wg.Go(func() {
				<-start
				for range per {
					n, err := c.Inc(t.Context(), "hits", 1, kv.DefaultTTL)
					if err != nil {
						t.Errorf("goroutine %d: Inc: %v", g, err)
						return
					}
					results <- n
				}
			})
		}
		close(start)
		wg.Wait()
		close(results)
		seen := map[int64]bool{}
		for n := range results {
			if seen[n] {
				t.Errorf("Inc returned %d twice: two increments read the same value", n)
			}
			seen[n] = true
		}
		if got, err := kv.Get[int](t.Context(), c, "hits"); got != goroutines*per || err != nil {
			t.Errorf("counter after %d increments = %d, %v", goroutines*per, got, err)
		}
	})
}

// waitMiss polls key until it misses, failing after ttl plus five seconds.
func waitMiss(t *testing.T, c *kv.Cache, key string, ttl time.Duration) {
	t.Helper()
	deadline := time.Now().Add(ttl + 5*time.Second)
	for {
		ok, err := c.Has(t.Context(), key)
		if err != nil {
			t.Fatalf("Has(%q): %v", key, err)
		}
		if !ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%q did not expire", key)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func TestDefaultTTL(t *testing.T) {
	forEachStore(t, func(t *testing.T, s store) {
		ttl := max(s.granularity, 50*time.Millisecond)
		c := kv.New(s.open(t), kv.Options{TTL: ttl})
		ctx := t.Context()
		if err := c.Set(ctx, "default", "v", kv.DefaultTTL); err != nil {
			t.Fatal(err)
		}
		if err := c.Set(ctx, "forever", "v", kv.NoExpiry); err != nil {
			t.Fatal(err)
		}
		if err := c.Set(ctx, "hour", "v", time.Hour); err != nil {
			t.Fatal(err)
		}
		if ok, err := c.Add(ctx, "added", "v", kv.NoExpiry); !ok || err != nil {
			t.Fatalf("Add: %v, %v", ok, err)
		}
		if _, err := c.Inc(ctx, "counter", 1, kv.DefaultTTL); err != nil {
			t.Fatal(err)
		}
		waitMiss(t, c, "default", ttl)
		waitMiss(t, c, "counter", ttl)
		for _, k := range []string{"forever", "hour", "added"} {
			if ok, err := c.Has(ctx, k); !ok || err != nil {
				t.Errorf("Has(%q) after the default ttl passed = %v, %v", k, ok, err)
			}
		}
	})
}

func TestPrefixAndClear(t *testing.T) {
	forEachStore(t, func(t *testing.T, s store) {
		b := s.open(t)
		ctx := t.Context()
		a := kv.New(b, kv.Options{Prefix: "a:"})
		other := kv.New(b, kv.Options{Prefix: "b:"})
		all := kv.New(b, kv.Options{})
		for i := range 600 { // more than Clear deletes per call
			if err := a.Set(ctx, strconv.Itoa(i), i, kv.DefaultTTL); err != nil {
				t.Fatal(err)
			}
		}
		if err := other.Set(ctx, "1", "kept", kv.DefaultTTL); err != nil {
			t.Fatal(err)
		}
		if got, err := kv.Get[int](ctx, all, "a:7"); got != 7 || err != nil {
			t.Errorf("the prefixed key read without prefix = %d, %v; want 7", got, err)
		}
		if err := a.Clear(ctx); err != nil {
			t.Fatalf("Clear with a prefix: %v", err)
		}
		for _, k := range []string{"0", "7", "599"} {
			if ok, _ := a.Has(ctx, k); ok {
				t.Errorf("%q survived Clear", k)
			}
		}
		if got, err := kv.Get[string](ctx, other, "1"); got != "kept" || err != nil {
			t.Errorf("another prefix's value after Clear = %q, %v", got, err)
		}
		if err := all.Clear(ctx); err != nil {
			t.Fatalf("Clear without a prefix: %v", err)
		}
		if ok, _ := other.Has(ctx, "1"); ok {
			t.Errorf("Clear without a prefix left a value")
		}
	})
}

func TestErrorsNameTheKey(t *testing.T) {
	b := kv.New(plain{closedBackend(t)}, kv.Options{})
	ctx := t.Context()
	checks := map[string]error{}
	checks["get"] = b.Get(ctx, "the-key", new(string))
	checks["set"] = b.Set(ctx, "the-key", 1, kv.DefaultTTL)
	_, checks["add"] = b.Add(ctx, "the-key", 1, kv.DefaultTTL)
	_, checks["inc"] = b.Inc(ctx, "the-key", 1, kv.DefaultTTL)
	_, checks["has"] = b.Has(ctx, "the-key")
	checks["delete"] = b.Delete(ctx, "the-key")
	for op, err := range checks {
		if !errors.Is(err, backends.ErrClosed) {
			t.Errorf("%s on a closed store = %v; want an error matching ErrClosed", op, err)
			continue
		}
		if want := fmt.Sprintf("kv %s %q", op, "the-key"); err.Error()[:len(want)] != want {
			t.Errorf("%s error %q does not start with %q", op, err, want)
		}
	}
}
