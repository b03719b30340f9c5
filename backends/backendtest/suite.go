package backendtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cachedhttp/cachedhttp/backends"
)

// Options describe what a backend can hold, so the suite tests its limits.
// The zero value describes a backend that holds values of at least 20 MiB,
// honours millisecond TTLs, can scan, and stores what it is given.
type Options struct {
	// MaxValue is the largest value the backend stores; zero means at least
	// 20 MiB. Values above it must fail with an error matching
	// backends.ErrTooLarge and store nothing.
	MaxValue int
	// TTLGranularity is the smallest TTL the store honours natively (for
	// example one second for memcached); zero means one millisecond. The
	// suite's expiry test uses a TTL of max(TTLGranularity, 50ms) and allows
	// TTLGranularity of slack when it checks Entry.Expires.
	TTLGranularity time.Duration
	// StoresNothing says the backend accepts every write and stores nothing
	// (the null backend): Get always misses, Scan yields nothing, and the
	// suite checks only that every method behaves (errors, Close, context).
	StoresNothing bool
	// ScanUnsupported says the store cannot enumerate its keys (memcached):
	// Scan must yield exactly one error matching errors.ErrUnsupported, and
	// the suite skips the checks that need Scan.
	ScanUnsupported bool
	// Corrupt, when set, damages the record stored under key in b (a
	// test hook behind the backend, as a crash or a disk error would), and
	// turns on the test that a damaged record stops neither Scan (it is
	// yielded with its key and an error matching backends.ErrCorrupt, the
	// others around it as usual) nor anything else: Get misses
	// (backends.ErrNotFound and ErrCorrupt) and deletes it, and Set
	// replaces it.
	Corrupt func(t *testing.T, b backends.Backend, key string)
	// Chunking describes how the backends newBackend returns split large
	// values into chunks; its zero value says they do not, and leaves the
	// chunk tests out.
	Chunking Chunking
}

// Chunking describes a store that keeps a value larger than one record in
// several (chunks and a head naming them), and turns on the test of the
// chunk protocol: concurrent overwrites of one chunked key never yield a
// mixed or truncated value, leave one value's records behind, and a Delete
// leaves none.
type Chunking struct {
	// Size is the chunk size of the backends newBackend returns: values of
	// more than Size bytes are chunked. The test stores values of three
	// chunks, the last one half full. Zero turns the chunk test off.
	Size int
	// Records, when set, counts the records (head and chunk documents,
	// items or files alike) b holds, looking behind the backend. After the
	// overwrites there must be one head and the three chunks of the value
	// that won; after Delete, none. Nil leaves those counts unchecked.
	Records func(t *testing.T, b backends.Backend) int
	// LeavesSuperseded says concurrent overwrites may leave a superseded
	// value's chunks behind (a server whose findAndModify is not atomic,
	// FerretDB 1.x): the count after the overwrites is then only logged.
	LeavesSuperseded bool
}

// Run runs the conformance suite. newBackend returns a new, empty backend
// (in its own namespace for shared servers) and registers its cleanup with
// t.Cleanup; the suite calls it once or twice per sub-test, and may Close
// the backend itself (cleanup must tolerate a second Close).
//
// Beyond the Backend interface's documentation, the suite requires:
//
//   - A method called with a context that is already cancelled returns an
//     error matching context.Canceled and has no effect (Set stores nothing,
//     Delete and Clear remove nothing; Scan yields that error). This holds
//     for in-process stores too, which could ignore the context because they
//     never block on I/O: checking ctx.Err() first costs nanoseconds, keeps
//     every backend alike, and lets a caller abandon a large write.
//   - Entry.Size is len(value) as given to Set, or -1 when unknown.
//     Entry.Expires is zero for a value stored without TTL and within
//     TTLGranularity (at least one second) of the expiry asked for otherwise.
//   - Scan yields each stored key exactly once, and tolerates Set and Delete
//     (from the loop body) while it runs.
//   - The empty string and any byte sequence up to 4 KiB are valid keys,
//     distinct from each other.
//   - Close may be called twice; the second call returns nil or an error
//     matching backends.ErrClosed.
//   - A backend that implements backends.Adder or backends.Incrementer
//     keeps their contracts, concurrency included (see atomic.go).
//
// Under testing.Short the suite uses fewer keys, fewer iterations and values
// of at most 1 MiB.
func Run(t *testing.T, newBackend func(t *testing.T) backends.Backend, opts Options) {
	t.Helper()
	s := &suite{newBackend: newBackend, opts: opts}
	if opts.StoresNothing {
		t.Run("stores nothing", s.storesNothing)
		t.Run("miss matches ErrNotFound", s.miss)
		t.Run("delete of missing keys is not an error", s.deleteMissing)
		t.Run("cancelled context", s.cancelled)
		t.Run("close then use returns ErrClosed", s.closed)
		return
	}
	t.Run("round trip", s.roundTrip)
	t.Run("miss matches ErrNotFound", s.miss)
	t.Run("overwrite replaces the value", s.overwrite)
	t.Run("set many stores every item (Batcher)", s.setMany)
	t.Run("two gets return equal bytes", s.twoGets)
	t.Run("returned value survives a later set", s.survivesLaterSet)
	t.Run("delete of missing keys is not an error", s.deleteMissing)
	t.Run("delete removes several keys at once", s.deleteMany)
	t.Run("ttl expires the value", s.ttlExpiry)
	t.Run("ttl of zero or less does not expire", s.noExpiry)
	t.Run("a huge ttl does not overflow", s.hugeTTL)
	t.Run("scan yields every key once", s.scan)
	if !opts.ScanUnsupported {
		t.Run("scan stops when the loop breaks", s.scanBreak)
		t.Run("scan tolerates delete and set from the loop", s.scanMutate)
	}
	t.Run("keys helper", s.keys)
	t.Run("clear removes everything", s.clear)
	t.Run("clear leaves another backend alone", s.clearIsolation)
	t.Run("keys of any bytes stay distinct", s.oddKeys)
	t.Run("cancelled context", s.cancelled)
	t.Run("concurrent readers and writers", s.concurrent)
	if opts.Chunking.Size > 0 {
		t.Run("concurrent overwrites never mix chunks", s.chunkOverwrites)
	}
	if opts.Corrupt != nil {
		t.Run("a damaged record stops neither scan nor get", s.corrupt)
	}
	t.Run("versioned: reads leave the count, changes move it", s.versioned)
	t.Run("close then use returns ErrClosed", s.closed)
	s.atomic(t)
}

type suite struct {
	newBackend func(t *testing.T) backends.Backend
	opts       Options
}

func (s *suite) granularity() time.Duration {
	if s.opts.TTLGranularity > 0 {
		return s.opts.TTLGranularity
	}
	return time.Millisecond
}

// slack is how far a reported expiry may be from the one asked for.
func (s *suite) slack() time.Duration {
	return max(s.granularity(), time.Second)
}

// scale returns short under testing.Short and long otherwise.
func scale(long, short int) int {
	if testing.Short() {
		return short
	}
	return long
}

// randomBytes returns n bytes of deterministic pseudo-random content.
func randomBytes(seed uint64, n int) []byte {
	b := make([]byte, n)
	var s [32]byte
	binary.LittleEndian.PutUint64(s[:], seed)
	_, _ = rand.NewChaCha8(s).Read(b)
	return b
}

// sealed returns a self-validating value: the key's length, the key, filler
// of length n, and a SHA-256 over all of that. open detects a value that
// belongs to another key or was torn.
func sealed(key string, filler []byte) []byte {
	v := make([]byte, 0, 8+len(key)+len(filler)+sha256.Size)
	v = binary.BigEndian.AppendUint64(v, uint64(len(key)))
	v = append(v, key...)
	v = append(v, filler...)
	sum := sha256.Sum256(v)
	return append(v, sum[:]...)
}

// checkSealed reports what is wrong with v as a sealed value of key.
func checkSealed(key string, v []byte) error {
	if len(v) < 8+sha256.Size {
		return fmt.Errorf("value of %d bytes is too short to be sealed", len(v))
	}
	body, sum := v[:len(v)-sha256.Size], v[len(v)-sha256.Size:]
	if got := sha256.Sum256(body); !bytes.Equal(got[:], sum) {
		return fmt.Errorf("checksum mismatch in a %d-byte value (torn or corrupted)", len(v))
	}
	n := binary.BigEndian.Uint64(body)
	if n > uint64(len(body)-8) || string(body[8:8+n]) != key {
		return fmt.Errorf("value belongs to another key (%.40q)", body[8:8+min(n, uint64(len(body)-8))])
	}
	return nil
}

// equalBytes fails the test when got differs from want, without printing
// megabytes.
func equalBytes(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if bytes.Equal(got, want) {
		return
	}
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	t.Errorf("%s: got %d bytes, want %d; first difference at byte %d", what, len(got), len(want), i)
}

func mustSet(t *testing.T, b backends.Backend, key string, v []byte, ttl time.Duration) {
	t.Helper()
	if err := b.Set(t.Context(), key, v, ttl); err != nil {
		t.Fatalf("Set(%.60q, %d bytes, %v): %v", key, len(v), ttl, err)
	}
}

func mustGet(t *testing.T, b backends.Backend, key string) []byte {
	t.Helper()
	v, err := b.Get(t.Context(), key)
	if err != nil {
		t.Fatalf("Get(%.60q): %v", key, err)
	}
	return v
}

func wantMiss(t *testing.T, b backends.Backend, key string) {
	t.Helper()
	v, err := b.Get(t.Context(), key)
	if !errors.Is(err, backends.ErrNotFound) {
		t.Errorf("Get(%.60q) = %d bytes, %v; want an error matching ErrNotFound", key, len(v), err)
	}
}

// fill stores n sealed values under keys prefix+i with a few writers, and
// returns the keys and values.
func fill(t *testing.T, b backends.Backend, prefix string, n int, ttl func(i int) time.Duration) map[string][]byte {
	t.Helper()
	keys := make([]string, n)
	vals := make([][]byte, n)
	for i := range n {
		keys[i] = fmt.Sprintf("%s%06d", prefix, i)
		vals[i] = sealed(keys[i], randomBytes(uint64(i), i%97))
	}
	const writers = 8
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for i := w; i < n; i += writers {
				var d time.Duration
				if ttl != nil {
					d = ttl(i)
				}
				if err := b.Set(t.Context(), keys[i], vals[i], d); err != nil {
					errs <- fmt.Errorf("Set(%q): %w", keys[i], err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	m := make(map[string][]byte, n)
	for i := range n {
		m[keys[i]] = vals[i]
	}
	return m
}

// scanAll collects Scan's entries, failing on an error or a duplicate key.
func scanAll(t *testing.T, b backends.Backend) map[string]backends.Entry {
	t.Helper()
	got := map[string]backends.Entry{}
	for e, err := range b.Scan(t.Context()) {
		if err != nil {
			t.Fatalf("Scan: %v", err)
		}
		if _, dup := got[e.Key]; dup {
			t.Errorf("Scan yielded %.60q twice", e.Key)
		}
		got[e.Key] = e
	}
	return got
}

func (s *suite) storesNothing(t *testing.T) {
	b := s.newBackend(t)
	for _, n := range []int{0, 1, 1 << 10} {
		mustSet(t, b, "k", randomBytes(1, n), 0)
		mustSet(t, b, "k", randomBytes(1, n), time.Hour)
		wantMiss(t, b, "k")
	}
	for e, err := range b.Scan(t.Context()) {
		t.Errorf("Scan yielded %+v, %v; want nothing", e, err)
	}
	if err := b.Delete(t.Context(), "k", "other"); err != nil {
		t.Errorf("Delete: %v", err)
	}
	if err := b.Clear(t.Context()); err != nil {
		t.Errorf("Clear: %v", err)
	}
}

func (s *suite) roundTrip(t *testing.T) {
	sizes := []int{0, 1, 1 << 10, 1 << 20}
	if !testing.Short() {
		sizes = append(sizes, 20<<20)
	}
	if m := s.opts.MaxValue; m > 0 && m <= 32<<20 {
		sizes = append(sizes, m, m+1)
	}
	b := s.newBackend(t)
	for _, n := range sizes {
		t.Run(fmt.Sprintf("%d bytes", n), func(t *testing.T) {
			key := fmt.Sprintf("round-trip-%d", n)
			want := randomBytes(uint64(n), n)
			err := b.Set(t.Context(), key, want, 0)
			if s.opts.MaxValue > 0 && n > s.opts.MaxValue {
				if !errors.Is(err, backends.ErrTooLarge) {
					t.Fatalf("Set of %d bytes (MaxValue %d) = %v; want an error matching ErrTooLarge", n, s.opts.MaxValue, err)
				}
				wantMiss(t, b, key)
				return
			}
			if err != nil {
				t.Fatalf("Set of %d bytes: %v", n, err)
			}
			equalBytes(t, "Get after Set", mustGet(t, b, key), want)
		})
	}
}

func (s *suite) miss(t *testing.T) {
	b := s.newBackend(t)
	wantMiss(t, b, "never-set")
	if !s.opts.StoresNothing {
		mustSet(t, b, "present", []byte("v"), 0)
		wantMiss(t, b, "presen")
		wantMiss(t, b, "present2")
	}
}

// setMany checks backends.Batcher, for backends that implement it: every
// item is stored with its own TTL, an item repeated in one batch ends with
// the later value, and a value large enough to be chunked (for stores that
// chunk) is stored whole among small ones.
func (s *suite) setMany(t *testing.T) {
	b := s.newBackend(t)
	bt, ok := b.(backends.Batcher)
	if !ok {
		return // optional interface: nothing to check
	}
	ctx := context.Background()
	var items []backends.Item
	for i := range 50 {
		items = append(items, backends.Item{Key: fmt.Sprintf("many-%d", i), Value: randomBytes(uint64(i), 100+i)})
	}
	items = append(items, backends.Item{Key: "many-0", Value: []byte("later")})
	items = append(items, backends.Item{Key: "many-ttl", Value: []byte("x"), TTL: time.Hour})
	var big []byte
	if n := s.opts.Chunking.Size; n > 0 {
		big = randomBytes(99, 2*n+n/2)
		items = append(items, backends.Item{Key: "many-big", Value: big, TTL: time.Hour})
	}
	if err := bt.SetMany(ctx, items); err != nil {
		t.Fatalf("SetMany: %v", err)
	}
	for i := 1; i < 50; i++ {
		got, err := b.Get(ctx, fmt.Sprintf("many-%d", i))
		if err != nil || !bytes.Equal(got, items[i].Value) {
			t.Fatalf("item %d after SetMany: %v", i, err)
		}
	}
	if got, err := b.Get(ctx, "many-0"); err != nil || string(got) != "later" {
		t.Fatalf("repeated key: %q, %v; want the later value", got, err)
	}
	if big != nil {
		if got, err := b.Get(ctx, "many-big"); err != nil || !bytes.Equal(got, big) {
			t.Fatalf("chunked item after SetMany: %d bytes, %v; want the %d stored", len(got), err, len(big))
		}
	}
	for e, err := range b.Scan(ctx) {
		if s.opts.ScanUnsupported {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if e.Key == "many-ttl" && e.Expires.IsZero() {
			t.Fatal("SetMany dropped the item's TTL")
		}
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := bt.SetMany(ctx, items[:1]); !errors.Is(err, backends.ErrClosed) {
		t.Fatalf("SetMany after Close: %v, want ErrClosed", err)
	}
}

// corrupt checks Options.Corrupt's contract: Scan goes on after a damaged
// record, which it yields with its key and ErrCorrupt; Get of it is a miss
// that deletes it; Set replaces it.
func (s *suite) corrupt(t *testing.T) {
	b := s.newBackend(t)
	ctx := context.Background()
	for _, k := range []string{"a", "b", "c"} {
		mustSet(t, b, k, []byte("value of "+k), 0)
	}
	s.opts.Corrupt(t, b, "b")
	scan := func() (good, bad []string) {
		for e, err := range b.Scan(ctx) {
			switch {
			case err == nil:
				good = append(good, e.Key)
			case errors.Is(err, backends.ErrCorrupt):
				if e.Size != -1 {
					t.Errorf("damaged entry %q yielded with Size %d, want -1", e.Key, e.Size)
				}
				bad = append(bad, e.Key)
			default:
				t.Fatalf("Scan: %v", err)
			}
		}
		slices.Sort(good)
		return good, bad
	}
	good, bad := scan()
	if !slices.Equal(good, []string{"a", "c"}) || !slices.Equal(bad, []string{"b"}) {
		t.Fatalf("Scan over a damaged record: good %q, damaged %q; want a, c and b", good, bad)
	}
	if _, err := b.Get(ctx, "b"); !errors.Is(err, backends.ErrNotFound) || !errors.Is(err, backends.ErrCorrupt) {
		t.Fatalf("Get of a damaged record = %v; want an error matching ErrNotFound and ErrCorrupt", err)
	}
	if good, bad = scan(); len(bad) != 0 || !slices.Equal(good, []string{"a", "c"}) {
		t.Fatalf("Scan after Get deleted the damaged record: good %q, damaged %q; want a, c", good, bad)
	}
	mustSet(t, b, "b", []byte("again"), 0)
	equalBytes(t, "Get after Set over a damaged record", mustGet(t, b, "b"), []byte("again"))
}

func (s *suite) overwrite(t *testing.T) {
	b := s.newBackend(t)
	// Longer, shorter, empty, then longer again: a store that reuses space
	// must not leave the tail of an older value behind.
	for i, n := range []int{100, 5000, 10, 0, 70000, 3} {
		want := randomBytes(uint64(i), n)
		mustSet(t, b, "k", want, 0)
		equalBytes(t, fmt.Sprintf("Get after overwrite #%d (%d bytes)", i, n), mustGet(t, b, "k"), want)
	}
	mustSet(t, b, "k", []byte("with ttl"), time.Hour)
	mustSet(t, b, "k", []byte("without"), 0)
	equalBytes(t, "Get after overwrite with another ttl", mustGet(t, b, "k"), []byte("without"))
}

func (s *suite) twoGets(t *testing.T) {
	b := s.newBackend(t)
	want := randomBytes(7, 4096)
	mustSet(t, b, "k", want, time.Hour)
	first := mustGet(t, b, "k")
	second := mustGet(t, b, "k")
	equalBytes(t, "first Get", first, want)
	equalBytes(t, "second Get", second, first)
}

func (s *suite) survivesLaterSet(t *testing.T) {
	b := s.newBackend(t)
	want := randomBytes(1, 1000)
	mustSet(t, b, "k", want, 0)
	got := mustGet(t, b, "k")
	// Same length: a store that reuses the old value's memory, or one
	// buffer for every Get, changes got.
	mustSet(t, b, "k", randomBytes(2, 1000), 0)
	equalBytes(t, "Get after an overwrite", mustGet(t, b, "k"), randomBytes(2, 1000))
	mustSet(t, b, "k", randomBytes(3, 10), 0)
	if err := b.Delete(t.Context(), "k"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	// Compare with a fresh copy: want itself may be the backend's memory.
	equalBytes(t, "value returned before the key was overwritten and deleted", got, randomBytes(1, 1000))
}

func (s *suite) deleteMissing(t *testing.T) {
	b := s.newBackend(t)
	for _, keys := range [][]string{nil, {"missing"}, {"missing", "also missing", "missing"}} {
		if err := b.Delete(t.Context(), keys...); err != nil {
			t.Errorf("Delete(%q): %v; want nil", keys, err)
		}
	}
	if !s.opts.StoresNothing {
		mustSet(t, b, "k", []byte("v"), 0)
		if err := b.Delete(t.Context(), "k"); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		if err := b.Delete(t.Context(), "k"); err != nil {
			t.Errorf("second Delete of the same key: %v", err)
		}
		wantMiss(t, b, "k")
	}
}

func (s *suite) deleteMany(t *testing.T) {
	b := s.newBackend(t)
	vals := fill(t, b, "del-", 10, nil)
	if err := b.Delete(t.Context(), "del-000001", "del-000003", "missing", "del-000005", "del-000003"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	for k, v := range vals {
		switch k {
		case "del-000001", "del-000003", "del-000005":
			wantMiss(t, b, k)
		default:
			equalBytes(t, "Get of a key not deleted "+k, mustGet(t, b, k), v)
		}
	}
}

func (s *suite) ttlExpiry(t *testing.T) {
	b := s.newBackend(t)
	ttl := max(s.granularity(), 50*time.Millisecond)
	before := time.Now()
	// "short" was stored without TTL first: the overwrite with a TTL must
	// set one.
	mustSet(t, b, "short", []byte("forever at first"), 0)
	mustSet(t, b, "short", []byte("short-lived"), ttl)
	mustSet(t, b, "forever", []byte("forever"), 0)
	mustSet(t, b, "long", []byte("long-lived"), time.Hour)
	deadline := before.Add(ttl + 5*time.Second)
	for {
		_, err := b.Get(t.Context(), "short")
		if errors.Is(err, backends.ErrNotFound) {
			break
		}
		if err != nil {
			t.Fatalf("Get of an expiring key: %v", err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("a value stored with ttl %v is still returned after %v", ttl, time.Since(before))
		}
		time.Sleep(25 * time.Millisecond)
	}
	if elapsed := time.Since(before); elapsed < ttl-s.granularity() {
		// Not a timing assertion on speed: a value must not vanish before
		// its TTL (give or take the store's granularity).
		t.Errorf("value with ttl %v was gone after %v", ttl, elapsed)
	}
	equalBytes(t, "key without ttl", mustGet(t, b, "forever"), []byte("forever"))
	equalBytes(t, "key with a long ttl", mustGet(t, b, "long"), []byte("long-lived"))
	if s.opts.ScanUnsupported {
		return
	}
	for k, e := range scanAll(t, b) {
		if k == "short" && (e.Expires.IsZero() || e.Expires.After(time.Now().Add(s.granularity()))) {
			t.Errorf("Scan yielded the expired key with Expires %v; an expired entry may be yielded only with its past expiry", e.Expires)
		}
	}
}

func (s *suite) noExpiry(t *testing.T) {
	b := s.newBackend(t)
	ttl := max(s.granularity(), 50*time.Millisecond)
	mustSet(t, b, "zero", []byte("zero"), 0)
	mustSet(t, b, "negative", []byte("negative"), -time.Second)
	// An overwrite without TTL must clear the TTL set before.
	mustSet(t, b, "renewed", []byte("short-lived at first"), ttl)
	mustSet(t, b, "renewed", []byte("renewed"), 0)
	mustSet(t, b, "probe", []byte("probe"), ttl)
	deadline := time.Now().Add(ttl + 5*time.Second)
	for {
		_, err := b.Get(t.Context(), "probe")
		if errors.Is(err, backends.ErrNotFound) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("probe with ttl %v did not expire", ttl)
		}
		time.Sleep(25 * time.Millisecond)
	}
	equalBytes(t, "ttl 0 after another key's ttl passed", mustGet(t, b, "zero"), []byte("zero"))
	equalBytes(t, "ttl -1s after another key's ttl passed", mustGet(t, b, "negative"), []byte("negative"))
	equalBytes(t, "ttl 0 overwriting a short ttl", mustGet(t, b, "renewed"), []byte("renewed"))
	if s.opts.ScanUnsupported {
		return
	}
	got := scanAll(t, b)
	for _, k := range []string{"zero", "negative", "renewed"} {
		if e, ok := got[k]; !ok {
			t.Errorf("Scan did not yield %q", k)
		} else if !e.Expires.IsZero() {
			t.Errorf("Scan yielded %q stored without ttl with Expires %v; want zero", k, e.Expires)
		}
	}
}

// hugeTTL checks TTLs far in the future (an HTTP Expires in year 9999, or
// math.MaxInt64 meant as "forever"): adding them to now overflows int64
// nanoseconds, and memcached reads a TTL over 30 days as a timestamp.
func (s *suite) hugeTTL(t *testing.T) {
	b := s.newBackend(t)
	ttls := map[string]time.Duration{
		"31 days":   31 * 24 * time.Hour,
		"100 years": 100 * 365 * 24 * time.Hour,
		"max":       time.Duration(math.MaxInt64),
	}
	for k, ttl := range ttls {
		mustSet(t, b, k, []byte(k), ttl)
	}
	for k := range ttls {
		got, err := b.Get(t.Context(), k)
		if err != nil {
			t.Errorf("Get of a value stored with ttl %s: %v", k, err)
			continue
		}
		equalBytes(t, "value with ttl "+k, got, []byte(k))
	}
	if s.opts.ScanUnsupported {
		return
	}
	floor := time.Now().Add(30 * 24 * time.Hour)
	for k, e := range scanAll(t, b) {
		if !e.Expires.IsZero() && e.Expires.Before(floor) {
			t.Errorf("Scan: %q stored with ttl %s has Expires %v; want zero or after %v", k, k, e.Expires, floor)
		}
	}
}

func (s *suite) scan(t *testing.T) {
	b := s.newBackend(t)
	if s.opts.ScanUnsupported {
		n := 0
		for _, err := range b.Scan(t.Context()) {
			n++
			if !errors.Is(err, errors.ErrUnsupported) {
				t.Errorf("Scan yielded %v; want an error matching errors.ErrUnsupported", err)
			}
		}
		if n != 1 {
			t.Errorf("Scan yielded %d times; want exactly one error", n)
		}
		return
	}
	n := scale(3000, 300)
	before := time.Now()
	vals := fill(t, b, "scan-", n, func(i int) time.Duration {
		if i%10 == 0 {
			return time.Hour
		}
		return 0
	})
	after := time.Now()
	got := scanAll(t, b)
	if len(got) != len(vals) {
		t.Errorf("Scan yielded %d entries; want %d", len(got), len(vals))
	}
	for i := range n {
		k := fmt.Sprintf("scan-%06d", i)
		e, ok := got[k]
		if !ok {
			t.Errorf("Scan did not yield %q", k)
			continue
		}
		if e.Size != -1 && e.Size != int64(len(vals[k])) {
			t.Errorf("Scan: %q has Size %d; want %d or -1", k, e.Size, len(vals[k]))
		}
		switch {
		case i%10 != 0 && !e.Expires.IsZero():
			t.Errorf("Scan: %q stored without ttl has Expires %v; want zero", k, e.Expires)
		case i%10 == 0 && !e.Expires.IsZero():
			lo, hi := before.Add(time.Hour-s.slack()), after.Add(time.Hour+s.slack())
			if e.Expires.Before(lo) || e.Expires.After(hi) {
				t.Errorf("Scan: %q stored with ttl 1h has Expires %v; want between %v and %v", k, e.Expires, lo, hi)
			}
		}
	}
}

func (s *suite) scanBreak(t *testing.T) {
	b := s.newBackend(t)
	fill(t, b, "brk-", scale(300, 50), nil)
	n := 0
	for _, err := range b.Scan(t.Context()) {
		if err != nil {
			t.Fatalf("Scan: %v", err)
		}
		n++
		if n == 10 {
			break
		}
	}
	if n != 10 {
		t.Errorf("looped %d times; want 10", n)
	}
	// The backend must still work after an abandoned Scan (no lock held,
	// no transaction left open).
	mustSet(t, b, "after", []byte("v"), 0)
	equalBytes(t, "Get after an abandoned Scan", mustGet(t, b, "after"), []byte("v"))
}

func (s *suite) scanMutate(t *testing.T) {
	b := s.newBackend(t)
	vals := fill(t, b, "mut-", scale(300, 100), nil)
	seen := map[string]bool{}
	for e, err := range b.Scan(t.Context()) {
		if err != nil {
			t.Fatalf("Scan: %v", err)
		}
		if _, ok := vals[e.Key]; !ok {
			continue // a key set by this loop; Scan may or may not yield it
		}
		if seen[e.Key] {
			t.Errorf("Scan yielded %q twice", e.Key)
		}
		seen[e.Key] = true
		if err := b.Delete(t.Context(), e.Key); err != nil {
			t.Fatalf("Delete(%q) inside Scan: %v", e.Key, err)
		}
		if err := b.Set(t.Context(), "new-"+e.Key, []byte("x"), 0); err != nil {
			t.Fatalf("Set inside Scan: %v", err)
		}
	}
	if len(seen) != len(vals) {
		t.Errorf("Scan yielded %d of the %d keys stored before it started", len(seen), len(vals))
	}
	for k := range vals {
		wantMiss(t, b, k)
		equalBytes(t, "key set during Scan", mustGet(t, b, "new-"+k), []byte("x"))
	}
}

func (s *suite) keys(t *testing.T) {
	b := s.newBackend(t)
	if s.opts.ScanUnsupported {
		for _, err := range backends.Keys(t.Context(), b) {
			if !errors.Is(err, errors.ErrUnsupported) {
				t.Errorf("Keys yielded %v; want an error matching errors.ErrUnsupported", err)
			}
		}
		return
	}
	vals := fill(t, b, "keys-", 50, nil)
	got := map[string]int{}
	for k, err := range backends.Keys(t.Context(), b) {
		if err != nil {
			t.Fatalf("Keys: %v", err)
		}
		got[k]++
	}
	for k := range vals {
		if got[k] != 1 {
			t.Errorf("Keys yielded %q %d times; want once", k, got[k])
		}
	}
	if len(got) != len(vals) {
		t.Errorf("Keys yielded %d keys; want %d", len(got), len(vals))
	}
}

func (s *suite) clear(t *testing.T) {
	b := s.newBackend(t)
	vals := fill(t, b, "clr-", 100, func(i int) time.Duration { return time.Duration(i%2) * time.Hour })
	if err := b.Clear(t.Context()); err != nil {
		t.Fatalf("Clear: %v", err)
	}
	for k := range vals {
		wantMiss(t, b, k)
	}
	if !s.opts.ScanUnsupported {
		if got := scanAll(t, b); len(got) != 0 {
			t.Errorf("Scan after Clear yielded %d entries; want none", len(got))
		}
	}
	if err := b.Clear(t.Context()); err != nil {
		t.Errorf("Clear of an empty backend: %v", err)
	}
	mustSet(t, b, "after", []byte("v"), 0)
	equalBytes(t, "Get after Clear", mustGet(t, b, "after"), []byte("v"))
}

func (s *suite) clearIsolation(t *testing.T) {
	a, b := s.newBackend(t), s.newBackend(t)
	mustSet(t, a, "shared-name", []byte("a"), 0)
	mustSet(t, b, "shared-name", []byte("b"), 0)
	mustSet(t, b, "only-b", []byte("b"), time.Hour)
	equalBytes(t, "a's value", mustGet(t, a, "shared-name"), []byte("a"))
	if err := a.Clear(t.Context()); err != nil {
		t.Fatalf("Clear: %v", err)
	}
	wantMiss(t, a, "shared-name")
	equalBytes(t, "other backend's value after Clear", mustGet(t, b, "shared-name"), []byte("b"))
	equalBytes(t, "other backend's value after Clear", mustGet(t, b, "only-b"), []byte("b"))
}

// oddKeys are keys that break stores which treat keys as C strings, paths,
// case-insensitive names, or UTF-8.
func oddKeys() []string {
	keys := []string{
		"", " ", "a", "A", "a ", "k\x00a", "k\x00b", "k\x00", "/", "//", "../x", "./x", "x/../y",
		"%2F", "a%20b", "a b", "a+b", "\r\n", "\xff\xfe", "\xc0\x80", "ключ", "キー", "🔑",
		"*", "?", "[a]", "{a}", "a:b", "a.b", "a\\b", "CON", "nul", "$foo", "\t",
	}
	for i := range 256 {
		keys = append(keys, "byte-"+string([]byte{byte(i)}))
	}
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	keys = append(keys, string(all))
	long := strings.Repeat("k", 2047)
	keys = append(keys, long+"a", long+"b", "b"+long, long+"\x00", strings.Repeat("\xff", 2048))
	long4 := strings.Repeat("K", 4095)
	keys = append(keys, long4+"a", long4+"b")
	return keys
}

func (s *suite) oddKeys(t *testing.T) {
	b := s.newBackend(t)
	keys := oddKeys()
	seen := map[string]bool{}
	for _, k := range keys {
		if seen[k] {
			t.Fatalf("test bug: duplicate key %q", k)
		}
		seen[k] = true
		mustSet(t, b, k, sealed(k, nil), 0)
	}
	for _, k := range keys {
		if err := checkSealed(k, mustGet(t, b, k)); err != nil {
			t.Errorf("Get(%.60q): %v", k, err)
		}
	}
	if !s.opts.ScanUnsupported {
		got := scanAll(t, b)
		for _, k := range keys {
			if _, ok := got[k]; !ok {
				t.Errorf("Scan did not yield the original key %.60q", k)
			}
		}
		if len(got) != len(keys) {
			t.Errorf("Scan yielded %d keys; want %d", len(got), len(keys))
		}
	}
	if err := b.Delete(t.Context(), keys[:len(keys)/2]...); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	for i, k := range keys {
		if i < len(keys)/2 {
			wantMiss(t, b, k)
		} else if err := checkSealed(k, mustGet(t, b, k)); err != nil {
			t.Errorf("Get(%.60q) after deleting other keys: %v", k, err)
		}
	}
}

func (s *suite) cancelled(t *testing.T) {
	b := s.newBackend(t)
	if !s.opts.StoresNothing {
		mustSet(t, b, "present", []byte("v"), 0)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	check := func(op string, err error) {
		t.Helper()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context = %v; want an error matching context.Canceled", op, err)
		}
	}
	_, err := b.Get(ctx, "present")
	check("Get", err)
	check("Set", b.Set(ctx, "new", []byte("v"), 0))
	check("Delete", b.Delete(ctx, "present"))
	check("Clear", b.Clear(ctx))
	n := 0
	for e, err := range b.Scan(ctx) {
		n++
		check("Scan", err)
		if e != (backends.Entry{}) {
			t.Errorf("Scan with a cancelled context yielded %+v; want the zero Entry with the error", e)
		}
	}
	if n != 1 {
		t.Errorf("Scan with a cancelled context yielded %d times; want once (the error)", n)
	}
	if s.opts.StoresNothing {
		return
	}
	wantMiss(t, b, "new")
	equalBytes(t, "value after Delete and Clear with a cancelled context", mustGet(t, b, "present"), []byte("v"))
}

func (s *suite) concurrent(t *testing.T) {
	b := s.newBackend(t)
	const goroutines = 32
	iterations := scale(100, 25)
	shared := []string{"shared-0", "shared-1", "shared-2", "shared-3"}
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			ctx := t.Context()
			r := rand.New(rand.NewPCG(uint64(g), 1))
			own := fmt.Sprintf("own-%d", g)
			for i := range iterations {
				key := shared[r.IntN(len(shared))]
				switch op := r.IntN(10); {
				case op < 4:
					v := sealed(key, randomBytes(r.Uint64(), r.IntN(8<<10)))
					if err := b.Set(ctx, key, v, time.Hour); err != nil {
						t.Errorf("goroutine %d: Set(%q): %v", g, key, err)
						return
					}
				case op < 8:
					v, err := b.Get(ctx, key)
					if errors.Is(err, backends.ErrNotFound) {
						continue
					}
					if err != nil {
						t.Errorf("goroutine %d: Get(%q): %v", g, key, err)
						return
					}
					if err := checkSealed(key, v); err != nil {
						t.Errorf("goroutine %d: Get(%q) returned a bad value: %v", g, key, err)
						return
					}
				case op < 9:
					if err := b.Delete(ctx, key); err != nil {
						t.Errorf("goroutine %d: Delete(%q): %v", g, key, err)
						return
					}
				default:
					want := sealed(own, randomBytes(uint64(i), r.IntN(4<<10)))
					if err := b.Set(ctx, own, want, 0); err != nil {
						t.Errorf("goroutine %d: Set(%q): %v", g, own, err)
						return
					}
					got, err := b.Get(ctx, own)
					if err != nil {
						t.Errorf("goroutine %d: Get(%q) right after Set: %v", g, own, err)
						return
					}
					if !bytes.Equal(got, want) {
						t.Errorf("goroutine %d: Get(%q) right after Set returned %d bytes, not the %d just stored", g, own, len(got), len(want))
						return
					}
				}
			}
		})
	}
	wg.Wait()
	for _, key := range shared {
		v, err := b.Get(t.Context(), key)
		if errors.Is(err, backends.ErrNotFound) {
			continue
		}
		if err != nil {
			t.Fatalf("Get(%q): %v", key, err)
		}
		if err := checkSealed(key, v); err != nil {
			t.Errorf("Get(%q) after the writers finished: %v", key, err)
		}
	}
}

// chunkOverwrites has writers overwrite one key with chunked values, each
// writer's of one repeated byte, while readers check that every value they
// get is one writer's, whole.
func (s *suite) chunkOverwrites(t *testing.T) {
	b := s.newBackend(t)
	c := s.opts.Chunking
	const writers, key = 4, "chunked"
	size := 2*c.Size + c.Size/2 + 1 // three chunks
	sets := scale(6, 3)
	check := func(what string, v []byte) error {
		if len(v) != size || bytes.Count(v, v[:1]) != size {
			return fmt.Errorf("%s returned a mixed or truncated value of %d bytes", what, len(v))
		}
		return nil
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2*writers)
	for w := range writers {
		wg.Go(func() {
			v := bytes.Repeat([]byte{byte('a' + w)}, size)
			for range sets {
				if err := b.Set(t.Context(), key, v, 0); err != nil {
					errs <- fmt.Errorf("writer %d: Set: %w", w, err)
					return
				}
			}
		})
		wg.Go(func() {
			for range 2 * sets {
				v, err := b.Get(t.Context(), key)
				if errors.Is(err, backends.ErrNotFound) {
					continue
				}
				if err == nil {
					err = check("Get", v)
				}
				if err != nil {
					errs <- fmt.Errorf("reader %d: %w", w, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	v, err := b.Get(t.Context(), key)
	if err != nil {
		t.Fatalf("Get after the overwrites: %v", err)
	}
	if err := check("Get after the overwrites", v); err != nil {
		t.Error(err)
	}
	if c.Records != nil {
		switch n := c.Records(t, b); {
		case c.LeavesSuperseded:
			t.Logf("%d records after the overwrites, 4 live (superseded chunks may stay on this store)", n)
		case n != 4:
			t.Errorf("records after the overwrites = %d, want 4: a head and three chunks (old generations left behind)", n)
		}
	}
	if err := b.Delete(t.Context(), key); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	wantMiss(t, b, key)
	if c.Records != nil {
		if n := c.Records(t, b); n != 0 {
			t.Errorf("records after Delete = %d, want 0 (Delete removes every chunk of the key)", n)
		}
	}
}

func (s *suite) closed(t *testing.T) {
	b := s.newBackend(t)
	mustSet(t, b, "k", []byte("v"), 0)
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	ctx := t.Context()
	check := func(op string, err error) {
		t.Helper()
		if !errors.Is(err, backends.ErrClosed) {
			t.Errorf("%s after Close = %v; want an error matching ErrClosed", op, err)
		}
	}
	_, err := b.Get(ctx, "k")
	check("Get", err)
	check("Set", b.Set(ctx, "k", []byte("v"), 0))
	check("Delete", b.Delete(ctx, "k"))
	check("Clear", b.Clear(ctx))
	n := 0
	for _, err := range b.Scan(ctx) {
		n++
		check("Scan", err)
	}
	if n != 1 {
		t.Errorf("Scan after Close yielded %d times; want once (the error)", n)
	}
	for _, err := range backends.Keys(ctx, b) {
		check("Keys", err)
	}
	if err := b.Close(); err != nil && !errors.Is(err, backends.ErrClosed) {
		t.Errorf("second Close = %v; want nil or an error matching ErrClosed", err)
	}
}
