package backendtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/backends"
)

// atomic runs the checks of the optional atomic interfaces
// (backends.Adder, backends.Incrementer) that the backend claims. A
// backend that claims neither runs none.
func (s *suite) atomic(t *testing.T) {
	b := s.newBackend(t)
	if _, ok := b.(backends.Adder); ok {
		t.Run("add succeeds exactly once from 32 goroutines (Adder)", s.addOnce)
		t.Run("add replaces only an expired or deleted value (Adder)", s.addExpired)
		t.Run("add of a large value and of odd keys (Adder)", s.addLarge)
		if s.opts.Chunking.Size > 0 {
			t.Run("adds of chunked values leave the winner's chunks only (Adder)", s.addChunked)
		}
	}
	if _, ok := b.(backends.Incrementer); ok {
		t.Run("incr of a missing key starts at 0 and get returns the decimal (Incrementer)", s.incrMissing)
		t.Run("incr from 32 goroutines loses no increment (Incrementer)", s.incrConcurrent)
		t.Run("incr reads values set as decimals and refuses others (Incrementer)", s.incrValues)
		t.Run("incr honours the ttl of a new counter and keeps an existing one's (Incrementer)", s.incrTTL)
	}
	_, add := b.(backends.Adder)
	_, inc := b.(backends.Incrementer)
	if add || inc {
		t.Run("atomic verbs with a cancelled context or after close", s.atomicErrors)
	}
}

// waitExpired polls key until it misses, failing after the ttl plus five
// seconds (the suite's allowance for stores that expire lazily or late).
func (s *suite) waitExpired(t *testing.T, b backends.Backend, key string, ttl time.Duration) {
	t.Helper()
	deadline := time.Now().Add(ttl + 5*time.Second)
	for {
		_, err := b.Get(t.Context(), key)
		if errors.Is(err, backends.ErrNotFound) {
			return
		}
		if err != nil {
			t.Fatalf("Get(%q) while waiting for it to expire: %v", key, err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%q stored with ttl %v did not expire", key, ttl)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// raceAdds has goroutines Add value(g) to key at once, g counting them, and
// returns the goroutine that succeeded; it fails t unless exactly one did.
func raceAdds(t *testing.T, a backends.Adder, key string, goroutines int, value func(g int) []byte) int {
	t.Helper()
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		winners []int
	)
	start := make(chan struct{})
	for g := range goroutines {
		wg.Go(func() {
			<-start
			ok, err := a.Add(t.Context(), key, value(g), 0)
			if err != nil {
				t.Errorf("goroutine %d: Add(%.40q) of %d bytes: %v", g, key, len(value(g)), err)
				return
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
		t.Fatalf("Add(%.40q) from %d goroutines succeeded %d times (goroutines %v); want exactly once", key, goroutines, len(winners), winners)
	}
	return winners[0]
}

func (s *suite) addOnce(t *testing.T) {
	b := s.newBackend(t)
	a := b.(backends.Adder)
	const goroutines = 32
	for round := range scale(4, 2) {
		key := fmt.Sprintf("once-%d", round)
		value := func(g int) []byte { return sealed(key, []byte(strconv.Itoa(g))) }
		winner := raceAdds(t, a, key, goroutines, value)
		want := value(winner)
		equalBytes(t, "Get after the Adds (the winner's value)", mustGet(t, b, key), want)
		ok, err := a.Add(t.Context(), key, []byte("late"), 0)
		if err != nil || ok {
			t.Errorf("Add(%q) of a present key = %v, %v; want false, nil", key, ok, err)
		}
		equalBytes(t, "Get after a refused Add", mustGet(t, b, key), want)
	}
}

func (s *suite) addExpired(t *testing.T) {
	b := s.newBackend(t)
	a := b.(backends.Adder)
	ctx := t.Context()
	add := func(key, v string, ttl time.Duration, want bool) {
		t.Helper()
		ok, err := a.Add(ctx, key, []byte(v), ttl)
		if err != nil || ok != want {
			t.Fatalf("Add(%q, %q, %v) = %v, %v; want %v, nil", key, v, ttl, ok, err, want)
		}
	}
	add("long", "first", time.Hour, true)
	add("long", "second", 0, false)
	equalBytes(t, "Get after a refused Add", mustGet(t, b, "long"), []byte("first"))

	// The ttl of an Add is stored (the value expires), and an expired value
	// does not block the next Add, which without ttl stays.
	ttl := max(s.granularity(), 50*time.Millisecond)
	add("short", "first", ttl, true)
	s.waitExpired(t, b, "short", ttl)
	add("short", "third", 0, true)
	equalBytes(t, "Get after an Add over an expired value", mustGet(t, b, "short"), []byte("third"))

	mustSet(t, b, "set", []byte("by set"), 0)
	add("set", "by add", 0, false)
	equalBytes(t, "a value stored by Set after a refused Add", mustGet(t, b, "set"), []byte("by set"))
	if err := b.Delete(ctx, "set"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	add("set", "by add", 0, true)
	equalBytes(t, "Get after an Add over a deleted value", mustGet(t, b, "set"), []byte("by add"))

	add("probe", "p", ttl, true)
	s.waitExpired(t, b, "probe", ttl)
	equalBytes(t, "value added without ttl after another's ttl passed", mustGet(t, b, "short"), []byte("third"))
	equalBytes(t, "value added with a long ttl", mustGet(t, b, "long"), []byte("first"))
	if err := b.Clear(ctx); err != nil {
		t.Fatalf("Clear: %v", err)
	}
	add("set", "after clear", 0, true)
	equalBytes(t, "Get after an Add over a cleared value", mustGet(t, b, "set"), []byte("after clear"))
}

func (s *suite) addLarge(t *testing.T) {
	b := s.newBackend(t)
	a := b.(backends.Adder)
	n := 2 << 20
	if m := s.opts.MaxValue; m > 0 && m < n {
		n = m
	}
	big := randomBytes(7, n)
	for i, want := range []bool{true, false} {
		ok, err := a.Add(t.Context(), "big", randomBytes(uint64(7+i), n), 0)
		if err != nil || ok != want {
			t.Fatalf("Add %d of %d bytes = %v, %v; want %v, nil", i+1, n, ok, err, want)
		}
	}
	equalBytes(t, "Get of a large added value", mustGet(t, b, "big"), big)
	keys := []string{"", "\x00", "\xff\xfe", strings.Repeat("k", 4095) + "a", strings.Repeat("k", 4095) + "b"}
	for _, k := range keys {
		if ok, err := a.Add(t.Context(), k, sealed(k, nil), 0); err != nil || !ok {
			t.Fatalf("Add(%.40q) = %v, %v; want true, nil", k, ok, err)
		}
	}
	for _, k := range keys {
		if err := checkSealed(k, mustGet(t, b, k)); err != nil {
			t.Errorf("Get(%.40q) after Add: %v", k, err)
		}
	}
}

// addChunked has goroutines Add chunked values (three chunks, each
// goroutine's of one repeated byte) to one absent key, then Adds one over
// an expired chunked value. Exactly one concurrent Add wins and Get returns
// its value whole; when the store's records can be counted, the losers'
// chunks and the expired value's are gone, and a Delete leaves nothing.
func (s *suite) addChunked(t *testing.T) {
	b := s.newBackend(t)
	a := b.(backends.Adder)
	c := s.opts.Chunking
	size := 2*c.Size + c.Size/2 + 1
	value := func(g int) []byte { return bytes.Repeat([]byte{byte('a' + g)}, size) }
	records := func(what string, want int) {
		t.Helper()
		if c.Records == nil {
			return
		}
		if n := c.Records(t, b); n != want {
			t.Errorf("records %s = %d, want %d", what, n, want)
		}
	}
	winner := raceAdds(t, a, "chunked", 4, value)
	equalBytes(t, "Get after the chunked Adds (the winner's value)", mustGet(t, b, "chunked"), value(winner))
	records("after concurrent Adds of chunked values (a head and the winner's three chunks)", 4)

	// A live chunked value refuses a second Add. Its TTL is long so that a
	// slow chunked write cannot let it expire between the two Adds.
	for i, want := range []bool{true, false} {
		if ok, err := a.Add(t.Context(), "live", value(i), time.Hour); err != nil || ok != want {
			t.Fatalf("Add %d of a chunked value with ttl 1h = %v, %v; want %v, nil", i+1, ok, err, want)
		}
	}
	if err := b.Delete(t.Context(), "live"); err != nil {
		t.Fatalf("Delete(live): %v", err)
	}
	ttl := max(s.granularity(), 50*time.Millisecond)
	if ok, err := a.Add(t.Context(), "expiring", value(0), ttl); err != nil || !ok {
		t.Fatalf("Add of a chunked value with ttl %v = %v, %v; want true, nil", ttl, ok, err)
	}
	s.waitExpired(t, b, "expiring", ttl)
	if ok, err := a.Add(t.Context(), "expiring", value(2), 0); err != nil || !ok {
		t.Fatalf("Add of a chunked value over an expired one = %v, %v; want true, nil", ok, err)
	}
	equalBytes(t, "Get after an Add over an expired chunked value", mustGet(t, b, "expiring"), value(2))
	records("after an Add over an expired chunked value (two heads and their chunks)", 8)

	if err := b.Delete(t.Context(), "chunked", "expiring"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	records("after Delete", 0)
}

func mustIncr(t *testing.T, b backends.Backend, key string, delta int64, ttl time.Duration) int64 {
	t.Helper()
	n, err := b.(backends.Incrementer).Incr(t.Context(), key, delta, ttl)
	if err != nil {
		t.Fatalf("Incr(%.40q, %d, %v): %v", key, delta, ttl, err)
	}
	return n
}

func (s *suite) incrMissing(t *testing.T) {
	b := s.newBackend(t)
	steps := []struct {
		delta, want int64
	}{{5, 5}, {-7, -2}, {0, -2}, {math.MaxInt64, math.MaxInt64 - 2}, {-math.MaxInt64, -2}}
	for _, st := range steps {
		if got := mustIncr(t, b, "c", st.delta, 0); got != st.want {
			t.Fatalf("Incr(c, %d) = %d; want %d", st.delta, got, st.want)
		}
		equalBytes(t, "Get after Incr", mustGet(t, b, "c"), []byte(strconv.FormatInt(st.want, 10)))
	}
	if got := mustIncr(t, b, "zero", 0, 0); got != 0 {
		t.Errorf("Incr of a missing key by 0 = %d; want 0", got)
	}
	equalBytes(t, "Get after Incr by 0 of a missing key", mustGet(t, b, "zero"), []byte("0"))
	keys := []string{"", "\x00", strings.Repeat("k", 4095) + "a", strings.Repeat("k", 4095) + "b"}
	for i, k := range keys {
		if got := mustIncr(t, b, k, int64(i+1), 0); got != int64(i+1) {
			t.Errorf("Incr(%.40q, %d) of a missing key = %d", k, i+1, got)
		}
	}
	for i, k := range keys {
		equalBytes(t, fmt.Sprintf("Get(%.40q) after Incr", k), mustGet(t, b, k), []byte(strconv.Itoa(i+1)))
	}
}

func (s *suite) incrConcurrent(t *testing.T) {
	b := s.newBackend(t)
	inc := b.(backends.Incrementer)
	const goroutines = 32
	per := scale(8, 3)
	results := make(chan int64, goroutines*per)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for g := range goroutines {
		wg.Go(func() {
			<-start
			for range per {
				n, err := inc.Incr(t.Context(), "counter", 1, 0)
				if err != nil {
					t.Errorf("goroutine %d: Incr: %v", g, err)
					return
				}
				results <- n
			}
		})
	}
	close(start)
	wg.Wait()
	close(results)
	total := int64(goroutines * per)
	seen := make(map[int64]bool, total)
	for n := range results {
		if n < 1 || n > total || seen[n] {
			t.Errorf("Incr returned %d, out of 1..%d or twice: two increments read the same value", n, total)
		}
		seen[n] = true
	}
	equalBytes(t, "Get after the increments", mustGet(t, b, "counter"), []byte(strconv.FormatInt(total, 10)))
}

func (s *suite) incrValues(t *testing.T) {
	b := s.newBackend(t)
	inc := b.(backends.Incrementer)
	mustSet(t, b, "set", []byte("41"), 0)
	if got := mustIncr(t, b, "set", 1, 0); got != 42 {
		t.Errorf("Incr of a value set as \"41\" = %d; want 42", got)
	}
	mustSet(t, b, "max", []byte(strconv.FormatInt(math.MaxInt64, 10)), 0)
	mustSet(t, b, "min", []byte(strconv.FormatInt(math.MinInt64, 10)), 0)
	if a, ok := b.(backends.Adder); ok {
		if ok, err := a.Add(t.Context(), "added", []byte("-5"), 0); err != nil || !ok {
			t.Fatalf("Add: %v, %v", ok, err)
		}
		if got := mustIncr(t, b, "added", 2, 0); got != -3 {
			t.Errorf("Incr of a value added as \"-5\" = %d; want -3", got)
		}
	}
	refused := map[string]struct {
		value string
		delta int64
	}{
		"text":           {"abc", 1},
		"empty":          {"", 1},
		"plus sign":      {"+7", 1},
		"leading zero":   {"007", 1},
		"space":          {" 7", 1},
		"float":          {"7.0", 1},
		"too large":      {"9223372036854775808", 1},
		"max overflows":  {strconv.FormatInt(math.MaxInt64, 10), 1},
		"min underflows": {strconv.FormatInt(math.MinInt64, 10), -1},
	}
	for name, r := range refused {
		key := "refused-" + name
		mustSet(t, b, key, []byte(r.value), 0)
		n, err := inc.Incr(t.Context(), key, r.delta, 0)
		if !errors.Is(err, backends.ErrNotInteger) {
			t.Errorf("Incr of %q by %d = %d, %v; want an error matching ErrNotInteger", r.value, r.delta, n, err)
		}
		equalBytes(t, "value after a refused Incr ("+name+")", mustGet(t, b, key), []byte(r.value))
	}
	if got := mustIncr(t, b, "max", -1, 0); got != math.MaxInt64-1 {
		t.Errorf("Incr of MaxInt64 by -1 = %d", got)
	}
	if got := mustIncr(t, b, "min", 1, 0); got != math.MinInt64+1 {
		t.Errorf("Incr of MinInt64 by 1 = %d", got)
	}
}

func (s *suite) incrTTL(t *testing.T) {
	b := s.newBackend(t)
	ttl := max(s.granularity(), 50*time.Millisecond)
	// An existing counter keeps its expiry: a ttl neither shortens "kept"
	// (stored without one) nor "long" (created with an hour).
	mustSet(t, b, "kept", []byte("10"), 0)
	if got := mustIncr(t, b, "kept", 1, ttl); got != 11 {
		t.Errorf("Incr of a value set as \"10\" = %d; want 11", got)
	}
	mustIncr(t, b, "long", 1, time.Hour)
	mustIncr(t, b, "long", 1, ttl)
	// A new counter takes the ttl, and starts again at 0 once expired.
	mustIncr(t, b, "short", 1, ttl)
	s.waitExpired(t, b, "short", ttl)
	if got := mustIncr(t, b, "short", 5, 0); got != 5 {
		t.Errorf("Incr of an expired counter = %d; want 5 (it starts again at 0)", got)
	}
	equalBytes(t, "a counter stored without ttl, incremented with one", mustGet(t, b, "kept"), []byte("11"))
	equalBytes(t, "a counter created with an hour, incremented with a short ttl", mustGet(t, b, "long"), []byte("2"))
	mustIncr(t, b, "probe", 1, ttl)
	s.waitExpired(t, b, "probe", ttl)
	equalBytes(t, "a counter recreated without ttl", mustGet(t, b, "short"), []byte("5"))

	// Nor does a ttl extend an existing counter's expiry, or remove it;
	// Scan says what the expiry is, where the store can scan.
	before := time.Now()
	mustIncr(t, b, "two hours", 1, 2*time.Hour)
	after := time.Now()
	mustIncr(t, b, "two hours", 1, 3*time.Hour)
	mustIncr(t, b, "two hours", 1, 0)
	if s.opts.ScanUnsupported {
		return
	}
	e, ok := scanAll(t, b)["two hours"]
	lo, hi := before.Add(2*time.Hour-s.slack()), after.Add(2*time.Hour+s.slack())
	switch {
	case !ok:
		t.Errorf("Scan did not yield the counter")
	case e.Expires.Before(lo) || e.Expires.After(hi):
		t.Errorf("a counter created with ttl 2h and incremented with 3h and 0 expires at %v; want between %v and %v", e.Expires, lo, hi)
	}
}

func (s *suite) atomicErrors(t *testing.T) {
	b := s.newBackend(t)
	a, add := b.(backends.Adder)
	inc, incr := b.(backends.Incrementer)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if add {
		if _, err := a.Add(ctx, "k", []byte("v"), 0); !errors.Is(err, context.Canceled) {
			t.Errorf("Add with a cancelled context = %v; want an error matching context.Canceled", err)
		}
	}
	if incr {
		if _, err := inc.Incr(ctx, "k", 1, 0); !errors.Is(err, context.Canceled) {
			t.Errorf("Incr with a cancelled context = %v; want an error matching context.Canceled", err)
		}
	}
	wantMiss(t, b, "k")
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if add {
		if _, err := a.Add(t.Context(), "k", []byte("v"), 0); !errors.Is(err, backends.ErrClosed) {
			t.Errorf("Add after Close = %v; want an error matching ErrClosed", err)
		}
	}
	if incr {
		if _, err := inc.Incr(t.Context(), "k", 1, 0); !errors.Is(err, backends.ErrClosed) {
			t.Errorf("Incr after Close = %v; want an error matching ErrClosed", err)
		}
	}
}
