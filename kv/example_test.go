package kv_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"time"

	_ "github.com/cachedhttp/cachedhttp/backends/bbolt"
	"github.com/cachedhttp/cachedhttp/backends/memory"
	"github.com/cachedhttp/cachedhttp/kv"
)

// A Cache over any store: typed values, a default ttl, a prefix.
func Example() {
	ctx := context.Background()
	c := kv.New(memory.New(memory.Options{MaxEntries: 10_000}), kv.Options{
		Prefix: "app:",
		TTL:    5 * time.Minute, // used by every call given kv.DefaultTTL
	})

	if err := c.Set(ctx, "greeting", "hello", kv.DefaultTTL); err != nil {
		log.Fatal(err)
	}
	var s string
	if err := c.Get(ctx, "greeting", &s); err != nil {
		log.Fatal(err)
	}
	fmt.Println(s)

	_, err := kv.Get[string](ctx, c, "absent")
	fmt.Println(errors.Is(err, kv.ErrNotFound))

	added, _ := c.Add(ctx, "greeting", "bonjour", kv.NoExpiry)
	fmt.Println(added)

	_ = c.SetMany(ctx, map[string]any{"a": 1, "b": 2}, time.Hour)
	many, _ := kv.GetMany[int](ctx, c, "a", "b", "c")
	fmt.Println(many)
	// Output:
	// hello
	// true
	// false
	// map[a:1 b:2]
}

type Product struct {
	SKU   string
	Price float64
	Tags  []string
}

// Get[T] decodes into the type it is given.
func ExampleGet() {
	ctx := context.Background()
	c := kv.New(memory.New(memory.Options{}), kv.Options{Codec: kv.JSON})
	_ = c.Set(ctx, "product:1", Product{SKU: "A-1", Price: 9.5, Tags: []string{"new"}}, kv.DefaultTTL)

	p, err := kv.Get[Product](ctx, c, "product:1")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%+v\n", p)
	// Output: {SKU:A-1 Price:9.5 Tags:[new]}
}

// Inc and Dec keep a counter: atomic on the stores that can be (see
// Cache.Atomic), and stored as decimal digits, so Get reads it back.
func ExampleCache_Inc() {
	ctx := context.Background()
	c := kv.New(memory.New(memory.Options{}), kv.Options{})

	// A counter per minute: created with a ttl, which later increments
	// keep.
	key := "hits:" + time.Date(2026, 5, 1, 12, 30, 0, 0, time.UTC).Format("15:04")
	for range 3 {
		if _, err := c.Inc(ctx, key, 1, time.Minute); err != nil {
			log.Fatal(err)
		}
	}
	n, _ := c.Dec(ctx, key, 1, time.Minute)
	fmt.Println(n)

	hits, _ := kv.Get[int](ctx, c, key)
	fmt.Println(hits)

	_ = c.Set(ctx, "name", "not a number", kv.DefaultTTL)
	_, err := c.Inc(ctx, "name", 1, kv.DefaultTTL)
	fmt.Println(errors.Is(err, kv.ErrNotInteger))
	// Output:
	// 2
	// 2
	// true
}

// Add stores only when the key is free: one caller of many wins, which
// makes a lease (here, on a job).
func ExampleCache_Add() {
	ctx := context.Background()
	c := kv.New(memory.New(memory.Options{}), kv.Options{})
	for _, worker := range []string{"w1", "w2"} {
		won, err := c.Add(ctx, "lease:job-7", worker, 30*time.Second)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(worker, won)
	}
	// Output:
	// w1 true
	// w2 false
}

// Memoize caches a function's results per argument; concurrent calls for
// one argument run it once.
func ExampleMemoize() {
	ctx := context.Background()
	c := kv.New(memory.New(memory.Options{}), kv.Options{})

	runs := 0
	square := func(_ context.Context, n int) (int, error) {
		runs++
		return n * n, nil
	}
	m, err := kv.Memoize(c, "square", square, kv.MemoOptions[int]{TTL: time.Hour})
	if err != nil {
		log.Fatal(err)
	}
	a, _ := m.Call(ctx, 12)
	b, _ := m.Call(ctx, 12)
	fmt.Println(a, b, runs)

	_ = m.Forget(ctx, 12) // one argument
	_, _ = m.Call(ctx, 12)
	fmt.Println(runs)

	_ = m.ForgetAll(ctx) // every argument
	_, _ = m.Call(ctx, 12)
	fmt.Println(runs)
	// Output:
	// 144 144 1
	// 2
	// 3
}

type UserQuery struct {
	Org string
	ID  int
}

// A key template builds keys from the argument's fields, as Core-Lib's
// @Cache(key="user_{user_id}") does; it is checked when Memoize runs.
func ExampleMemoize_template() {
	ctx := context.Background()
	c := kv.New(memory.New(memory.Options{}), kv.Options{})
	load := func(_ context.Context, q UserQuery) (string, error) {
		return fmt.Sprintf("user %d of %s", q.ID, q.Org), nil
	}

	_, err := kv.Memoize(c, "user", load, kv.MemoOptions[UserQuery]{Template: "{Org}:user:{Id}"})
	fmt.Println(errors.Is(err, kv.ErrBadTemplate))

	m, _ := kv.Memoize(c, "user", load, kv.MemoOptions[UserQuery]{Template: "{Org}:user:{ID}"})
	v, _ := m.Call(ctx, UserQuery{Org: "acme", ID: 7})
	fmt.Println(v)

	// Core-Lib's invalidate=True: the updating function forgets the entry.
	rename := kv.Invalidates(m, func(_ context.Context, q UserQuery) (bool, error) {
		return true, nil // the update itself
	})
	_, _ = rename(ctx, UserQuery{Org: "acme", ID: 7})
	// Output:
	// true
	// user 7 of acme
}

// ParseTemplate on its own, for keys built outside a Memo.
func ExampleParseTemplate() {
	t, err := kv.ParseTemplate[UserQuery]("{Org}/users/{ID} {{literal braces}}")
	if err != nil {
		log.Fatal(err)
	}
	key, _ := t.Key(UserQuery{Org: "acme", ID: 7})
	fmt.Println(key)
	// Output: acme/users/7 {literal braces}
}

// Named caches from configuration (Core-Lib's cache registry): each name
// maps to a DSN; kv.* parameters configure the Cache, the others the
// store. Names on one store with different prefixes share it.
func ExampleOpenAll() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "kv-example")
	defer os.RemoveAll(dir)
	db := "bbolt://" + dir + "/cache.db"

	caches, err := kv.OpenAll(ctx, map[string]string{
		"sessions": db + "?kv.prefix=session:&kv.ttl=30m",
		"pages":    db + "?kv.prefix=page:&kv.codec=json",
		"local":    "memory://?max_entries=1000",
	})
	if err != nil {
		log.Fatal(err)
	}
	defer caches.Close()

	sessions, _ := caches.Cache("sessions")
	_ = sessions.Set(ctx, "abc", "user 7", kv.DefaultTTL)
	s, _ := kv.Get[string](ctx, sessions, "abc")
	fmt.Println(caches.Names(), s)
	// Output: [local pages sessions] user 7
}
