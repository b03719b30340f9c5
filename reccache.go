package cachedhttp

import (
	"hash/maphash"
	"sync"
	"unsafe"

	"github.com/cachedhttp/cachedhttp/models"
)

// recCache remembers decoded records for backends that hand out the very
// bytes they were given (the memory backend): when Get returns the same
// slice that was decoded before, the record is reused instead of decoded
// again. An entry holds the slice it was decoded from, so the memory cannot
// be reused for another value while the entry exists (no ABA). Records are
// never modified once decoded: serving clones what it changes.
type recCache struct {
	seed   maphash.Seed
	per    int
	shards [16]recShard
}

type recShard struct {
	mu sync.Mutex
	m  map[string]recEntry
}

type recEntry struct {
	data []byte
	rec  *models.Response
}

func newRecCache(max int) *recCache {
	c := &recCache{seed: maphash.MakeSeed(), per: max/16 + 1}
	for i := range c.shards {
		c.shards[i].m = make(map[string]recEntry)
	}
	return c
}

func (c *recCache) shard(key string) *recShard {
	return &c.shards[maphash.String(c.seed, key)%uint64(len(c.shards))]
}

func sameBytes(a, b []byte) bool {
	return len(a) == len(b) && len(a) > 0 && unsafe.SliceData(a) == unsafe.SliceData(b)
}

// get returns the record decoded from exactly data, or nil.
func (c *recCache) get(key string, data []byte) *models.Response {
	s := c.shard(key)
	s.mu.Lock()
	e, ok := s.m[key]
	s.mu.Unlock()
	if ok && sameBytes(e.data, data) {
		return e.rec
	}
	return nil
}

func (c *recCache) put(key string, data []byte, rec *models.Response) {
	s := c.shard(key)
	s.mu.Lock()
	if len(s.m) >= c.per {
		// Evict an arbitrary entry: map iteration order is random enough
		// for a small, bounded cache of hot records.
		for k := range s.m {
			delete(s.m, k)
			break
		}
	}
	s.m[key] = recEntry{data: data, rec: rec}
	s.mu.Unlock()
}

func (c *recCache) drop(key string) {
	s := c.shard(key)
	s.mu.Lock()
	delete(s.m, key)
	s.mu.Unlock()
}

func (c *recCache) clear() {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		clear(s.m)
		s.mu.Unlock()
	}
}
