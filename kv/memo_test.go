package kv_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/backends/memory"
	"github.com/cachedhttp/cachedhttp/kv"
)

type user struct {
	ID   int
	Name string
}

// counted returns a function that counts its runs per argument.
func counted() (func(ctx context.Context, id int) (user, error), *sync.Map) {
	var runs sync.Map // int → *atomic.Int64
	return func(_ context.Context, id int) (user, error) {
		n, _ := runs.LoadOrStore(id, new(atomic.Int64))
		n.(*atomic.Int64).Add(1)
		return user{ID: id, Name: fmt.Sprintf("user %d", id)}, nil
	}, &runs
}

func runsOf(runs *sync.Map, id int) int64 {
	n, ok := runs.Load(id)
	if !ok {
		return 0
	}
	return n.(*atomic.Int64).Load()
}

func mustMemoize[K, V any](t *testing.T, c *kv.Cache, name string, fn func(context.Context, K) (V, error), opts kv.MemoOptions[K]) *kv.Memo[K, V] {
	t.Helper()
	m, err := kv.Memoize(c, name, fn, opts)
	if err != nil {
		t.Fatalf("Memoize: %v", err)
	}
	return m
}

func TestMemoOneRunForConcurrentCalls(t *testing.T) {
	forEachStore(t, func(t *testing.T, s store) {
		c := kv.New(s.open(t), kv.Options{})
		release := make(chan struct{})
		var runs atomic.Int64
		m := mustMemoize(t, c, "slow", func(_ context.Context, id int) (user, error) {
			runs.Add(1)
			<-release // hold the first run until every caller has called
			return user{ID: id}, nil
		}, kv.MemoOptions[int]{})
		const callers = 100
		var wg, called sync.WaitGroup
		called.Add(callers)
		for i := range callers {
			wg.Go(func() {
				called.Done()
				u, err := m.Call(t.Context(), 7)
				if err != nil || u.ID != 7 {
					t.Errorf("caller %d: Call = %+v, %v", i, u, err)
				}
			})
		}
		called.Wait()
		close(release)
		wg.Wait()
		if n := runs.Load(); n != 1 {
			t.Errorf("%d concurrent calls ran the function %d times; want once", callers, n)
		}
	})
}

func TestMemoForget(t *testing.T) {
	forEachStore(t, func(t *testing.T, s store) {
		c := kv.New(s.open(t), kv.Options{})
		fn, runs := counted()
		m := mustMemoize(t, c, "users", fn, kv.MemoOptions[int]{})
		ctx := t.Context()
		call := func(id int) {
			t.Helper()
			if u, err := m.Call(ctx, id); err != nil || u.ID != id {
				t.Fatalf("Call(%d) = %+v, %v", id, u, err)
			}
		}
		call(1)
		call(1)
		call(2)
		if runsOf(runs, 1) != 1 || runsOf(runs, 2) != 1 {
			t.Fatalf("runs before Forget: %d, %d; want 1, 1", runsOf(runs, 1), runsOf(runs, 2))
		}
		if err := m.Forget(ctx, 1); err != nil {
			t.Fatalf("Forget: %v", err)
		}
		call(1)
		call(2)
		if runsOf(runs, 1) != 2 || runsOf(runs, 2) != 1 {
			t.Errorf("runs after Forget(1): %d, %d; want 2, 1", runsOf(runs, 1), runsOf(runs, 2))
		}
		if err := m.ForgetAll(ctx); err != nil {
			t.Fatalf("ForgetAll: %v", err)
		}
		call(1)
		call(2)
		call(2)
		if runsOf(runs, 1) != 3 || runsOf(runs, 2) != 2 {
			t.Errorf("runs after ForgetAll: %d, %d; want 3, 2", runsOf(runs, 1), runsOf(runs, 2))
		}
		// Another function memoized in the same cache keeps its results.
		other, otherRuns := counted()
		o := mustMemoize(t, c, "users:other", other, kv.MemoOptions[int]{})
		for range 2 {
			if _, err := o.Call(ctx, 1); err != nil {
				t.Fatal(err)
			}
			if err := m.ForgetAll(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if runsOf(otherRuns, 1) != 1 {
			t.Errorf("ForgetAll of one function made another run %d times", runsOf(otherRuns, 1))
		}
	})
}

func TestMemoVersionEvicted(t *testing.T) {
	c := kv.New(memory.New(memory.Options{}), kv.Options{})
	fn, runs := counted()
	m := mustMemoize(t, c, "users", fn, kv.MemoOptions[int]{})
	ctx := t.Context()
	if _, err := m.Call(ctx, 1); err != nil {
		t.Fatal(err)
	}
	key, err := m.Key(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	// The store lost the version (eviction): a new one must not be a
	// version seen before, so the next call runs the function.
	if err := c.Delete(ctx, "memo:users:version"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Call(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if runsOf(runs, 1) != 2 {
		t.Errorf("runs after the version was lost = %d; want 2", runsOf(runs, 1))
	}
	if again, _ := m.Key(ctx, 1); again == key {
		t.Errorf("the key did not change with the version: %q", key)
	}
}

func TestMemoErrors(t *testing.T) {
	c := kv.New(memory.New(memory.Options{}), kv.Options{})
	ctx := t.Context()
	var runs atomic.Int64
	boom := errors.New("boom")
	fail := func(context.Context, string) (int, error) { runs.Add(1); return 0, boom }

	m := mustMemoize(t, c, "uncached errors", fail, kv.MemoOptions[string]{})
	for range 2 {
		if _, err := m.Call(ctx, "k"); !errors.Is(err, boom) {
			t.Fatalf("Call = %v; want the function's error", err)
		}
	}
	if runs.Load() != 2 {
		t.Errorf("an error was cached by default: %d runs for 2 calls", runs.Load())
	}

	runs.Store(0)
	m = mustMemoize(t, c, "cached errors", fail, kv.MemoOptions[string]{ErrorTTL: time.Hour})
	if _, err := m.Call(ctx, "k"); !errors.Is(err, boom) {
		t.Fatalf("first Call = %v; want the function's error", err)
	}
	_, err := m.Call(ctx, "k")
	var ce *kv.CachedError
	if !errors.As(err, &ce) || ce.Message != "boom" || ce.Name != "cached errors" {
		t.Errorf("second Call = %v; want a *CachedError with message boom", err)
	}
	if runs.Load() != 1 {
		t.Errorf("with ErrorTTL the function ran %d times; want once", runs.Load())
	}
}

func TestMemoCallerGivesUp(t *testing.T) {
	c := kv.New(memory.New(memory.Options{}), kv.Options{})
	release := make(chan struct{})
	started := make(chan struct{})
	m := mustMemoize(t, c, "slow", func(ctx context.Context, id int) (int, error) {
		close(started)
		<-release
		// The run outlives its first caller's cancellation.
		return id * 2, context.Cause(ctx)
	}, kv.MemoOptions[int]{})
	ctx, cancel := context.WithCancel(t.Context())
	first := make(chan error, 1)
	go func() {
		_, err := m.Call(ctx, 21)
		first <- err
	}()
	<-started
	second := make(chan int, 1)
	go func() {
		v, err := m.Call(t.Context(), 21)
		if err != nil {
			t.Errorf("second caller: %v", err)
		}
		second <- v
	}()
	cancel()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Errorf("the cancelled caller got %v; want context.Canceled", err)
	}
	close(release)
	if v := <-second; v != 42 {
		t.Errorf("the caller still waiting got %d; want 42", v)
	}
}

func TestMemoStoreDown(t *testing.T) {
	c := kv.New(closedBackend(t), kv.Options{})
	fn, runs := counted()
	m := mustMemoize(t, c, "users", fn, kv.MemoOptions[int]{})
	for range 2 {
		if u, err := m.Call(t.Context(), 3); err != nil || u.ID != 3 {
			t.Fatalf("Call with the store down = %+v, %v; want the function's result", u, err)
		}
	}
	if runsOf(runs, 3) != 2 {
		t.Errorf("runs with the store down = %d; want 2 (uncached)", runsOf(runs, 3))
	}
	if err := m.Forget(t.Context(), 3); err == nil {
		t.Errorf("Forget with the store down succeeded")
	}
}

type account struct {
	Org  string
	User *user
	//lint:ignore U1000 an unexported field the default key cannot see
	note string
}

func TestMemoKeys(t *testing.T) {
	c := kv.New(memory.New(memory.Options{}), kv.Options{Prefix: "app:"})
	ctx := t.Context()
	load := func(_ context.Context, a account) (string, error) { return a.Org + "/" + a.User.Name, nil }
	m := mustMemoize(t, c, "acct", load, kv.MemoOptions[account]{Template: "org:{Org}:user:{User.ID}"})
	key, err := m.Key(ctx, account{Org: "acme", User: &user{ID: 9}})
	if err != nil || !strings.HasPrefix(key, "memo:acct:") || !strings.HasSuffix(key, ":org:acme:user:9") {
		t.Errorf("Key = %q, %v; want memo:acct:<version>:org:acme:user:9", key, err)
	}
	if _, err := m.Call(ctx, account{Org: "acme"}); !errors.Is(err, kv.ErrBadTemplate) {
		t.Errorf("Call with a nil pointer on the template's path = %v; want ErrBadTemplate", err)
	}
	if _, err := kv.Memoize(c, "bad", load, kv.MemoOptions[account]{Template: "{Org}:{Missing}"}); !errors.Is(err, kv.ErrBadTemplate) || !strings.Contains(err.Error(), "Missing") {
		t.Errorf("Memoize with an unknown field = %v; want ErrBadTemplate naming it", err)
	}
	if _, err := kv.Memoize(c, "bad", load, kv.MemoOptions[account]{}); err == nil || !strings.Contains(err.Error(), "note") {
		t.Errorf("Memoize with the default key over a struct with an unexported field = %v; want an error naming it", err)
	}
	custom := mustMemoize(t, c, "custom", load, kv.MemoOptions[account]{Key: func(a account) (string, error) { return "k-" + a.Org, nil }})
	if key, err := custom.Key(ctx, account{Org: "x"}); err != nil || !strings.HasSuffix(key, ":k-x") {
		t.Errorf("Key with MemoOptions.Key = %q, %v", key, err)
	}
	// The default key of a struct hashes its encoding: equal arguments,
	// equal keys; different ones, different keys.
	byValue := mustMemoize(t, c, "hash", func(_ context.Context, u user) (int, error) { return u.ID, nil }, kv.MemoOptions[user]{})
	k1, _ := byValue.Key(ctx, user{ID: 1, Name: "a"})
	k2, _ := byValue.Key(ctx, user{ID: 1, Name: "a"})
	k3, _ := byValue.Key(ctx, user{ID: 1, Name: "b"})
	if k1 != k2 || k1 == k3 {
		t.Errorf("default keys: %q %q %q; want the first two equal and the third different", k1, k2, k3)
	}
	// Names with the separator do not collide.
	a := mustMemoize(t, c, "a:1", func(context.Context, string) (string, error) { return "a:1", nil }, kv.MemoOptions[string]{})
	b := mustMemoize(t, c, "a", func(context.Context, string) (string, error) { return "a", nil }, kv.MemoOptions[string]{})
	ka, _ := a.Key(ctx, "x")
	kb, _ := b.Key(ctx, "x")
	if strings.HasPrefix(ka, "memo:a:") {
		t.Errorf("the name a:1 was not escaped: %q (b: %q)", ka, kb)
	}
	if _, err := kv.Memoize(c, "", load, kv.MemoOptions[account]{}); err == nil {
		t.Errorf("Memoize with an empty name succeeded")
	}
}

func TestInvalidates(t *testing.T) {
	c := kv.New(memory.New(memory.Options{}), kv.Options{})
	ctx := t.Context()
	fn, runs := counted()
	m := mustMemoize(t, c, "users", fn, kv.MemoOptions[int]{})
	var failNext bool
	rename := kv.Invalidates(m, func(_ context.Context, id int) (bool, error) {
		if failNext {
			return false, errors.New("update failed")
		}
		return true, nil
	})
	if _, err := m.Call(ctx, 5); err != nil {
		t.Fatal(err)
	}
	failNext = true
	if _, err := rename(ctx, 5); err == nil {
		t.Fatal("the failing update reported no error")
	}
	if _, err := m.Call(ctx, 5); err != nil || runsOf(runs, 5) != 1 {
		t.Errorf("a failed update invalidated: %d runs, %v", runsOf(runs, 5), err)
	}
	failNext = false
	if ok, err := rename(ctx, 5); !ok || err != nil {
		t.Fatalf("update = %v, %v", ok, err)
	}
	if _, err := m.Call(ctx, 5); err != nil || runsOf(runs, 5) != 2 {
		t.Errorf("after a successful update: %d runs, %v; want 2", runsOf(runs, 5), err)
	}
}
