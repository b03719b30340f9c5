// Package memory is an in-process cachedhttp backend: a map bounded by
// entries and bytes that evicts the least recently used value first.
//
// A Backend hands out the very slice it was given by Set (no copy on Set or
// Get), as the backends.Backend contract allows: callers must not modify a
// value after Set or a slice returned by Get. Values expire lazily, when Get
// finds them expired, when eviction reaches them, or when Sweep runs.
//
// The DSN form is memory://?max_entries=N&max_bytes=N; each Open makes a new,
// empty store.
package memory

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/internal/expiry"
	"github.com/cachedhttp/cachedhttp/backends/internal/lifecycle"
)

// DefaultMaxBytes is the byte bound used when Options.MaxBytes is zero.
const DefaultMaxBytes = 64 << 20

// Options bound a Backend. The zero value means at most DefaultMaxBytes and
// no bound on the number of entries.
type Options struct {
	// MaxEntries is the most entries the Backend holds; storing one more
	// evicts the least recently used. Zero or less means no bound.
	MaxEntries int
	// MaxBytes bounds the sum of len(key)+len(value) over all entries;
	// storing past it evicts the least recently used entries until the new
	// one fits. A single value larger than MaxBytes is refused with
	// backends.ErrTooLarge. Zero means DefaultMaxBytes; less than zero means
	// no bound.
	MaxBytes int64
}

// Backend is an in-memory LRU backend. It is safe for concurrent use.
type Backend struct {
	maxEntries int
	maxBytes   int64

	mu      sync.Mutex
	entries map[string]*entry
	lru     entry // sentinel: lru.next is the most recently used
	bytes   int64
	state   lifecycle.State // Close changes it under mu

	evictions atomic.Int64  // read without mu by Evictions
	version   atomic.Uint64 // changes under mu, read without it by Version
}

// entry is one stored value and its place in the LRU list.
type entry struct {
	key        string // held form (keys.go)
	value      []byte
	expires    int64 // unix nanoseconds; 0 means never
	prev, next *entry
}

func (e *entry) size() int64 { return int64(keyLen(e.key) + len(e.value)) }

// New returns an empty Backend bounded as opts says.
func New(opts Options) *Backend {
	b := &Backend{
		maxEntries: opts.MaxEntries,
		maxBytes:   opts.MaxBytes,
		entries:    make(map[string]*entry),
	}
	if b.maxBytes == 0 {
		b.maxBytes = DefaultMaxBytes
	}
	b.lru.next, b.lru.prev = &b.lru, &b.lru
	return b
}

func init() {
	backends.Register("memory", open)
}

// open is the backends.Factory for memory://?max_entries=&max_bytes=.
func open(_ context.Context, dsn *url.URL) (backends.Backend, error) {
	var opts Options
	for name, vals := range dsn.Query() {
		v := vals[len(vals)-1]
		var err error
		switch name {
		case "max_entries":
			opts.MaxEntries, err = strconv.Atoi(v)
			if err == nil && opts.MaxEntries < 0 {
				err = errors.New("want a count >= 0 (0: no bound)")
			}
		case "max_bytes":
			opts.MaxBytes, err = strconv.ParseInt(v, 10, 64)
			if err == nil && opts.MaxBytes < -1 {
				err = errors.New("want a size >= 0 (0: the default), or -1 for no bound")
			}
		default:
			return nil, fmt.Errorf("memory: unknown DSN parameter %q (known: max_entries, max_bytes)", name)
		}
		if err != nil {
			return nil, fmt.Errorf("memory: DSN parameter %s=%q: %w", name, v, err)
		}
	}
	return New(opts), nil
}

// RetainsValues reports that the memory backend keeps the slices given to
// Set and returns them from Get (backends.Retainer).
func (b *Backend) RetainsValues() bool { return true }

// Get returns the value stored under key, without copying it. A hit does
// not allocate.
func (b *Backend) Get(ctx context.Context, key string) ([]byte, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.state.Check(ctx); err != nil {
		return nil, fmt.Errorf("memory get %q: %w", key, err)
	}
	// A miss returns the sentinel itself: misses are the common case on a
	// cache's request path, and formatting an error for each costs more
	// than the lookup. (Other errors name the key.)
	e, ok := b.live(key)
	if !ok {
		return nil, backends.ErrNotFound
	}
	b.unlink(e)
	b.pushFront(e)
	return e.value, nil
}

// Set stores value (without copying it) under key, evicting the least
// recently used entries when a bound is exceeded.
func (b *Backend) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	expires := expiry.UnixNano(time.Now(), ttl)
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.state.Check(ctx); err != nil {
		return fmt.Errorf("memory set %q: %w", key, err)
	}
	size := int64(len(key) + len(value))
	if b.maxBytes > 0 && size > b.maxBytes {
		return fmt.Errorf("memory set %q: %d bytes with the key, bound is %d: %w", key, size, b.maxBytes, backends.ErrTooLarge)
	}
	b.store(key, value, expires)
	return nil
}

// Delete removes the given keys; missing keys are not an error.
func (b *Backend) Delete(ctx context.Context, keys ...string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.state.Check(ctx); err != nil {
		return fmt.Errorf("memory delete %q: %w", keys, err)
	}
	var buf [packBufBytes]byte
	for _, k := range keys {
		if e, ok := b.entries[string(packKey(buf[:0], k))]; ok {
			b.remove(e)
		}
	}
	return nil
}

// Scan yields every entry, expired ones included with their past Expires.
// It works on a snapshot taken under the lock (one Entry per stored value),
// so the loop body may call any method of b.
func (b *Backend) Scan(ctx context.Context) iter.Seq2[backends.Entry, error] {
	return func(yield func(backends.Entry, error) bool) {
		b.mu.Lock()
		if err := b.state.Check(ctx); err != nil {
			b.mu.Unlock()
			yield(backends.Entry{}, fmt.Errorf("memory scan: %w", err))
			return
		}
		snap := make([]backends.Entry, 0, len(b.entries))
		for e := b.lru.next; e != &b.lru; e = e.next {
			be := backends.Entry{Key: unpackKey(e.key), Size: int64(len(e.value))}
			if e.expires != 0 {
				be.Expires = time.Unix(0, e.expires)
			}
			snap = append(snap, be)
		}
		b.mu.Unlock()
		for _, e := range snap {
			if err := ctx.Err(); err != nil {
				yield(backends.Entry{}, fmt.Errorf("memory scan: %w", err))
				return
			}
			if !yield(e, nil) {
				return
			}
		}
	}
}

// Sweep removes every expired entry and returns how many it removed.
func (b *Backend) Sweep(ctx context.Context) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.state.Check(ctx); err != nil {
		return 0, fmt.Errorf("memory sweep: %w", err)
	}
	now := time.Now().UnixNano()
	n := 0
	for e := b.lru.next; e != &b.lru; {
		next := e.next
		if e.expires != 0 && now >= e.expires {
			b.remove(e)
			n++
		}
		e = next
	}
	return n, nil
}

// Clear removes every entry.
func (b *Backend) Clear(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.state.Check(ctx); err != nil {
		return fmt.Errorf("memory clear: %w", err)
	}
	b.reset()
	return nil
}

// Close drops every entry; later calls return backends.ErrClosed.
func (b *Backend) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.state.Close() {
		return fmt.Errorf("memory close: %w", backends.ErrClosed)
	}
	b.reset()
	return nil
}

// Len returns the number of entries held, expired ones included.
func (b *Backend) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.entries)
}

// Bytes returns the sum of len(key)+len(value) over the entries held, the
// quantity Options.MaxBytes bounds.
func (b *Backend) Bytes() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.bytes
}

func (b *Backend) reset() {
	b.version.Add(1)
	b.entries = make(map[string]*entry)
	b.lru.next, b.lru.prev = &b.lru, &b.lru
	b.bytes = 0
}

func (b *Backend) pushFront(e *entry) {
	e.prev, e.next = &b.lru, b.lru.next
	b.lru.next.prev = e
	b.lru.next = e
}

func (b *Backend) unlink(e *entry) {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
}

// remove deletes e from the map and the list.
func (b *Backend) remove(e *entry) {
	b.version.Add(1)
	b.unlink(e)
	delete(b.entries, e.key)
	b.bytes -= e.size()
}
