package memcache

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"iter"
	"math"
	"net"
	"strconv"
	"sync"
	"time"

	gomemcache "github.com/bradfitz/gomemcache/memcache"

	"github.com/cachedhttp/cachedhttp/backends"
	"github.com/cachedhttp/cachedhttp/backends/internal/batch"
	"github.com/cachedhttp/cachedhttp/backends/internal/chunk"
	"github.com/cachedhttp/cachedhttp/backends/internal/lifecycle"
)

// Defaults of Options.
const (
	// DefaultPrefix is the key prefix used when Options.Prefix is empty.
	DefaultPrefix = "cachedhttp:"
	// DefaultTimeout is the socket timeout used when Options.Timeout is
	// zero: a cache gives up on a server that does not answer rather than
	// wait on it (it bounds dials too).
	DefaultTimeout = 500 * time.Millisecond
	// SetManyConcurrency is how many items SetMany stores at once.
	SetManyConcurrency = 8
	// DefaultMaxItem is the item size limit used when Options.MaxItem is
	// zero: memcached's default (-I 1m).
	DefaultMaxItem = 1 << 20
	// DefaultMaxValue is the largest value Set accepts when
	// Options.MaxValue is zero.
	DefaultMaxValue = 32 << 20
	// DefaultMaxIdleConns is the idle connection pool size per server used
	// when Options.MaxIdleConns is zero.
	DefaultMaxIdleConns = 32
	// MaxPrefix is the longest prefix New accepts: memcached keys are at
	// most 250 bytes and the prefix is followed by up to 60 more.
	MaxPrefix = 150
)

// itemOverhead is what an item costs beyond its value: memcached needs 59
// bytes plus the key (at most 250), rounded up for safety.
const itemOverhead = 512

// scanBatch is how many heads Scan reads per GetMulti; a head may hold a
// value of up to MaxItem bytes.
const scanBatch = 32

// Options configure a Backend. The zero value is ready to use.
type Options struct {
	// Prefix is the namespace: it starts every memcached key the backend
	// writes. Backends with the same servers and prefix share their
	// entries; Clear and Scan see only their own prefix. It must be at most
	// MaxPrefix bytes with no spaces or control characters. Empty means
	// DefaultPrefix ("cachedhttp:").
	Prefix string
	// Timeout is the socket read/write timeout of each memcached command
	// (extended per item while reading a multi-item reply). Zero means
	// DefaultTimeout (500ms). gomemcache's calls take no context: this
	// timeout, not the caller's deadline, bounds each of them (a caller
	// such as cachedhttp's Transport also abandons a call at its own
	// budget).
	Timeout time.Duration
	// MaxItem is the largest item the servers accept, their -I setting.
	// Values that do not fit in one item (with the backend's header) are
	// split into chunks of MaxItem minus 512 bytes. Zero means
	// DefaultMaxItem (1 MiB); the minimum is 4 KiB.
	MaxItem int
	// MaxValue is the largest value Set accepts; larger values fail with
	// backends.ErrTooLarge and store nothing. Zero means DefaultMaxValue
	// (32 MiB). Remember that memcached evicts: a value larger than a
	// good fraction of the servers' memory (-m) will not stay long.
	MaxValue int
	// MaxIdleConns is the number of idle connections kept per server. Zero
	// means DefaultMaxIdleConns (32).
	MaxIdleConns int
	// DialContext, when set, opens the connections to the servers (for
	// example with TLS, for memcached built with --enable-ssl).
	DialContext func(ctx context.Context, network, address string) (net.Conn, error)
}

// Backend is a backends.Backend stored in memcached. It is safe for
// concurrent use.
type Backend struct {
	mc        *gomemcache.Client
	servers   []string
	keys      keys
	chunkSize int
	maxValue  int
	state     lifecycle.State

	mu        sync.Mutex
	cursorGen uint64              // the generation cursor and indexed belong to
	cursor    uint64              // the index item this backend appends to
	indexed   map[[16]byte]uint64 // digests of keys recorded in the index, by generation
}

var (
	_ backends.Backend = (*Backend)(nil)
	_ backends.Batcher = (*Backend)(nil)
)

// maxIndexed bounds Backend.indexed; when full it is emptied, which only
// costs some duplicate index records.
const maxIndexed = 1 << 16

// New returns a Backend on the given memcached servers ("host:port" or a
// Unix socket path), which share keys by the CRC-32 of the key as
// gomemcache's ServerList does. It does not contact the servers.
func New(servers []string, opts Options) (*Backend, error) {
	if len(servers) == 0 {
		return nil, errors.New("memcache: new backend: no servers")
	}
	prefix := opts.Prefix
	if prefix == "" {
		prefix = DefaultPrefix
	}
	if len(prefix) > MaxPrefix {
		return nil, fmt.Errorf("memcache: new backend: prefix of %d bytes is longer than %d", len(prefix), MaxPrefix)
	}
	for i := 0; i < len(prefix); i++ {
		if c := prefix[i]; c <= ' ' || c == 0x7f {
			return nil, fmt.Errorf("memcache: new backend: prefix %q has a space or control character", prefix)
		}
	}
	maxItem := opts.MaxItem
	if maxItem == 0 {
		maxItem = DefaultMaxItem
	}
	if maxItem < 4<<10 {
		return nil, fmt.Errorf("memcache: new backend: MaxItem %d is below 4 KiB", maxItem)
	}
	maxValue := opts.MaxValue
	if maxValue == 0 {
		maxValue = DefaultMaxValue
	}
	if maxValue < 0 || opts.Timeout < 0 || opts.MaxIdleConns < 0 {
		return nil, errors.New("memcache: new backend: negative MaxValue, Timeout or MaxIdleConns")
	}
	var sl gomemcache.ServerList
	if err := sl.SetServers(servers...); err != nil {
		return nil, fmt.Errorf("memcache: new backend: servers %q: %w", servers, err)
	}
	mc := gomemcache.NewFromSelector(&sl)
	mc.Timeout = opts.Timeout
	if mc.Timeout == 0 {
		mc.Timeout = DefaultTimeout
	}
	mc.MaxIdleConns = opts.MaxIdleConns
	if mc.MaxIdleConns == 0 {
		mc.MaxIdleConns = DefaultMaxIdleConns
	}
	mc.DialContext = opts.DialContext
	return &Backend{
		mc:        mc,
		servers:   append([]string(nil), servers...),
		keys:      keys{prefix: prefix},
		chunkSize: maxItem - itemOverhead,
		maxValue:  maxValue,
		indexed:   map[[16]byte]uint64{},
	}, nil
}

// Prefix returns the namespace of b.
func (b *Backend) Prefix() string { return b.keys.prefix }

// Servers returns the servers b uses.
func (b *Backend) Servers() []string { return append([]string(nil), b.servers...) }

// ChunkSize returns the largest piece of a value b stores in one item.
func (b *Backend) ChunkSize() int { return b.chunkSize }

// generation returns the current generation, creating it (at a random
// value, so that a generation lost to eviction never comes back) when
// create is set. With create unset, a missing generation returns 0.
func (b *Backend) generation(create bool) (uint64, error) {
	return b.counter(b.keys.gen(), create, randomGen)
}

// counter reads the decimal counter item k. When it is missing it returns
// 0, or, when create is set, adds it at initial() and reads it back (added
// by this call or by another writer first).
func (b *Backend) counter(k string, create bool, initial func() uint64) (uint64, error) {
	for range 3 {
		it, err := b.mc.Get(k)
		if err == nil {
			n, perr := strconv.ParseUint(string(it.Value), 10, 64)
			if perr != nil {
				return 0, fmt.Errorf("counter %s = %q: %w", k, it.Value, errCorrupt)
			}
			return n, nil
		}
		if !errors.Is(err, gomemcache.ErrCacheMiss) {
			return 0, fmt.Errorf("read %s: %w", k, err)
		}
		if !create {
			return 0, nil
		}
		err = b.mc.Add(&gomemcache.Item{Key: k, Value: []byte(strconv.FormatUint(initial(), 10))})
		if err != nil && !errors.Is(err, gomemcache.ErrNotStored) {
			return 0, fmt.Errorf("create %s: %w", k, err)
		}
	}
	return 0, fmt.Errorf("%s keeps vanishing", k)
}

// randomGen returns a random starting generation well below 2^64 so that
// increments never wrap.
func randomGen() uint64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return binary.BigEndian.Uint64(b[:])>>2 + 1
}

// Get returns the value stored under key, reading the generation and the
// head in one round trip and the chunks of a large value in a second. A
// value with a missing or damaged chunk is a miss.
func (b *Backend) Get(ctx context.Context, key string) ([]byte, error) {
	if err := b.state.Check(ctx); err != nil {
		return nil, fmt.Errorf("memcache get %q: %w", key, err)
	}
	hk := b.keys.head(key)
	items, err := b.mc.GetMulti([]string{b.keys.gen(), hk})
	if err != nil {
		return nil, fmt.Errorf("memcache get %q: %w", key, err)
	}
	g, hi := items[b.keys.gen()], items[hk]
	if g == nil || hi == nil {
		return nil, backends.NotFound("memcache get", key)
	}
	gen, err := strconv.ParseUint(string(g.Value), 10, 64)
	if err != nil {
		return nil, fmt.Errorf("memcache get %q: generation %q: %w", key, g.Value, errCorrupt)
	}
	h, err := decodeHead(hi.Value)
	if err != nil || h.gen != gen {
		// A foreign item, or one from before the last Clear: a miss.
		return nil, backends.NotFound("memcache get", key)
	}
	if h.kind == kindValue {
		return h.value, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memcache get %q: %w", key, err)
	}
	v, err := b.assemble(h)
	if err != nil {
		if errors.Is(err, backends.ErrNotFound) {
			// A chunk was evicted or damaged: expire the head so the next
			// Get is a cheap miss, unless it was replaced meanwhile.
			b.dropChunks(h.ref())
			hi.Value, hi.Expiration = nil, -1
			_ = b.mc.CompareAndSwap(hi)
		}
		return nil, fmt.Errorf("memcache get %q: %w", key, err)
	}
	return v, nil
}

// assemble reads the chunks of h and checks them against its size and
// CRC-32C. A missing chunk or a mismatch is ErrNotFound.
func (b *Backend) assemble(h head) ([]byte, error) {
	ck := h.ref().Names(b.keys.chunk)
	items, err := b.mc.GetMulti(ck)
	if err != nil {
		return nil, err
	}
	m := chunk.Head{Gen: h.ref().Gen, Size: int64(h.size), Chunks: len(ck), ChunkSize: int64(h.chunkSize)}
	v, err := m.Assemble(func(i int) ([]byte, bool) {
		it := items[ck[i]]
		if it == nil {
			return nil, false
		}
		return it.Value, true
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", backends.ErrNotFound, err)
	}
	if crc32.Checksum(v, castagnoli) != h.crc {
		return nil, fmt.Errorf("checksum mismatch over %d chunks: %w", h.chunks, backends.ErrNotFound)
	}
	return v, nil
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Set stores value under key. It records key in the generation's index
// first; a large value then goes by chunk.Write: its chunks, then the head,
// then the chunks of the value it replaced, so a reader never finds a head
// whose chunks were not written yet. A ttl of zero or less stores without
// expiry; otherwise it is rounded up to whole seconds.
func (b *Backend) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := b.state.Check(ctx); err != nil {
		return fmt.Errorf("memcache set %q: %w", key, err)
	}
	if len(value) > b.maxValue {
		return fmt.Errorf("memcache set %q: %d bytes (MaxValue %d): %w", key, len(value), b.maxValue, backends.ErrTooLarge)
	}
	gen, err := b.generation(true)
	if err != nil {
		return fmt.Errorf("memcache set %q: %w", key, err)
	}
	if err := b.record(gen, key); err != nil {
		return fmt.Errorf("memcache set %q: index: %w", key, err)
	}
	w, ref, parts := b.newWrite(gen, key, value, time.Now(), ttl)
	if err := chunk.Write(ctx, w, ref, parts); err != nil {
		return fmt.Errorf("memcache set %q: %w", key, err)
	}
	return nil
}

// SetMany stores items with Set, SetManyConcurrency at a time (memcached
// has no multi-set command), so a batch costs about one round trip per
// SetManyConcurrency items instead of one per item. Of several items with
// one key the last is stored. The errors of the items that failed are
// returned joined; the others are stored.
func (b *Backend) SetMany(ctx context.Context, items []backends.Item) error {
	if err := b.state.Check(ctx); err != nil {
		return fmt.Errorf("memcache set many: %w", err)
	}
	return batch.Parallel(ctx, SetManyConcurrency, items, func(ctx context.Context, it backends.Item) error {
		return b.Set(ctx, it.Key, it.Value, it.TTL)
	})
}

// record appends key to the index of generation gen, unless this backend
// recorded it there already. memcached answers NOT_STORED both when the
// index item is missing and when it is full: Add tells the two apart, and a
// full item rolls over to the next number.
func (b *Backend) record(gen uint64, key string) error {
	sum := sha256.Sum256([]byte(key))
	digest := [16]byte(sum[:16])
	cursor, err := b.indexCursor(gen, digest)
	if err != nil || cursor == math.MaxUint64 {
		return err // recorded already (or failed)
	}
	rec := appendRecord(nil, key)
	for range 64 {
		k := b.keys.index(gen, cursor)
		err := b.mc.Append(&gomemcache.Item{Key: k, Value: rec})
		if err == nil {
			b.recorded(gen, cursor, digest)
			return nil
		}
		if !errors.Is(err, gomemcache.ErrNotStored) {
			return fmt.Errorf("append to %s: %w", k, err)
		}
		err = b.mc.Add(&gomemcache.Item{Key: k, Value: rec})
		if err == nil {
			b.recorded(gen, cursor, digest)
			return nil
		}
		if !errors.Is(err, gomemcache.ErrNotStored) {
			return fmt.Errorf("add %s: %w", k, err)
		}
		// The item exists but took no more: it is full. Move to the
		// newest item if another writer opened one, else open the next.
		if n, err := b.indexCount(gen, false); err == nil && n > cursor {
			cursor = n
			continue
		}
		next, err := b.mc.Increment(b.keys.indexCounter(gen), 1)
		if errors.Is(err, gomemcache.ErrCacheMiss) {
			// The counter was evicted: restart it past this item.
			next = cursor + 1
			err = b.mc.Add(&gomemcache.Item{Key: b.keys.indexCounter(gen), Value: []byte(strconv.FormatUint(next, 10))})
			if errors.Is(err, gomemcache.ErrNotStored) {
				err = nil
			}
		}
		if err != nil {
			return fmt.Errorf("advance %s: %w", b.keys.indexCounter(gen), err)
		}
		cursor = max(next, cursor+1)
	}
	return errors.New("no index item takes the record")
}

// indexCursor returns the index item to append to in generation gen, or
// math.MaxUint64 when digest is known to be recorded there already.
func (b *Backend) indexCursor(gen uint64, digest [16]byte) (uint64, error) {
	b.mu.Lock()
	if b.cursorGen == gen {
		defer b.mu.Unlock()
		if g, ok := b.indexed[digest]; ok && g == gen {
			return math.MaxUint64, nil
		}
		return b.cursor, nil
	}
	b.mu.Unlock()
	n, err := b.indexCount(gen, true)
	if err != nil {
		return 0, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cursorGen != gen {
		b.cursorGen, b.cursor = gen, n
		clear(b.indexed)
	}
	return b.cursor, nil
}

// recorded notes that digest is in index item cursor of generation gen.
func (b *Backend) recorded(gen, cursor uint64, digest [16]byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cursorGen != gen {
		return
	}
	b.cursor = max(b.cursor, cursor)
	if len(b.indexed) >= maxIndexed {
		clear(b.indexed)
	}
	b.indexed[digest] = gen
}

// indexCount reads the number of the newest index item of generation gen,
// creating the counter at 0 when create is set (else a missing counter
// reads as 0).
func (b *Backend) indexCount(gen uint64, create bool) (uint64, error) {
	return b.counter(b.keys.indexCounter(gen), create, func() uint64 { return 0 })
}

// Delete removes keys: it reads their heads (32 per round trip), deletes
// the chunks of large values, then the heads. Index records stay: Scan skips
// keys whose head is gone.
func (b *Backend) Delete(ctx context.Context, keys ...string) error {
	for len(keys) > 0 {
		batch := keys[:min(len(keys), scanBatch)]
		keys = keys[len(batch):]
		if err := b.state.Check(ctx); err != nil {
			return fmt.Errorf("memcache delete %s: %w", lifecycle.DescribeKeys(batch), err)
		}
		hks := make([]string, len(batch))
		for i, k := range batch {
			hks[i] = b.keys.head(k)
		}
		items, err := b.mc.GetMulti(hks)
		if err != nil {
			return fmt.Errorf("memcache delete %s: %w", lifecycle.DescribeKeys(batch), err)
		}
		for i, hk := range hks {
			it := items[hk]
			if it == nil {
				continue
			}
			// The head first, then its chunks (see package chunk).
			if err := b.mc.Delete(hk); err != nil && !errors.Is(err, gomemcache.ErrCacheMiss) {
				return fmt.Errorf("memcache delete %q: %w", batch[i], err)
			}
			if h, err := decodeHead(it.Value); err == nil {
				b.dropChunks(h.ref())
			}
		}
	}
	if err := b.state.Check(ctx); err != nil {
		return fmt.Errorf("memcache delete: %w", err)
	}
	return nil
}

// Clear empties the namespace by incrementing the generation: every head
// written before is then a miss, at once and in O(1). Clear then frees the
// old generation's items, best effort, until ctx ends: it reads the old
// index, deletes the chunks of the old entries, expires their heads (with a
// compare-and-swap, so that a value Set since is kept) and deletes the index
// items. Entries the index lost expire or are evicted in time.
func (b *Backend) Clear(ctx context.Context) error {
	if err := b.state.Check(ctx); err != nil {
		return fmt.Errorf("memcache clear %q: %w", b.keys.prefix, err)
	}
	old, err := b.generation(false)
	if err != nil {
		return fmt.Errorf("memcache clear %q: %w", b.keys.prefix, err)
	}
	if old == 0 {
		return nil // nothing was ever stored (or the generation was evicted, which lost everything)
	}
	_, err = b.mc.Increment(b.keys.gen(), 1)
	if errors.Is(err, gomemcache.ErrCacheMiss) {
		_, err = b.generation(true) // evicted meanwhile: a fresh random one
	}
	if err != nil {
		return fmt.Errorf("memcache clear %q: %w", b.keys.prefix, err)
	}
	b.sweep(ctx, old)
	return nil
}

// sweep frees the items of generation gen, best effort (see Clear).
func (b *Backend) sweep(ctx context.Context, gen uint64) {
	names, err := b.indexedKeys(ctx, gen)
	if err != nil {
		return
	}
	for len(names) > 0 && ctx.Err() == nil {
		batch := names[:min(len(names), scanBatch)]
		names = names[len(batch):]
		hks := make([]string, len(batch))
		for i, k := range batch {
			hks[i] = b.keys.head(k)
		}
		items, err := b.mc.GetMulti(hks)
		if err != nil {
			return
		}
		for _, it := range items {
			h, err := decodeHead(it.Value)
			if err != nil || h.gen != gen {
				continue
			}
			b.dropChunks(h.ref())
			// A negative expiry stores the item already expired; the
			// CAS id makes it fail if the head was replaced meanwhile.
			it.Value, it.Expiration = nil, -1
			_ = b.mc.CompareAndSwap(it)
		}
	}
	if ctx.Err() != nil {
		return
	}
	if n, err := b.indexCount(gen, false); err == nil {
		for i := uint64(0); i <= n+8 && ctx.Err() == nil; i++ {
			_ = b.mc.Delete(b.keys.index(gen, i))
		}
		_ = b.mc.Delete(b.keys.indexCounter(gen))
	}
}

// Scan yields the keys recorded in the current generation's index whose
// head still exists, once each, with the size and expiry the head records.
// It reads the whole index first (so its memory grows with the number of
// distinct keys) and then the heads in batches of 32, values included, as
// memcached's text protocol cannot read an item's size without its value.
// A key whose index item memcached evicted is not yielded.
func (b *Backend) Scan(ctx context.Context) iter.Seq2[backends.Entry, error] {
	return func(yield func(backends.Entry, error) bool) {
		fail := func(err error) { yield(backends.Entry{}, fmt.Errorf("memcache scan %q: %w", b.keys.prefix, err)) }
		if err := b.state.Check(ctx); err != nil {
			fail(err)
			return
		}
		gen, err := b.generation(false)
		if err != nil {
			fail(err)
			return
		}
		if gen == 0 {
			return
		}
		names, err := b.indexedKeys(ctx, gen)
		if err != nil {
			fail(err)
			return
		}
		for len(names) > 0 {
			if err := b.state.Check(ctx); err != nil {
				fail(err)
				return
			}
			batch := names[:min(len(names), scanBatch)]
			names = names[len(batch):]
			hks := make([]string, len(batch))
			for i, k := range batch {
				hks[i] = b.keys.head(k)
			}
			items, err := b.mc.GetMulti(hks)
			if err != nil {
				fail(err)
				return
			}
			for i, k := range batch {
				it := items[hks[i]]
				if it == nil {
					continue
				}
				h, err := decodeHead(it.Value)
				if err != nil || h.gen != gen {
					continue
				}
				e := backends.Entry{Key: k, Size: h.valueSize()}
				if h.expires > 0 {
					e.Expires = time.UnixMilli(h.expires)
				}
				if !yield(e, nil) {
					return
				}
			}
		}
	}
}

// indexedKeys reads every index item of generation gen and returns the
// distinct keys they record, in order of first record.
func (b *Backend) indexedKeys(ctx context.Context, gen uint64) ([]string, error) {
	n, err := b.indexCount(gen, false)
	if err != nil {
		return nil, err
	}
	seen := map[string]struct{}{}
	var names []string
	const batch = 8
	// Read 0..n, then keep probing while items turn up (the counter may
	// have been evicted and restarted lower than the items that exist).
	for lo := uint64(0); ; lo += batch {
		if err := b.state.Check(ctx); err != nil {
			return nil, err
		}
		ks := make([]string, batch)
		for i := range ks {
			ks[i] = b.keys.index(gen, lo+uint64(i))
		}
		items, err := b.mc.GetMulti(ks)
		if err != nil {
			return nil, err
		}
		for _, k := range ks {
			it := items[k]
			if it == nil {
				continue
			}
			if err := decodeIndex(it.Value, func(key string) {
				if _, dup := seen[key]; !dup {
					seen[key] = struct{}{}
					names = append(names, key)
				}
			}); err != nil {
				return nil, fmt.Errorf("index item %s: %w", k, err)
			}
		}
		if lo+batch > n && len(items) == 0 {
			return names, nil
		}
	}
}

// Items returns the memcached keys that hold the value stored under key:
// its head, then its chunks when it is chunked, or an error matching
// backends.ErrNotFound. It is meant for inspection and tests.
func (b *Backend) Items(ctx context.Context, key string) ([]string, error) {
	if err := b.state.Check(ctx); err != nil {
		return nil, fmt.Errorf("memcache items %q: %w", key, err)
	}
	hk := b.keys.head(key)
	it, err := b.mc.Get(hk)
	if errors.Is(err, gomemcache.ErrCacheMiss) {
		return nil, fmt.Errorf("memcache items %q: %w", key, backends.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("memcache items %q: %w", key, err)
	}
	h, err := decodeHead(it.Value)
	if err != nil {
		return nil, fmt.Errorf("memcache items %q: %w", key, err)
	}
	return append([]string{hk}, h.ref().Names(b.keys.chunk)...), nil
}

// Close releases the idle connections. Calls after Close, Close included,
// return an error matching backends.ErrClosed.
func (b *Backend) Close() error {
	if !b.state.Close() {
		return fmt.Errorf("memcache close: %w", backends.ErrClosed)
	}
	if err := b.mc.Close(); err != nil {
		return fmt.Errorf("memcache close: %w", err)
	}
	return nil
}
