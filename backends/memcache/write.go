package memcache

import (
	"context"
	"crypto/rand"
	"fmt"
	"hash/crc32"
	"time"

	gomemcache "github.com/bradfitz/gomemcache/memcache"

	"github.com/cachedhttp/cachedhttp/backends/internal/chunk"
	"github.com/cachedhttp/cachedhttp/backends/internal/expiry"
)

// write is one Set's view of the servers, for chunk.Write: the head item
// hk and the chunk items of one write id.
type write struct {
	b        *Backend
	hk       string
	head     []byte // the encoded head
	exp      int32  // the head's exptime
	chunkExp int32  // the chunks' exptime
}

// newWrite returns the write of value under key in generation gen, stored
// at now with ttl: its head encoded, the chunks the head names (under a
// fresh write id; the zero Ref when the value fits in the head) and the
// value cut into them.
func (b *Backend) newWrite(gen uint64, key string, value []byte, now time.Time, ttl time.Duration) (*write, chunk.Ref, [][]byte) {
	w := &write{b: b, hk: b.keys.head(key), exp: expiry.Memcached(now, ttl)}
	var expires int64 // what the head records for Scan; 0 when memcached keeps it forever
	if at, ok := expiry.At(now, ttl); ok && w.exp != 0 {
		expires = at.UnixMilli()
	}
	if len(value) <= b.chunkSize-headerLen {
		w.head = encodeValueHead(gen, expires, value)
		return w, chunk.Ref{}, nil
	}
	h := head{kind: kindChunk, gen: gen, expires: expires, size: uint64(len(value)), chunkSize: uint32(b.chunkSize)}
	parts := chunk.Split(value, b.chunkSize)
	h.chunks = uint32(len(parts))
	h.crc = crc32.Checksum(value, castagnoli)
	_, _ = rand.Read(h.writeID[:])
	w.head = encodeChunkHead(h)
	// Chunks outlive their head by a second so that a head never points
	// at chunks that expired first.
	w.chunkExp = w.exp
	if ttl > 0 {
		w.chunkExp = expiry.Memcached(now, expiry.Add(ttl, time.Second))
	}
	return w, h.ref(), parts
}

// PutChunks stores the chunk items of gen, one round trip each.
func (w *write) PutChunks(ctx context.Context, gen chunk.Ref, parts [][]byte) error {
	for i, p := range parts {
		if err := ctx.Err(); err != nil {
			return err
		}
		it := &gomemcache.Item{Key: w.b.keys.chunk(gen.Gen, i), Value: p, Expiration: w.chunkExp}
		if err := w.b.mc.Set(it); err != nil {
			return fmt.Errorf("chunk %d of %d: %w", i, len(parts), err)
		}
	}
	return nil
}

// PutHead stores the head item. For a large value it reads the head it
// replaces first (memcached cannot return it atomically; one more round
// trip is cheap next to the chunks), so that its chunks go now; a small
// value replacing a large one leaves them to expire or be evicted.
func (w *write) PutHead(_ context.Context, gen chunk.Ref) ([]chunk.Ref, error) {
	var previous *gomemcache.Item
	if gen.Chunks > 0 {
		previous, _ = w.b.mc.Get(w.hk)
	}
	if err := w.b.mc.Set(&gomemcache.Item{Key: w.hk, Value: w.head, Expiration: w.exp}); err != nil {
		return nil, err
	}
	if previous == nil {
		return nil, nil
	}
	if old, err := decodeHead(previous.Value); err == nil && old.kind == kindChunk {
		return []chunk.Ref{old.ref()}, nil
	}
	return nil, nil
}

// DeleteChunks deletes the chunk items of gens, best effort.
func (w *write) DeleteChunks(_ context.Context, gens []chunk.Ref) error {
	for _, g := range gens {
		w.b.dropChunks(g)
	}
	return nil
}

// dropChunks deletes the chunks of r, best effort. Chunks belong to one
// write only (their names carry its random id), so no other head uses them.
func (b *Backend) dropChunks(r chunk.Ref) {
	for _, k := range r.Names(b.keys.chunk) {
		_ = b.mc.Delete(k)
	}
}
