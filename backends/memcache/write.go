package memcache

import (
	"context"
	"fmt"

	gomemcache "github.com/bradfitz/gomemcache/memcache"

	"github.com/cachedhttp/cachedhttp/backends/internal/chunk"
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
