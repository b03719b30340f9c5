package gregjones

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"iter"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gregjones/httpcache"

	"github.com/cachedhttp/cachedhttp/backends"
)

// DefaultPrefix is the key prefix of a Backend when BackendOptions.Prefix
// is empty: it keeps cachedhttp's values apart from the URL-keyed responses
// a gregjones Transport may store in the same Cache.
const DefaultPrefix = "cachedhttp:"

// The envelope a Backend stores around each value:
//
//	"CHGJ" | version 1 | generation (8) | expiry, Unix ms, 0 = never (8) |
//	value length (8) | CRC-32C of the value (4) | value
//
// The generation makes Clear possible without listing keys. The length and
// checksum turn a torn read into a miss, never a wrong value: diskcache
// rewrites files in place and diskv reads them outside its lock, so a read
// that races a write sees part of either value, even in one process.
const (
	envelopeMagic   = "CHGJ"
	envelopeVersion = 1
	envelopeHeader  = len(envelopeMagic) + 1 + 8 + 8 + 8 + 4
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// BackendOptions configure a Backend. The zero value is usable.
type BackendOptions struct {
	// Prefix is put before every key given to the Cache (as Prefix+"v:"+key
	// for values and Prefix+"generation" for the generation counter), so
	// that several Backends, or a Backend and a gregjones Transport, share
	// one Cache. Empty means DefaultPrefix.
	Prefix string
	// Now is the clock that decides expiry; nil means time.Now.
	Now func() time.Time
}

// Backend is a backends.Backend that keeps its values in a gregjones
// httpcache.Cache, so that a cachedhttp Transport can use the store a
// gregjones user already has (diskcache, leveldbcache, memcache, redis).
//
// A gregjones Cache has only Get, Set and Delete, and none of them takes a
// context or returns an error. Backend therefore:
//
//   - stores each value in an envelope with its expiry: an expired value
//     is a miss, but its bytes stay in the Cache until the key is written
//     or deleted again (the Cache cannot expire or list anything);
//   - cannot Scan: Scan yields one error matching errors.ErrUnsupported,
//     so `cachedhttp ls`, `stats`, `purge` (without -all) and `migrate
//     -from` do not work on it;
//   - clears in O(1) with a generation counter kept in the Cache (every
//     envelope records the generation it was written in; Clear moves to a
//     new one), leaving the old values' bytes behind, as above;
//   - honours a context only by checking ctx.Err() before each call;
//   - cannot see write failures: a Set the Cache drops (gregjones'
//     memcache drops values over memcached's item limit, 1 MiB by
//     default) is a later miss.
//
// Each Get and Set reads the generation too: two Cache reads per Get. It is
// safe for concurrent use when the Cache is (every gregjones Cache is).
type Backend struct {
	c      httpcache.Cache
	prefix string
	genKey string
	now    func() time.Time
	closed atomic.Bool
	genMu  sync.Mutex // serialises creating the generation in this process
}

// NewBackend returns a Backend over c. Close does not close c's store
// (gregjones caches have no Close); close it yourself where it has one.
func NewBackend(c httpcache.Cache, opts *BackendOptions) *Backend {
	var o BackendOptions
	if opts != nil {
		o = *opts
	}
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Backend{c: c, prefix: o.Prefix, genKey: o.Prefix + "generation", now: o.Now}
}

// Cache returns the gregjones Cache b stores its values in.
func (b *Backend) Cache() httpcache.Cache { return b.c }

func (b *Backend) valueKey(key string) string { return b.prefix + "v:" + key }

// check returns ErrClosed after Close, or ctx's error.
func (b *Backend) check(ctx context.Context) error {
	if b.closed.Load() {
		return backends.ErrClosed
	}
	return ctx.Err()
}

// generation returns the current generation; with create, a missing one is
// created at a random value (so that a generation lost to eviction never
// comes back and revives older values). Without create, a missing
// generation is 0, which no envelope carries.
func (b *Backend) generation(create bool) uint64 {
	if g, ok := b.readGeneration(); ok || !create {
		return g
	}
	b.genMu.Lock()
	defer b.genMu.Unlock()
	if g, ok := b.readGeneration(); ok {
		return g
	}
	g := randomGeneration()
	b.c.Set(b.genKey, binary.BigEndian.AppendUint64(nil, g))
	return g
}

func (b *Backend) readGeneration() (uint64, bool) {
	v, ok := b.c.Get(b.genKey)
	if !ok || len(v) != 8 {
		return 0, false
	}
	g := binary.BigEndian.Uint64(v)
	return g, g != 0
}

func randomGeneration() uint64 {
	var r [8]byte
	_, _ = rand.Read(r[:])
	// Keep well below 2^64 so that increments never wrap to 0.
	return binary.BigEndian.Uint64(r[:])>>2 + 1
}

// Get returns the value stored under key. An expired value, one written
// before the last Clear, or one read while it was being rewritten (torn) is
// a miss (ErrNotFound); a value that is not an envelope at all matches
// ErrInvalidEnvelope. The returned slice may be the
// Cache's own memory (MemoryCache): do not modify it.
func (b *Backend) Get(ctx context.Context, key string) ([]byte, error) {
	if err := b.check(ctx); err != nil {
		return nil, fmt.Errorf("gregjones get %q: %w", key, err)
	}
	gen := b.generation(false)
	if gen == 0 {
		return nil, fmt.Errorf("gregjones get %q: %w", key, backends.ErrNotFound)
	}
	data, ok := b.c.Get(b.valueKey(key))
	if !ok {
		return nil, fmt.Errorf("gregjones get %q: %w", key, backends.ErrNotFound)
	}
	g, expires, value, err := openEnvelope(data)
	if err != nil {
		return nil, fmt.Errorf("gregjones get %q: %w", key, err)
	}
	if g != gen || expires != 0 && b.now().UnixMilli() >= expires {
		return nil, fmt.Errorf("gregjones get %q: %w", key, backends.ErrNotFound)
	}
	return value, nil
}

// Set stores value under key with a time to live (none when ttl <= 0).
func (b *Backend) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := b.check(ctx); err != nil {
		return fmt.Errorf("gregjones set %q: %w", key, err)
	}
	var expires int64
	if ttl > 0 {
		expires = expiryMillis(b.now(), ttl)
	}
	b.c.Set(b.valueKey(key), sealEnvelope(b.generation(true), expires, value))
	return nil
}

// expiryMillis returns now+ttl in Unix milliseconds, rounded up so that a
// value never expires early, saturating instead of overflowing.
func expiryMillis(now time.Time, ttl time.Duration) int64 {
	ms := int64(ttl / time.Millisecond)
	if ttl%time.Millisecond != 0 {
		ms++
	}
	n := now.UnixMilli()
	if ms > (1<<63-1)-n {
		return 1<<63 - 1
	}
	return n + ms
}

// Delete removes the keys; missing keys are not an error.
func (b *Backend) Delete(ctx context.Context, keys ...string) error {
	if err := b.check(ctx); err != nil {
		return fmt.Errorf("gregjones delete %q: %w", keys, err)
	}
	for _, k := range keys {
		b.c.Delete(b.valueKey(k))
	}
	return nil
}

// Scan yields one error matching errors.ErrUnsupported: a gregjones Cache
// cannot list its keys.
func (b *Backend) Scan(ctx context.Context) iter.Seq2[backends.Entry, error] {
	return func(yield func(backends.Entry, error) bool) {
		if err := b.check(ctx); err != nil {
			yield(backends.Entry{}, fmt.Errorf("gregjones scan: %w", err))
			return
		}
		yield(backends.Entry{}, fmt.Errorf("gregjones scan: a gregjones/httpcache Cache cannot list its keys: %w", errors.ErrUnsupported))
	}
}

// Clear makes every value stored so far a miss, for every process sharing
// the Cache, by moving to a new generation. The old values' bytes stay in
// the Cache until their keys are written or deleted again.
func (b *Backend) Clear(ctx context.Context) error {
	if err := b.check(ctx); err != nil {
		return fmt.Errorf("gregjones clear: %w", err)
	}
	b.genMu.Lock()
	defer b.genMu.Unlock()
	g, ok := b.readGeneration()
	if !ok {
		g = randomGeneration()
	}
	b.c.Set(b.genKey, binary.BigEndian.AppendUint64(nil, g+1))
	return nil
}

// Close marks b closed; later calls return ErrClosed. The Cache is left
// open.
func (b *Backend) Close() error {
	b.closed.Store(true)
	return nil
}

func sealEnvelope(gen uint64, expires int64, value []byte) []byte {
	out := make([]byte, 0, envelopeHeader+len(value))
	out = append(out, envelopeMagic...)
	out = append(out, envelopeVersion)
	out = binary.BigEndian.AppendUint64(out, gen)
	out = binary.BigEndian.AppendUint64(out, uint64(expires))
	out = binary.BigEndian.AppendUint64(out, uint64(len(value)))
	out = binary.BigEndian.AppendUint32(out, crc32.Checksum(value, castagnoli))
	return append(out, value...)
}

// errTorn describes a value cut short or mixed with another: a miss.
var errTorn = fmt.Errorf("torn value (read while it was rewritten): %w", backends.ErrNotFound)

func openEnvelope(data []byte) (gen uint64, expires int64, value []byte, err error) {
	if len(data) < envelopeHeader {
		// Nothing, or part of a header, was written yet.
		if n := min(len(data), len(envelopeMagic)); string(data[:n]) == envelopeMagic[:n] {
			return 0, 0, nil, errTorn
		}
		return 0, 0, nil, ErrInvalidEnvelope
	}
	if string(data[:len(envelopeMagic)]) != envelopeMagic {
		return 0, 0, nil, ErrInvalidEnvelope
	}
	p := data[len(envelopeMagic):]
	if p[0] != envelopeVersion {
		return 0, 0, nil, fmt.Errorf("version %d: %w", p[0], ErrInvalidEnvelope)
	}
	gen = binary.BigEndian.Uint64(p[1:])
	expires = int64(binary.BigEndian.Uint64(p[9:]))
	n := binary.BigEndian.Uint64(p[17:])
	sum := binary.BigEndian.Uint32(p[25:])
	value = data[envelopeHeader:]
	if n != uint64(len(value)) || crc32.Checksum(value, castagnoli) != sum {
		return 0, 0, nil, errTorn
	}
	return gen, expires, value, nil
}

var _ backends.Backend = (*Backend)(nil)
